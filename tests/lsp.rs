//! `kpi lsp` as a black box: JSON-RPC with `Content-Length` frames over its stdio, in a copy
//! of `pipelines/`. Every read has a timeout, so a server that stops answering fails the test
//! instead of hanging it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;
#[path = "support/jsonrpc.rs"]
mod jsonrpc;

use cli_support::pipelines_in;
use jsonrpc::Peer;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A file with one mistake: `e.knd` for `e.kind` (line 4, columns 11–14 in 1-based terms).
const BROKEN: &str = "/// Posts per company, with its share of the day's active members.
kpi posts {
  from events e
  where e.knd = 'post'
  group by e.company_id
  measure posts = count(*)
}
";

const FIXED: &str = "/// Posts per company, with its share of the day's active members.
kpi posts {
  from events e
  join daily_active_members d on d.company_id = e.company_id
  where e.kind = 'post'
  group by e.company_id
  measure posts = count(*)
}
";

struct Server {
    peer: Peer,
    /// Notifications read while waiting for something else.
    pending: Vec<Value>,
    next_id: i64,
    project: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let project = pipelines_in(dir.path());
        let mut command = Command::new(env!("CARGO_BIN_EXE_kpi"));
        command
            .arg("lsp")
            .envs(env.iter().copied())
            .current_dir(&project);
        let mut server = Server {
            peer: Peer::spawn(command),
            pending: Vec::new(),
            next_id: 0,
            project: project.canonicalize().unwrap(),
            _dir: dir,
        };
        let root = uri(&server.project);
        let init = server.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        assert_eq!(init["capabilities"]["textDocumentSync"], 1, "{init}");
        assert_eq!(
            init["capabilities"]["executeCommandProvider"]["commands"],
            json!(["kpi.showSql"])
        );
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Value) {
        self.peer.send(&message);
    }

    fn next(&mut self) -> Value {
        self.peer.next(TIMEOUT)
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let m = self.call(method, params);
        assert!(m.get("error").is_none(), "{method}: {m}");
        m["result"].clone()
    }

    /// The whole response: its `result` or its `error`.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == id {
                return m;
            }
            self.pending.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `file`.
    fn diagnostics(&mut self, file: &str) -> Vec<Value> {
        let wanted = uri(&self.project.join(file));
        let is_ours = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == wanted
        };
        if let Some(i) = self.pending.iter().position(is_ours) {
            let m = self.pending.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let m = self.next();
            if is_ours(&m) {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(m);
        }
    }

    fn open(&mut self, file: &str, text: &str) {
        let uri = uri(&self.project.join(file));
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "kpi", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, file: &str, version: i64, text: &str) {
        let uri = uri(&self.project.join(file));
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    fn at(&self, file: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": uri(&self.project.join(file))},
               "position": {"line": line, "character": character}})
    }

    fn file_uri(&self, file: &str) -> String {
        uri(&self.project.join(file))
    }

    fn stop(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let start = Instant::now();
        loop {
            if let Some(status) = self.peer.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(start.elapsed() < TIMEOUT, "kpi lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"start": {"line": start.0, "character": start.1},
           "end": {"line": end.0, "character": end.1}})
}

#[test]
fn a_mistake_is_diagnosed_as_typed_and_cleared_when_fixed() {
    let mut server = Server::start();
    server.open("extra.kpi", BROKEN);
    let found = server.diagnostics("extra.kpi");
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d["range"], range((3, 10), (3, 13)));
    assert_eq!(d["code"], "E0202");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "kpi");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown column `knd` in `e`"),
        "{message}"
    );
    assert!(message.contains("Did you mean `kind`?"), "{message}");
    assert!(message.ends_with("kpi explain E0202"), "{message}");
    // The other files of the project are published too, clean.
    assert_eq!(server.diagnostics("activity.kpi"), Vec::<Value>::new());

    let start = Instant::now();
    server.change("extra.kpi", 2, FIXED);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    println!(
        "didChange → publishDiagnostics on pipelines/: {:?}",
        start.elapsed()
    );
    // Closed, the file is read from the disk again, where it does not exist: no diagnostics.
    server.change("extra.kpi", 3, BROKEN);
    assert_eq!(server.diagnostics("extra.kpi").len(), 1);
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": server.file_uri("extra.kpi")}}),
    );
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    server.stop();
}

#[test]
fn hover_shows_a_columns_type_and_comment_and_a_measures_additivity() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    server.diagnostics("extra.kpi");
    // `kind` in `where e.kind = 'post'`.
    let hover = server.request("textDocument/hover", server.at("extra.kpi", 4, 11));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(
        text,
        "`events.kind`: `string`\n\nlogin, view, post, comment, reaction, thanks or profile_update"
    );
    // `posts` in `measure posts = count(*)`.
    let hover = server.request("textDocument/hover", server.at("extra.kpi", 6, 11));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(text, "**measure** `posts.posts`: `bigint`, additive");
    // `daily_active_members` in the join: the KPI's doc and columns.
    let hover = server.request("textDocument/hover", server.at("extra.kpi", 3, 10));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with("**kpi** `daily_active_members`\n\nMembers who did anything social"),
        "{text}"
    );
    assert!(text.contains("| active | bigint |"), "{text}");
    // `over 7 days` of weekly_active_members.
    let hover = server.request("textDocument/hover", server.at("activity.kpi", 32, 18));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(text, "**window**: 7 days, from day - 6 to day");
    server.stop();
}

#[test]
fn completion_after_an_alias_lists_the_relations_columns() {
    let mut server = Server::start();
    let typing = FIXED.replace("where e.kind = 'post'", "where e.");
    server.open("extra.kpi", &typing);
    server.diagnostics("extra.kpi");
    let items = server.request("textDocument/completion", server.at("extra.kpi", 4, 10));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"kind"), "{labels:?}");
    assert!(labels.contains(&"member_id"), "{labels:?}");
    assert!(!labels.contains(&"daily_active_members"), "{labels:?}");
    let kind = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "kind")
        .unwrap();
    assert_eq!(kind["detail"], "string");
    let count = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "count");
    assert_eq!(count, None, "functions are not columns");
    // `d.` reads a KPI: its output columns.
    let typing = FIXED.replace("where e.kind = 'post'", "where d.");
    server.change("extra.kpi", 2, &typing);
    let items = server.request("textDocument/completion", server.at("extra.kpi", 4, 10));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["company_id", "active", "actions"]);
    // Elsewhere: KPI names, functions, keywords.
    let items = server.request("textDocument/completion", server.at("extra.kpi", 6, 2));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for wanted in [
        "daily_active_members",
        "count_distinct",
        "measure",
        "coalesce",
    ] {
        assert_eq!(
            labels.contains(&wanted),
            wanted != "count_distinct",
            "{wanted}"
        );
    }
    let coalesce = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "coalesce")
        .unwrap();
    assert_eq!(
        coalesce["detail"],
        "coalesce(v1, v2, …) → the first non-null, of their common type"
    );
    server.stop();
}

#[test]
fn completion_after_a_struct_column_lists_its_fields_with_their_types() {
    let mut server = Server::start();
    let typing = FIXED.replace("where e.kind = 'post'", "where e.context.");
    server.open("extra.kpi", &typing);
    server.diagnostics("extra.kpi");
    let fields = |server: &mut Server, character: u32| -> Vec<(String, String)> {
        let items = server.request(
            "textDocument/completion",
            server.at("extra.kpi", 4, character),
        );
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["kind"], 5, "{i}");
                (
                    i["label"].as_str().unwrap().to_string(),
                    i["detail"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // `events.context` is struct<session_id:string,ip:string,user_agent:string,referrer:string,tags:array<string>>.
    let expected: Vec<(String, String)> = [
        ("session_id", "string"),
        ("ip", "string"),
        ("user_agent", "string"),
        ("referrer", "string"),
        ("tags", "array<string>"),
    ]
    .iter()
    .map(|(l, d)| (l.to_string(), d.to_string()))
    .collect();
    assert_eq!(fields(&mut server, 18), expected);
    // The column's name in any case, as the language reads it.
    let typing = FIXED.replace("where e.kind = 'post'", "where E.Context.");
    let typing = typing.replace("from events e", "from events E");
    server.change("extra.kpi", 2, &typing);
    assert_eq!(fields(&mut server, 18), expected);
    // A column that is not a struct has no fields; neither has a field that is not one.
    let typing = FIXED.replace("where e.kind = 'post'", "where e.kind.");
    server.change("extra.kpi", 3, &typing);
    assert_eq!(fields(&mut server, 15), Vec::new());
    let typing = FIXED.replace("where e.kind = 'post'", "where e.context.ip.");
    server.change("extra.kpi", 4, &typing);
    assert_eq!(fields(&mut server, 21), Vec::new());
    server.stop();
}

#[test]
fn definition_goes_to_the_kpi_and_the_source_in_kpi_yaml() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    server.diagnostics("extra.kpi");
    let found = server.request("textDocument/definition", server.at("extra.kpi", 3, 10));
    assert_eq!(found["uri"], server.file_uri("activity.kpi"));
    assert_eq!(found["range"], range((3, 4), (3, 24)));
    let found = server.request("textDocument/definition", server.at("extra.kpi", 2, 8));
    assert_eq!(found["uri"], server.file_uri("kpi.yaml"));
    assert_eq!(found["range"], range((4, 2), (4, 8)));
    server.stop();
}

#[test]
fn rename_changes_a_kpi_in_every_file_that_reads_it() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    server.diagnostics("extra.kpi");
    let edit = server.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": server.file_uri("extra.kpi")},
               "position": {"line": 3, "character": 12}, "newName": "dau"}),
    );
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 2, "{edit}");
    let edits = |file: &str| {
        let mut ranges: Vec<Value> = changes[&server.file_uri(file)]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["newText"], "dau");
                e["range"].clone()
            })
            .collect();
        ranges.sort_by_key(|r| r["start"]["line"].as_u64());
        ranges
    };
    assert_eq!(
        edits("activity.kpi"),
        [range((3, 4), (3, 24)), range((80, 7), (80, 27))]
    );
    assert_eq!(edits("extra.kpi"), [range((3, 7), (3, 27))]);
    // Onto a name already taken, the rename is refused.
    let refused = server.call(
        "textDocument/rename",
        json!({"textDocument": {"uri": server.file_uri("extra.kpi")},
               "position": {"line": 3, "character": 12}, "newName": "Stickiness"}),
    );
    assert_eq!(refused["error"]["code"], -32803);
    assert_eq!(
        refused["error"]["message"],
        "a KPI or source named `Stickiness` already exists"
    );
    let refs = server.request(
        "textDocument/references",
        json!({"textDocument": {"uri": server.file_uri("activity.kpi")},
               "position": {"line": 3, "character": 6}, "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");
    server.stop();
}

#[test]
fn formatting_replaces_the_document_once_or_not_at_all() {
    let mut server = Server::start();
    let messy = "kpi messy {   from events e\n measure n=count(*) // how many\n}\n";
    server.open("messy.kpi", messy);
    server.diagnostics("messy.kpi");
    let params = json!({"textDocument": {"uri": server.file_uri("messy.kpi")},
                        "options": {"tabSize": 2, "insertSpaces": true}});
    let edits = server.request("textDocument/formatting", params.clone());
    assert_eq!(
        edits,
        json!([{"range": range((0, 0), (3, 0)),
                "newText": "kpi messy {\n  from events e\n  measure n = count(*) // how many\n}\n"}])
    );
    server.change("messy.kpi", 2, edits[0]["newText"].as_str().unwrap());
    assert_eq!(server.request("textDocument/formatting", params), json!([]));
    server.stop();
}

#[test]
fn symbols_lenses_and_the_generated_sql() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    server.diagnostics("extra.kpi");
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": server.file_uri("extra.kpi")}}),
    );
    assert_eq!(symbols[0]["name"], "posts");
    assert_eq!(symbols[0]["selectionRange"], range((1, 4), (1, 9)));
    let children: Vec<&Value> = symbols[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["name"])
        .collect();
    assert_eq!(children, [&json!("posts")]);
    let lenses = server.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": server.file_uri("extra.kpi")}}),
    );
    assert_eq!(lenses[0]["command"]["command"], "kpi.showSql");
    assert_eq!(lenses[0]["command"]["arguments"], json!(["posts"]));
    let sql = server.request(
        "workspace/executeCommand",
        json!({"command": "kpi.showSql", "arguments": ["posts"]}),
    );
    let sql = sql.as_str().unwrap();
    assert!(sql.contains("-- athena/posts/03_write.sql"), "{sql}");
    assert!(sql.contains("INSERT INTO"), "{sql}");
    server.stop();
}

#[test]
fn rename_of_a_measure_follows_its_checks_and_the_kpis_reading_it() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    server.diagnostics("extra.kpi");
    // `active` in `measure active = count(distinct e.member_id)` of daily_active_members.
    let edit = server.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": server.file_uri("activity.kpi")},
               "position": {"line": 8, "character": 12}, "newName": "members"}),
    );
    let mut ranges: Vec<Value> = edit["changes"][server.file_uri("activity.kpi")]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["range"].clone())
        .collect();
    ranges.sort_by_key(|r| r["start"]["line"].as_u64());
    // Its definition, its two checks, and `d.active` in stickiness (not `mo.active`).
    assert_eq!(
        ranges,
        [
            range((8, 10), (8, 16)),
            range((11, 8), (11, 14)),
            range((12, 8), (12, 14)),
            range((84, 24), (84, 30)),
        ]
    );
    assert_eq!(edit["changes"].as_object().unwrap().len(), 1, "{edit}");
    server.stop();
}

#[test]
fn an_edit_in_one_file_publishes_the_errors_it_causes_in_another() {
    let mut server = Server::start();
    server.open("extra.kpi", FIXED);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    assert_eq!(server.diagnostics("activity.kpi"), Vec::<Value>::new());
    let activity = std::fs::read_to_string(server.project.join("activity.kpi")).unwrap();
    let renamed = activity.replace("kpi daily_active_members {", "kpi dau {");
    server.open("activity.kpi", &renamed);
    // extra.kpi and stickiness (in activity.kpi) still read the old name.
    let extra = server.diagnostics("extra.kpi");
    assert_eq!(extra.len(), 1, "{extra:?}");
    assert_eq!(extra[0]["range"], range((3, 7), (3, 27)));
    assert_eq!(extra[0]["code"], "E0201");
    let found: Vec<(Value, Value)> = server
        .diagnostics("activity.kpi")
        .iter()
        .map(|d| (d["range"]["start"]["line"].clone(), d["code"].clone()))
        .collect();
    assert_eq!(
        found,
        [(json!(80), json!("E0201")), (json!(84), json!("E0404"))]
    );
    server.change("activity.kpi", 2, &activity);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    assert_eq!(server.diagnostics("activity.kpi"), Vec::<Value>::new());
    server.stop();
}

#[test]
fn ranges_count_utf16_code_units() {
    let mut server = Server::start();
    // `€` is one UTF-16 unit (three bytes), `𝄞` two (four bytes).
    let text = BROKEN.replace("where e.knd = 'post'", "where e.kind = '€𝄞' or e.knd = 'x'");
    server.open("extra.kpi", &text);
    let found = server.diagnostics("extra.kpi");
    assert_eq!(found.len(), 1, "{found:?}");
    // `  where e.kind = '€𝄞' or e.` is 28 units before `knd` (27 characters, 32 bytes).
    assert_eq!(found[0]["range"], range((3, 28), (3, 31)));
    assert_eq!(found[0]["code"], "E0202");
    server.stop();
}

/// The notifications of diagnostics for `file` received so far and not yet read.
fn unread(server: &mut Server, file: &str) -> usize {
    let wanted = uri(&server.project.join(file));
    server
        .pending
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == wanted
        })
        .count()
}

#[test]
fn on_a_slow_project_the_edited_file_is_checked_first_and_the_rest_follows() {
    // Every project counts as slow: an edit checks its file with only the files it reads,
    // then the whole project compiles on another thread.
    let mut server = Server::start_with(&[("KPI_LSP_SLOW_MS", "0")]);
    server.open("extra.kpi", FIXED);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    assert_eq!(server.diagnostics("activity.kpi"), Vec::<Value>::new());
    // A mistake: published once, from the file checked with what it reads (activity.kpi);
    // the whole compile finds the same and sends nothing more.
    server.change("extra.kpi", 2, BROKEN);
    let found = server.diagnostics("extra.kpi");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["range"], range((3, 10), (3, 13)));
    assert_eq!(found[0]["code"], "E0202");
    // A request reads the whole compile: it waits for it.
    let symbols = json!({"textDocument": {"uri": server.file_uri("extra.kpi")}});
    let listed = server.request("textDocument/documentSymbol", symbols.clone());
    assert_eq!(listed[0]["name"], "posts");
    assert_eq!(unread(&mut server, "extra.kpi"), 0);
    // A KPI named as one of conversations.kpi, which extra.kpi does not read: the file alone
    // is clean (an empty list, in place of the mistake's), then the whole compile finds the
    // name defined twice, the first definition in conversations.kpi.
    let twice = FIXED.replace("kpi posts {", "kpi thanks_by_department {");
    server.change("extra.kpi", 3, &twice);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    let found = server.diagnostics("extra.kpi");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "E0601");
    assert_eq!(found[0]["range"], range((1, 4), (1, 24)));
    let first = &found[0]["relatedInformation"][0]["location"];
    assert_eq!(first["uri"], server.file_uri("conversations.kpi"));
    server.request("textDocument/documentSymbol", symbols);
    // Fixed: both files clean again.
    server.change("extra.kpi", 4, FIXED);
    assert_eq!(server.diagnostics("extra.kpi"), Vec::<Value>::new());
    server.stop();
}
