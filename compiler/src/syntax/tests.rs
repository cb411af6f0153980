//! Tests: `.kpi` texts → the syntax diagnostics they give, at their exact places.

use super::{SyntaxError, parse};
use crate::span::Sources;

/// `(code, line, column, label, help)` of every syntax diagnostic of one text.
fn errors(text: &str) -> Vec<(String, usize, usize, String, String)> {
    let mut sources = Sources::new();
    let file = sources.add("a.kpi", text);
    let (_, errors) = parse(&sources, file);
    errors
        .iter()
        .map(SyntaxError::to_diagnostic)
        .map(|d| {
            let label = d.primary.clone().expect("every syntax error has a place");
            let at = sources.line_col(label.span.file, label.span.start);
            let help = d.help.unwrap_or_default();
            (
                d.code.0.to_string(),
                at.line,
                at.column,
                label.message,
                help,
            )
        })
        .collect()
}

fn codes_and_places(text: &str) -> Vec<(String, usize, usize)> {
    errors(text)
        .into_iter()
        .map(|(code, line, column, ..)| (code, line, column))
        .collect()
}

#[test]
fn hidden_characters_in_backquoted_names_are_reported_where_they_are() {
    let at = |code: &str, line, column| vec![(code.to_string(), line, column)];
    // An alias forging the day parameter's marker.
    let alias = "kpi k {\n  from events `\u{1}day\u{1}`\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(alias), at("E0009", 2, 16));
    // A column, a struct field, a KPI name, a measure name.
    let column =
        "kpi k {\n  from events e\n  where e.`ki\u{7f}nd` = 'post'\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(column), at("E0009", 3, 14));
    let field =
        "kpi k {\n  from events e\n  group by e.context.`os\u{202e}`\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(field), at("E0009", 3, 25));
    let kpi = "kpi `k\u{0}` {\n  from events e\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(kpi), at("E0009", 1, 7));
    let measure = "kpi k {\n  from events e\n  measure `n\u{9b}` = count(*)\n}\n";
    assert_eq!(codes_and_places(measure), at("E0009", 3, 13));
    let (_, _, _, label, _) = errors(alias).remove(0);
    assert_eq!(label, "this is U+0001, a control or formatting character");
}

#[test]
fn visible_names_in_backquotes_stay_valid() {
    let text =
        "kpi k {\n  from events e\n  where e.`kind é` = 'a\u{1}b'\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(text), []);
}

#[test]
fn an_unclosed_kpi_is_reported_at_its_end_and_the_next_kpi_still_parses() {
    let text = "kpi a {\n  from events e\n  measure n = count(*)\n\nkpi b {\n  from events e\n  measure n = count(*)\n}\n";
    let mut sources = Sources::new();
    let file = sources.add("a.kpi", text);
    let (ast, errors) = parse(&sources, file);
    let names: Vec<&str> = ast.kpis.iter().map(|k| k.name.name.as_str()).collect();
    assert_eq!(names, ["b"]);
    let d = errors[0].to_diagnostic();
    assert_eq!(errors.len(), 1);
    let at = |span: crate::span::Span| {
        let at = sources.line_col(span.file, span.start);
        (at.line, at.column)
    };
    assert_eq!(d.code.0, "E0008");
    assert_eq!(at(d.primary.as_ref().unwrap().span), (3, 23));
    assert_eq!(at(d.secondary[0].span), (1, 7));
    assert!(d.help.unwrap().contains('}'));
}

#[test]
fn an_error_at_the_end_of_the_file_points_after_the_last_token() {
    let found = errors("kpi a {\n  from events e\n  where e.kind =\n\n");
    assert_eq!(found.len(), 1);
    let (code, line, column, label, _) = &found[0];
    assert_eq!((code.as_str(), *line, *column), ("E0008", 3, 17));
    assert_eq!(label, "expected `}` here, to close the KPI");
    let found = errors("kpi a {\n  from events e\n  where (e.kind = 'a'\n}\n");
    let (code, line, column, label, _) = &found[0];
    assert_eq!((code.as_str(), *line, *column), ("E0001", 4, 1));
    assert!(label.starts_with("expected `)`"), "{label}");
}

#[test]
fn misspelt_keywords_are_suggested() {
    let help = |text: &str| errors(text).remove(0).4;
    let kpi = |body: &str| format!("kpi a {{\n  from events e\n  {body}\n}}\n");
    assert_eq!(
        help(&kpi("messure n = count(*)")),
        "Did you mean `measure`?"
    );
    assert_eq!(
        help(&kpi("grup by e.kind measure n = count(*)")),
        "Did you mean `group`?"
    );
    assert_eq!(
        help(&kpi("measure n = count(distnct e.member_id)")),
        "Did you mean `distinct`?"
    );
    // A field that looks like a keyword is not taken for one.
    let field = help(&kpi("measure n = sum(e.dayz x)"));
    assert!(field.starts_with("Write `)`"), "{field}");
}

#[test]
fn a_too_large_number_gets_the_help_of_its_place() {
    let window = errors(
        "kpi a {\n  from events e over 99999999999999999999 days\n  measure n = count(*)\n}\n",
    );
    assert_eq!(
        window[0].4,
        "Write a whole number of days up to 3660, such as `over 30 days`."
    );
    let literal =
        errors("kpi a {\n  from events e\n  measure n = count(*) + 99999999999999999999\n}\n");
    assert_eq!(
        literal[0].4,
        "Use a smaller number, or write it as a decimal: `99999999999999999999.0`."
    );
}

#[test]
fn three_slashes_after_an_operand_start_a_doc_comment_not_a_division() {
    // Read as `a / b` with a `//` comment between, the doc line divided by what follows it.
    let text = "kpi k {\n  from events e\n  measure m = e.a\n  /// doc\n  e.b\n}\n";
    assert_eq!(codes_and_places(text), vec![("E0001".to_string(), 5, 3)]);
    // A division followed by a comment, and a `////` separator, stay what they were.
    let mut sources = Sources::new();
    for ok in [
        "kpi k {\n  from events e\n  measure m = e.a / // c\n  e.b\n}\n",
        "kpi k {\n  from events e\n  measure m = e.a //// c\n}\n",
        "kpi k {\n  from events e\n  measure m = e.a\n  /// doc\n  measure n = e.b\n}\n",
    ] {
        let file = sources.add("a.kpi", ok);
        assert!(parse(&sources, file).1.is_empty(), "{ok}");
    }
}
