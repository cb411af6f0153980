//! AWS for the tests: a moto server on a free port of 127.0.0.1, and a recording,
//! fault-injecting HTTP proxy of our own between kpi and moto. moto does not page Glue's
//! answers, throttle, implement RedriveExecution, or fail an Athena query; the proxy does each
//! where a test asks, and records every request (its `X-Amz-Target` and JSON body) for the
//! test to assert on. Athena's query results are queued in moto itself
//! (`Moto::queue_athena_results`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    pub fn start(root: &Path) -> Moto {
        let server = root.join(".tools/moto/bin/moto_server");
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ALLOW_NONEXISTENT_REGION", "false")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server starts");
            let mut moto = Moto { child, port };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = moto.child.kill();
        }
        panic!("moto_server did not start on 127.0.0.1");
    }

    /// Calls moto directly (not through the proxy): the tests' own setup.
    pub fn call(&self, service: &str, target: &str, body: Value) -> Value {
        let (status, text) = post(self.port, service, target, &body.to_string());
        assert!(
            (200..300).contains(&status),
            "{target} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

impl Moto {
    /// Queues results for Athena's next queries, in order (`POST
    /// /moto-api/static/athena/query-results`): moto binds the first queued entry to each
    /// query as it starts, and GetQueryResults of that query returns it.
    pub fn queue_athena_results(&self, results: &[Value]) {
        let body = json!({"account_id": "123456789012", "region": "us-east-1", "results": results})
            .to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let request = format!(
            "POST /moto-api/static/athena/query-results HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let response = read_message(&mut BufReader::new(stream), true).expect("an answer");
        assert_eq!(
            response.status,
            201,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
    }
}

/// `X-Amz-Target` of each service's JSON protocol, and its signing name.
fn target_header(service: &str, operation: &str) -> (String, &'static str) {
    match service {
        "glue" => (format!("AWSGlue.{operation}"), "glue"),
        "sfn" => (format!("AWSStepFunctions.{operation}"), "states"),
        "athena" => (format!("AmazonAthena.{operation}"), "athena"),
        other => panic!("no such service {other}"),
    }
}

/// One JSON-protocol call over a fresh connection; the status and the body.
fn post(port: u16, service: &str, operation: &str, body: &str) -> (u16, String) {
    let (target, signing) = target_header(service, operation);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{signing}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let response = read_message(&mut BufReader::new(stream), true).expect("an answer");
    (
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    )
}

/// One HTTP message: the request line or status line, headers, body.
struct Message {
    start: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one message; `to_eof`: a response whose length is not given ends at EOF.
fn read_message(reader: &mut impl BufRead, to_eof: bool) -> Option<Message> {
    let mut start = String::new();
    if reader.read_line(&mut start).ok()? == 0 {
        return None;
    }
    let start = start.trim_end().to_string();
    let status = start
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut message = Message {
        start,
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(len) = message
        .header("content-length")
        .and_then(|l| l.parse().ok())
    {
        let mut body = vec![0; len];
        reader.read_exact(&mut body).ok()?;
        message.body = body;
    } else if message
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            message.body.extend_from_slice(&chunk[..size]);
        }
    } else if to_eof {
        reader.read_to_end(&mut message.body).ok()?;
    }
    Some(message)
}

/// One request the proxy saw: its operation (`AWSGlue.GetTables`) and JSON body.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub target: String,
    pub body: Value,
}

impl Recorded {
    /// The operation without its service prefix: `GetTables`.
    pub fn operation(&self) -> &str {
        self.target.rsplit('.').next().unwrap_or("")
    }
}

/// What the proxy does to requests of an operation instead of only passing them on.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer the next `times` requests with 400 and this error code.
    Error { code: String, times: usize },
    /// Answer every request with this 200 body (an operation moto lacks).
    Answer(Value),
    /// Cut the list at `key` of moto's answer into pages of `size`, with NextTokens.
    Page { key: String, size: usize },
    /// (On StartQueryExecution.) A query whose text contains `containing` starts in moto, but
    /// every GetQueryExecution of it answers FAILED with this reason: moto's queries always
    /// succeed.
    FailQuery { containing: String, reason: String },
}

#[derive(Default)]
struct State {
    recorded: Vec<Recorded>,
    faults: HashMap<String, Fault>,
    /// QueryExecutionIds that `Fault::FailQuery` fails, with the reason.
    failing: HashMap<String, String>,
}

/// The proxy, listening on `port` until the test ends.
#[derive(Clone)]
pub struct Proxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            state: Arc::default(),
        };
        let state = proxy.state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || serve(stream, upstream, &state));
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `operation` is the bare name (`GetTables`).
    pub fn fault(&self, operation: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .insert(operation.to_string(), fault);
    }

    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
    }

    /// Every request so far, in order; the record is emptied.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state.lock().unwrap().recorded)
    }
}

fn serve(stream: TcpStream, upstream: u16, state: &Mutex<State>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_message(&mut reader, false) {
        let target = request.header("x-amz-target").unwrap_or("").to_string();
        let operation = target.rsplit('.').next().unwrap_or("").to_string();
        let mut body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let fault = {
            let mut s = state.lock().unwrap();
            s.recorded.push(Recorded {
                target: target.clone(),
                body: body.clone(),
            });
            let fault = s.faults.get(&operation).cloned();
            if let Some(Fault::Error { code, times }) = &fault {
                if *times <= 1 {
                    s.faults.remove(&operation);
                } else {
                    s.faults.insert(
                        operation.clone(),
                        Fault::Error {
                            code: code.clone(),
                            times: times - 1,
                        },
                    );
                }
            }
            fault
        };
        let (status, answer) = match fault {
            Some(Fault::Error { code, .. }) => (
                400,
                json!({"__type": code, "message": format!("{code} injected by the test proxy")})
                    .to_string(),
            ),
            Some(Fault::Answer(v)) => (200, v.to_string()),
            Some(Fault::Page { key, size }) => {
                let page: usize = body
                    .get("NextToken")
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix("page-"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if let Some(o) = body.as_object_mut() {
                    o.remove("NextToken");
                }
                let (status, text) = forward(upstream, &request, &body.to_string());
                let mut answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let all = answer[&key].as_array().cloned().unwrap_or_default();
                let slice: Vec<Value> = all.iter().skip(page * size).take(size).cloned().collect();
                answer[&key] = Value::Array(slice);
                if (page + 1) * size < all.len() {
                    answer["NextToken"] = json!(format!("page-{}", page + 1));
                } else if let Some(o) = answer.as_object_mut() {
                    o.remove("NextToken");
                }
                (status, answer.to_string())
            }
            Some(Fault::FailQuery { containing, reason }) => {
                let (status, text) =
                    forward(upstream, &request, &String::from_utf8_lossy(&request.body));
                let query = body["QueryString"].as_str().unwrap_or("");
                if status == 200 && query.contains(&containing) {
                    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if let Some(id) = answer["QueryExecutionId"].as_str() {
                        state.lock().unwrap().failing.insert(id.to_string(), reason);
                    }
                }
                (status, text)
            }
            None => {
                let (status, text) =
                    forward(upstream, &request, &String::from_utf8_lossy(&request.body));
                let id = body["QueryExecutionId"].as_str().unwrap_or("");
                let reason = state.lock().unwrap().failing.get(id).cloned();
                match reason {
                    Some(reason) if operation == "GetQueryExecution" && status == 200 => {
                        let mut answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        answer["QueryExecution"]["Status"]["State"] = json!("FAILED");
                        answer["QueryExecution"]["Status"]["StateChangeReason"] = json!(reason);
                        answer["QueryExecution"]["Status"]["AthenaError"] = json!({
                            "ErrorCategory": 2, "ErrorType": 1000, "Retryable": false,
                            "ErrorMessage": reason
                        });
                        (status, answer.to_string())
                    }
                    _ => (status, text),
                }
            }
        };
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: test\r\n\
             Content-Length: {}\r\n\r\n{answer}",
            if status == 200 { "OK" } else { "Bad Request" },
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Passes a request on to moto as it came (with `body`), over a fresh connection.
fn forward(upstream: u16, request: &Message, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
    let mut head = format!("{}\r\n", request.start);
    for (k, v) in &request.headers {
        if !["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h))
        {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let response = read_message(&mut BufReader::new(stream), true).expect("moto answers");
    (
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    )
}

/// The environment of a kpi process that calls AWS through `proxy`, with fake credentials
/// and nothing of the machine's own AWS configuration.
pub fn aws_env(cmd: &mut Command, proxy: &Proxy, home: &Path) {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", proxy.url())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_SESSION_TOKEN");
}

/// Creates `database` in moto's Glue with every table of a snapshot (`{"TableList": …}`).
pub fn create_tables(moto: &Moto, database: &str, snapshot: &Value) {
    moto.call(
        "glue",
        "CreateDatabase",
        json!({"DatabaseInput": {"Name": database}}),
    );
    for table in snapshot["TableList"].as_array().unwrap() {
        let mut input = serde_json::Map::new();
        for key in [
            "Name",
            "Description",
            "Owner",
            "Retention",
            "StorageDescriptor",
            "PartitionKeys",
            "TableType",
            "Parameters",
        ] {
            if let Some(v) = table.get(key) {
                input.insert(key.to_string(), v.clone());
            }
        }
        moto.call(
            "glue",
            "CreateTable",
            json!({"DatabaseName": database, "TableInput": input}),
        );
    }
}

/// Adds partitions `key=day` of `database.table` (values in the table's key order: one key).
pub fn create_partitions(
    moto: &Moto,
    database: &str,
    table: &str,
    days: &[&str],
    parameters: &Value,
) {
    let described = moto.call(
        "glue",
        "GetTable",
        json!({"DatabaseName": database, "Name": table}),
    );
    let location = described["Table"]["StorageDescriptor"]["Location"]
        .as_str()
        .unwrap_or("s3://b/t/")
        .to_string();
    let inputs: Vec<Value> = days
        .iter()
        .map(|d| {
            let mut sd = described["Table"]["StorageDescriptor"].clone();
            sd["Location"] = json!(format!("{location}dt={d}/"));
            json!({"Values": [d], "StorageDescriptor": sd, "Parameters": parameters})
        })
        .collect();
    for chunk in inputs.chunks(100) {
        moto.call(
            "glue",
            "BatchCreatePartition",
            json!({"DatabaseName": database, "TableName": table, "PartitionInputList": chunk}),
        );
    }
}
