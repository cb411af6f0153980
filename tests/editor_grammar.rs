//! The VS Code extension of `examples/editors/vscode/`: its TextMate grammar run by the very
//! libraries VS Code uses (vscode-textmate, vscode-oniguruma, through `test/tokenize.js`) over
//! every `.kpi` file of `pipelines/` and `tests/cases/`, and the extension packaged by
//! `vsce package` with no standard input (`test/package.js`). The npm packages are installed
//! in `.tools/node` by `scripts/setup-validators`; a missing one fails the test
//! (`tests/support/tools.rs`), unless `KPI_ALLOW_SKIP=1` outside CI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tools::Tool;

fn extension() -> PathBuf {
    tools::repo_root().join("examples/editors/vscode")
}

fn node_modules() -> PathBuf {
    tools::repo_root().join(".tools/node/node_modules")
}

/// Node and the npm packages `modules` names, or the test's verdict on their absence.
fn require(test: &str, modules: &[&str]) -> bool {
    if !tools::require(test, &[Tool::Node]) {
        return false;
    }
    modules.iter().all(|module| {
        tools::require_dir(
            test,
            &format!("{module} (node module, in .tools/node)"),
            &node_modules().join(module),
            tools::INSTALL,
        )
    })
}

const TOKENIZERS: &[&str] = &["vscode-textmate", "vscode-oniguruma"];

/// `node test/tokenize.js [--tokens] FILE...`: its exit code and report.
fn tokenize(files: &[PathBuf], tokens: bool) -> (i32, Value) {
    let mut command = Command::new("node");
    command
        .arg(extension().join("test/tokenize.js"))
        .env("NODE_PATH", node_modules())
        .stdin(Stdio::null());
    if tokens {
        command.arg("--tokens");
    }
    let out = command.args(files).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "tokenize.js failed ({code}): {stderr}"
    );
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("tokenize.js printed no report ({e}): {stderr}"));
    (code, report)
}

fn kpi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            kpi_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "kpi") {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_file_is_scoped_under_source_kpi_and_closes_what_it_opens() {
    let test = "editor_grammar: corpus";
    if !require(test, TOKENIZERS) {
        return;
    }
    let root = tools::repo_root();
    let mut files = Vec::new();
    kpi_files(&root.join("pipelines"), &mut files);
    let pipelines = files.len();
    kpi_files(&root.join("tests/cases"), &mut files);
    files.sort();
    assert!(pipelines >= 4, "{files:?}");
    assert!(files.len() > pipelines, "{files:?}");
    let (code, report) = tokenize(&files, false);
    assert_eq!(report["scope"], "source.kpi");
    let reports = report["files"].as_array().unwrap();
    assert_eq!(reports.len(), files.len());
    let mut problems = Vec::new();
    for (file, r) in files.iter().zip(reports) {
        assert_eq!(r["file"], file.to_str().unwrap());
        let lines = std::fs::read_to_string(file).unwrap().split('\n').count();
        assert_eq!(r["lines"], lines, "{}", file.display());
        assert!(r["tokens"].as_u64().unwrap() > 0, "{}", file.display());
        for u in r["uncovered"].as_array().unwrap() {
            problems.push(format!(
                "{}:{}:{}: {} has only {}",
                file.display(),
                u["line"],
                u["column"],
                u["text"],
                u["scopes"]
            ));
        }
        if r["closed"] != true {
            problems.push(format!(
                "{}: the rule stack ends {} deep, not at its start",
                file.display(),
                r["end_depth"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(code, 0);
}

/// A file holding every kind of token, and the innermost scope each must get.
const SAMPLE: &str = "//// a separator
/// A doc comment.
KPI `Odd Name` {
  from events e over 7 days ending day - 1
  left join members m on m.member_id = e.member_id
  where e.kind = 'it''s' and e.ts >= date '2024-01-01' or e.client || 'x' is not null
  measure rate = count(distinct e.member_id where e.tags[1] <> 2.5) % 3 // trailing
  check day_of_week(day) != null and true
}
const weight = -1.5
";

#[test]
fn each_kind_of_token_gets_its_scope() {
    let test = "editor_grammar: scopes";
    if !require(test, TOKENIZERS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sample.kpi");
    std::fs::write(&file, SAMPLE).unwrap();
    let (code, report) = tokenize(std::slice::from_ref(&file), true);
    let r = &report["files"][0];
    assert_eq!(r["uncovered"], serde_json::json!([]));
    assert_eq!(r["closed"], true);
    assert_eq!(code, 0);
    // (line, text) → innermost scope, for the first token of that text on that line.
    let innermost = |line: u64, text: &str| -> String {
        r["token_list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["line"] == line && t["text"] == text)
            .and_then(|t| t["scopes"].as_array().unwrap().last())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no token {text:?} on line {line}"))
            .to_string()
    };
    let expected = [
        (1, "// a separator", "comment.line.double-slash.kpi"),
        (2, " A doc comment.", "comment.line.documentation.kpi"),
        (3, "KPI", "keyword.declaration.kpi"),
        (10, "const", "keyword.declaration.kpi"),
        (10, "weight", "variable.other.constant.kpi"),
        (3, "`Odd Name`", "entity.name.type.kpi"),
        (3, "{", "punctuation.section.block.begin.kpi"),
        (4, "from", "keyword.other.clause.kpi"),
        (4, "events", "entity.name.type.relation.kpi"),
        (4, "e", "variable.other.kpi"),
        (4, "7", "constant.numeric.integer.kpi"),
        (4, "days", "keyword.other.clause.kpi"),
        (4, "day", "variable.language.day.kpi"),
        (4, "-", "keyword.operator.arithmetic.kpi"),
        (5, "members", "entity.name.type.relation.kpi"),
        (5, ".", "punctuation.accessor.dot.kpi"),
        (5, "=", "keyword.operator.comparison.kpi"),
        (6, "it", "string.quoted.single.kpi"),
        (6, "''", "constant.character.escape.kpi"),
        (6, "and", "keyword.operator.word.kpi"),
        (6, "date", "storage.type.date.kpi"),
        (6, "2024-01-01", "string.quoted.single.kpi"),
        (6, "||", "keyword.operator.concatenation.kpi"),
        (6, "null", "constant.language.kpi"),
        (7, "rate", "variable.other.definition.measure.kpi"),
        (7, "count", "entity.name.function.kpi"),
        (7, "(", "punctuation.section.parens.begin.kpi"),
        (7, "distinct", "keyword.other.clause.kpi"),
        (7, "[", "punctuation.section.brackets.begin.kpi"),
        (7, "2.5", "constant.numeric.decimal.kpi"),
        (7, "%", "keyword.operator.arithmetic.kpi"),
        (7, " trailing", "comment.line.double-slash.kpi"),
        (8, "day_of_week", "entity.name.function.kpi"),
        (8, "true", "constant.language.kpi"),
        (9, "}", "punctuation.section.block.end.kpi"),
    ];
    let wrong: Vec<String> = expected
        .iter()
        .filter_map(|&(line, text, scope)| {
            let got = innermost(line, text);
            (got != scope).then(|| format!("line {line} {text:?}: {got}, expected {scope}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn an_unclosed_string_and_a_stray_character_are_caught() {
    let test = "editor_grammar: failures";
    if !require(test, TOKENIZERS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.kpi");
    std::fs::write(
        &file,
        "kpi broken {\n  from events e @\n  where e.kind = 'post\n}\n",
    )
    .unwrap();
    let (code, report) = tokenize(std::slice::from_ref(&file), false);
    assert_eq!(code, 1);
    let r = &report["files"][0];
    assert_eq!(r["closed"], false);
    assert_eq!(r["end_depth"], 3, "source, block, string");
    let uncovered = r["uncovered"].as_array().unwrap();
    assert_eq!(uncovered.len(), 1, "{uncovered:?}");
    assert_eq!(uncovered[0]["line"], 2);
    assert_eq!(uncovered[0]["column"], 16);
    assert_eq!(uncovered[0]["text"], " @");
}

#[test]
fn the_manifest_declares_the_language_grammar_and_setting() {
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(extension().join(name)).unwrap()).unwrap()
    };
    let manifest = read("package.json");
    for field in ["name", "displayName", "publisher", "version", "license"] {
        assert!(manifest[field].is_string(), "{field}");
    }
    assert_eq!(manifest["license"], "Apache-2.0");
    assert!(manifest["repository"]["url"].is_string());
    assert!(manifest["engines"]["vscode"].is_string());
    assert_eq!(
        manifest["activationEvents"],
        serde_json::json!(["onLanguage:kpi"])
    );
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "kpi");
    assert_eq!(language["extensions"], serde_json::json!([".kpi"]));
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.kpi");
    assert_eq!(grammar["language"], "kpi");
    let setting = &manifest["contributes"]["configuration"]["properties"]["kpi.path"];
    assert_eq!(setting["default"], "kpi");
    let syntax = read(grammar["path"].as_str().unwrap());
    assert_eq!(syntax["scopeName"], "source.kpi");
    let configuration = read(language["configuration"].as_str().unwrap());
    assert_eq!(configuration["comments"]["lineComment"], "//");
    let pairs: Vec<&str> = configuration["autoClosingPairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["open"].as_str().unwrap())
        .collect();
    assert_eq!(pairs, ["{", "(", "[", "'", "`"]);
    let license = std::fs::read_to_string(extension().join("LICENSE")).unwrap();
    assert!(license.contains("Apache License"), "{license}");
}

fn artifacts_dir() -> PathBuf {
    std::env::var_os("KPI_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools::repo_root().join("target/artifacts"))
}

#[test]
fn the_extension_packages_with_no_prompt() {
    let test = "editor_grammar: vsce package";
    if !require(test, &["@vscode/vsce", "vscode-languageclient", "yauzl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .arg(extension().join("test/package.js"))
        .arg(dir.path())
        .env("NODE_PATH", node_modules())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("package.js printed no report ({e}): {stderr}"));
    assert!(
        out.status.success(),
        "vsce package failed: {}\n{}\n{stderr}",
        report["stdout"].as_str().unwrap_or(""),
        report["stderr"].as_str().unwrap_or("")
    );
    let entries: Vec<&str> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for wanted in [
        "extension.vsixmanifest",
        "extension/package.json",
        "extension/extension.js",
        "extension/language-configuration.json",
        "extension/syntaxes/kpi.tmLanguage.json",
        "extension/LICENSE.txt",
        "extension/readme.md",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension/node_modules/vscode-jsonrpc/package.json",
    ] {
        assert!(entries.contains(&wanted), "{wanted} not in {entries:?}");
    }
    let stray: Vec<&&str> = entries
        .iter()
        .filter(|e| e.starts_with("extension/test/") || e.ends_with(".vsix"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    let vsix = PathBuf::from(report["vsix"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(&vsix).unwrap().len(),
        report["bytes"].as_u64().unwrap()
    );
    let kept = artifacts_dir().join("kpi-language.vsix");
    std::fs::create_dir_all(artifacts_dir()).unwrap();
    std::fs::copy(&vsix, &kept).unwrap();
    println!("packaged {} ({} bytes)", kept.display(), report["bytes"]);
}
