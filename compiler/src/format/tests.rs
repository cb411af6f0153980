//! The formatter on small texts: each layout rule, and that its output is a fixed point.

use super::format;
use crate::span::Sources;

fn fmt(text: &str) -> String {
    let mut sources = Sources::new();
    let id = sources.add("t.kpi", text);
    let out = match format(&sources, id) {
        Ok(out) => out,
        Err(e) => panic!("{text:?} does not parse: {e:?}"),
    };
    let mut again = Sources::new();
    let id = again.add("t.kpi", out.clone());
    assert_eq!(
        format(&again, id).ok().as_deref(),
        Some(out.as_str()),
        "not a fixed point"
    );
    out
}

fn measure(expr: &str) -> String {
    let out = fmt(&format!("kpi a {{ from x measure m = {expr} }}"));
    out.lines()
        .skip(2)
        .take_while(|l| *l != "}")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_one_line_kpi_opens_into_clauses_in_their_order() {
    assert_eq!(
        fmt("KPI a { FROM x check n > 0 MEASURE n = COUNT(*) where x.k = 1 }"),
        "kpi a {\n  from x\n  where x.k = 1\n  measure n = COUNT(*)\n  check n > 0\n}\n"
    );
}

#[test]
fn only_the_parentheses_the_grammar_needs_are_kept() {
    assert_eq!(measure("(a + b) * c"), "  measure m = (a + b) * c");
    assert_eq!(measure("(a * b) + c"), "  measure m = a * b + c");
    assert_eq!(measure("a - (b - c)"), "  measure m = a - (b - c)");
    assert_eq!(measure("(a - b) - c"), "  measure m = a - b - c");
    assert_eq!(measure("-(-a)"), "  measure m = -(-a)");
    assert_eq!(measure("not (not a)"), "  measure m = not (not a)");
    assert_eq!(measure("(a or b) and c"), "  measure m = (a or b) and c");
    assert_eq!(measure("(a = b) = c"), "  measure m = (a = b) = c");
    assert_eq!(
        measure("(a + b) between 1 and (2 + 3)"),
        "  measure m = a + b between 1 and 2 + 3"
    );
    assert_eq!(measure("(-a)[1]"), "  measure m = (-a)[1]");
}

#[test]
fn literals_print_canonically_and_names_as_written() {
    assert_eq!(
        measure("DATE '2024-01-31' = `Odd Name`.X and 'it''s' != True"),
        "  measure m = date '2024-01-31' = `Odd Name`.X and 'it''s' <> true"
    );
}

#[test]
fn windows_say_day_for_one_and_drop_an_end_of_zero() {
    let out =
        fmt("kpi a { from x over 1 days ending day - 0 join y over 7 day ending day - 2 on true }");
    assert!(out.contains("  from x over 1 day\n"), "{out}");
    assert!(
        out.contains("  join y over 7 days ending day - 2 on true\n"),
        "{out}"
    );
}

#[test]
fn a_long_measure_breaks_after_its_equals_then_at_its_operators() {
    let call = format!(
        "count(distinct {} where x.kind = 'thanks')",
        "x.a".repeat(17)
    );
    assert_eq!(measure(&call), format!("  measure m =\n    {call}"));
    let long = (0..8)
        .map(|i| format!("coalesce(x.value_{i}, 0)"))
        .collect::<Vec<_>>();
    let out = measure(&long.join(" + "));
    assert_eq!(out.lines().count(), 8, "{out}");
    assert!(
        out.lines().skip(1).all(|l| l.starts_with("    + ")),
        "{out}"
    );
}

#[test]
fn a_where_of_several_conditions_puts_one_a_line() {
    let out = fmt("kpi a { from x where x.a = 1 and x.b = 2 or x.c }");
    assert!(
        out.contains("  where x.a = 1 and x.b = 2\n    or x.c\n"),
        "{out}"
    );
}

#[test]
fn a_run_of_measures_is_aligned_only_when_its_author_aligned_it() {
    let aligned = fmt(
        "kpi a { from x\n measure a  = 1\n measure bbb = 2\n\n measure c = 3\n measure dd = 4 }",
    );
    assert!(
        aligned.contains(
            "  measure a   = 1\n  measure bbb = 2\n\n  measure c = 3\n  measure dd = 4\n"
        ),
        "{aligned}"
    );
}

#[test]
fn comments_trail_or_lead_the_node_next_to_them() {
    let out = fmt(
        "// top\nkpi a { // open\n from x // from\n\n // lead\n measure n = count(*)\n // last\n} // end\n// tail",
    );
    assert_eq!(
        out,
        "// top\nkpi a { // open\n  from x // from\n\n  // lead\n  measure n = count(*)\n  // last\n} // end\n\n// tail\n"
    );
}

#[test]
fn comments_between_the_name_and_the_brace_are_kept() {
    let out = fmt("kpi a // one\n// two\n{ from x }");
    assert_eq!(out, "kpi a { // one\n  // two\n  from x\n}\n");
    let out = fmt("kpi a // one\n{ // two\n from x }");
    assert_eq!(out, "kpi a { // one\n  // two\n  from x\n}\n");
}

#[test]
fn a_comment_inside_an_expression_goes_before_its_clause() {
    let out = fmt("kpi a { from x measure n = count( // why\n *) }");
    assert!(out.contains("  // why\n  measure n = count(*)\n"), "{out}");
}

#[test]
fn a_comment_ending_an_operands_line_stays_there_and_keeps_the_chain_broken() {
    let out = fmt("kpi a { from x where x.a = 1 // one\n and x.b = 2 measure n = 1 // n\n + 2 }");
    assert!(
        out.contains("  where x.a = 1 // one\n    and x.b = 2\n"),
        "{out}"
    );
    assert!(out.contains("  measure n = 1 // n\n    + 2\n"), "{out}");
}

#[test]
fn doc_comments_keep_their_text_with_one_space_after_the_slashes() {
    let out = fmt("///Doc.\n///\n///   indented\nkpi a { from x group by ///d\n x.a }");
    assert!(
        out.starts_with("/// Doc.\n///\n///   indented\nkpi a {\n"),
        "{out}"
    );
    assert!(out.contains("  group by\n    /// d\n    x.a\n"), "{out}");
}

#[test]
fn a_file_of_comments_alone_or_of_nothing() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  // only\n\n\n// this\n"), "// only\n\n// this\n");
}

#[test]
fn a_file_that_does_not_parse_is_not_formatted() {
    let mut sources = Sources::new();
    let id = sources.add("t.kpi", "kpi a { from }");
    assert!(format(&sources, id).is_err());
}
