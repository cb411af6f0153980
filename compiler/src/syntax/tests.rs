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
    assert_eq!(codes_and_places(alias), at("E0007", 2, 16));
    // A column, a struct field, a KPI name, a measure name.
    let column =
        "kpi k {\n  from events e\n  where e.`ki\u{7f}nd` = 'post'\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(column), at("E0007", 3, 14));
    let field =
        "kpi k {\n  from events e\n  group by e.context.`os\u{202e}`\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(field), at("E0007", 3, 25));
    let kpi = "kpi `k\u{0}` {\n  from events e\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(kpi), at("E0007", 1, 7));
    let measure = "kpi k {\n  from events e\n  measure `n\u{9b}` = count(*)\n}\n";
    assert_eq!(codes_and_places(measure), at("E0007", 3, 13));
    let (_, _, _, label, _) = errors(alias).remove(0);
    assert_eq!(label, "this is U+0001, a control or formatting character");
}

#[test]
fn visible_names_in_backquotes_stay_valid() {
    let text =
        "kpi k {\n  from events e\n  where e.`kind é` = 'a\u{1}b'\n  measure n = count(*)\n}\n";
    assert_eq!(codes_and_places(text), []);
}
