//! The formatter on small texts: layout, comments, idempotence.

use super::format;
use crate::span::Sources;

fn fmt(text: &str) -> String {
    let mut sources = Sources::new();
    let id = sources.add("t.kpi", text);
    match format(&sources, id) {
        Ok(out) => out,
        Err(e) => panic!("{text:?} does not parse: {e:?}"),
    }
}

#[test]
fn placeholder() {
    assert_eq!(
        fmt("kpi a { from x measure n = count(*) }"),
        "kpi a {\n  from x\n  measure n = count(*)\n}\n"
    );
}
