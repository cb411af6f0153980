//! A JSON-RPC peer over a child process's standard input and output, in the Language Server
//! Protocol's base framing (`Content-Length` headers): how `tests/lsp.rs` and `benches/lsp.rs`
//! speak to `kpi lsp`. Messages are read on a thread of their own, so every wait has a timeout
//! and a server that stops answering fails instead of hanging.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

pub struct Peer {
    pub child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Peer {
    /// Starts `command` with piped standard input and output (its standard error is ours).
    pub fn spawn(mut command: Command) -> Peer {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(body) = read_frame(&mut reader) {
                let message = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("a frame that is not JSON ({e})"));
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Peer {
            child,
            stdin,
            messages,
        }
    }

    pub fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message, within `timeout`.
    pub fn next(&self, timeout: Duration) -> Value {
        match self.messages.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {timeout:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One frame's body; `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length.unwrap_or_else(|| panic!("a frame without Content-Length"))];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}
