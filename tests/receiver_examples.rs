//! The example receivers as a user starts them: with the key from the environment, refusing to
//! start without one, and without verification only when told so explicitly. Each runs as a
//! child process on an ephemeral port of 127.0.0.1 and gets real HTTP requests.
#![cfg(any(feature = "axum", feature = "actix-web"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long an example may take to start (it may be built first) or to answer.
const PATIENCE: Duration = Duration::from_secs(180);

/// `cargo run --example NAME` with `args`, and the key variable set to `key` (or unset), on an
/// ephemeral port. The example is built with the features this test was built with (which
/// include the example's own), so that cargo finds the library already built by the test run
/// and builds at most the example, not the library again with other features.
fn example(name: &str, args: &[&str], key: Option<&str>) -> Command {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let features: Vec<&str> = [
        ("axum", cfg!(feature = "axum")),
        ("actix-web", cfg!(feature = "actix-web")),
        ("testing", cfg!(feature = "testing")),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect();
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "-q", "--example", name, "--features"])
        .arg(features.join(","))
        .arg("--manifest-path")
        .arg(&manifest);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    command
        .arg("--")
        .args(args)
        .env_remove("CLINCHPAD_HANDSHAKE_KEY")
        .env("BIND", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("CLINCHPAD_HANDSHAKE_KEY", key);
    }
    command
}

/// Runs a command that is expected to end by itself, within [`PATIENCE`].
fn run_to_end(mut command: Command) -> Output {
    let child = command.spawn().expect("cargo runs");
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    wait.recv_timeout(PATIENCE)
        .expect("the example ends by itself")
        .expect("its output is read")
}

/// A running example, stopped when dropped.
struct Running {
    child: Child,
    address: String,
    /// What it printed up to its "listening on" line.
    started: Vec<String>,
    log: mpsc::Receiver<String>,
}

impl Running {
    /// The next line of its log that holds `needle` (among the framework's own lines).
    fn next_line_with(&self, needle: &str) -> String {
        loop {
            let line = self
                .log
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no line with {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits for its "listening on http://ADDRESS/..." line.
fn start(mut command: Command) -> Running {
    let mut child = command.spawn().expect("cargo runs");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (line, log) = mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.send(text).is_err() {
                break;
            }
        }
    });
    let mut running = Running {
        child,
        address: String::new(),
        started: Vec::new(),
        log,
    };
    loop {
        let text = running
            .log
            .recv_timeout(PATIENCE)
            .expect("the example says where it listens");
        if let Some(rest) = text.split("listening on http://").nth(1) {
            running.address = rest.split('/').next().unwrap().to_owned();
            running.started.push(text);
            return running;
        }
        running.started.push(text);
    }
}

/// POSTs `body` to `path` on `address` over a plain socket; the response's status code.
fn post(address: &str, path: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).expect("the example accepts connections");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// The examples this build can run.
fn examples() -> Vec<&'static str> {
    let mut found = Vec::new();
    if cfg!(feature = "axum") {
        found.push("axum_receiver");
    }
    if cfg!(feature = "actix-web") {
        found.push("actix_receiver");
    }
    found
}

#[test]
fn an_example_receiver_refuses_to_start_without_a_key() {
    for name in examples() {
        for key in [None, Some("")] {
            let output = run_to_end(example(name, &[], key));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{name}, {key:?}: {stderr}");
            assert!(
                stderr.contains("CLINCHPAD_HANDSHAKE_KEY"),
                "{name}, {key:?}: {stderr}"
            );
            assert!(
                stderr.contains("--unverified"),
                "{name}: the way out is named\n{stderr}"
            );
            // What `main` returning the error prints is the message itself, not a struct.
            let problem = if key.is_some() { "empty" } else { "not set" };
            assert!(
                stderr.contains(&format!(
                    "Error: handshake key not configured: environment variable \"CLINCHPAD_HANDSHAKE_KEY\" is {problem};"
                )),
                "{name}, {key:?}: {stderr}"
            );
        }
        // A key read from a file with its newline is refused, naming the variable, not the key.
        let output = run_to_end(example(name, &[], Some("gfhkd1asfsa\n")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: {stderr}");
        assert!(
            stderr
                .contains("\"CLINCHPAD_HANDSHAKE_KEY\" is set with whitespace at its start or end"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("gfhkd1asfsa"), "{name}: {stderr}");
        // Both ways at once is a contradiction, not a choice to guess.
        let output = run_to_end(example(name, &["--unverified"], Some("k")));
        assert!(!output.status.success(), "{name}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("contradict"),
            "{name}"
        );
    }
}

#[test]
fn an_example_receiver_checks_the_key_from_the_environment() {
    for name in examples() {
        let running = start(example(name, &[], Some("gfhkd1asfsa")));
        let path = "/hooks/clinchpad";
        assert_eq!(
            post(&running.address, path, &fixture("lead_moved.json")),
            204,
            "{name}"
        );
        let forged = String::from_utf8(fixture("lead_moved.json"))
            .unwrap()
            .replace("gfhkd1asfsa", "forged");
        assert_eq!(
            post(&running.address, path, forged.as_bytes()),
            401,
            "{name}"
        );
        assert_eq!(post(&running.address, path, b"[]"), 400, "{name}");
        // Each delivery and each refusal is one line of the log (among the framework's own).
        let mut log = Vec::new();
        while log.len() < 3 {
            let line = running
                .log
                .recv_timeout(PATIENCE)
                .expect("a line per request");
            if line.contains("moved") || line.contains("refused") {
                log.push(line);
            }
        }
        assert!(
            log[0].contains("moved") && log[0].contains("INFO"),
            "{name}: {log:?}"
        );
        assert!(
            log[1].contains("refused") && log[1].contains("401"),
            "{name}: {log:?}"
        );
        assert!(
            log[2].contains("refused") && log[2].contains("400"),
            "{name}: {log:?}"
        );
        assert!(log
            .iter()
            .all(|line| !line.contains("gfhkd1asfsa") && !line.contains("forged")));

        // Text from the body cannot forge a line of the log, nor reach the terminal raw.
        let hostile = String::from_utf8(fixture("lead_moved.json"))
            .unwrap()
            .replace(
                "Acme Corp",
                r"Acme\n2026-01-01T00:00:00Z  INFO admin logged in\u001b[2J\u202e",
            );
        assert_eq!(
            post(&running.address, path, hostile.as_bytes()),
            204,
            "{name}"
        );
        let line = running.next_line_with("moved");
        assert!(
            line.contains(r"Acme\n2026-01-01T00:00:00Z  INFO admin logged in\u{1b}[2J\u{202e}"),
            "{name}: {line}"
        );
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{202e}'),
            "{name}: {line}"
        );
        let next = running
            .log
            .recv_timeout(std::time::Duration::from_millis(300));
        assert!(next.is_err(), "{name}: a forged line {next:?}");

        // A note that quotes the key is logged with the key masked.
        let quoting = String::from_utf8(fixture("note_created.json"))
            .unwrap()
            .replace("Spoke with the buyer.", "the key is gfhkd1asfsa, keep it");
        assert_eq!(
            post(&running.address, path, quoting.as_bytes()),
            204,
            "{name}"
        );
        let line = running.next_line_with("note");
        assert!(line.contains("the key is ***, keep it"), "{name}: {line}");
        assert!(!line.contains("gfhkd1asfsa"), "{name}: {line}");

        // A delivery that does not fit the documentation is taken, and logged with its error.
        let drifted = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/drift/product_price_empty_string.json"),
        )
        .unwrap();
        assert_eq!(post(&running.address, path, &drifted), 204, "{name}");
        let line = running.next_line_with("does not fit");
        assert!(
            line.contains("WARN") && line.contains("`activity.product_price`"),
            "{name}: {line}"
        );
        assert!(line.contains("type=product:added"), "{name}: {line}");
    }
}

#[test]
fn an_example_receiver_runs_unverified_only_when_told_and_says_so() {
    for name in examples() {
        let running = start(example(name, &["--unverified"], None));
        let forged = String::from_utf8(fixture("lead_moved.json"))
            .unwrap()
            .replace("gfhkd1asfsa", "forged");
        assert_eq!(
            post(&running.address, "/hooks/clinchpad", forged.as_bytes()),
            204,
            "{name}"
        );
        let started = &running.started;
        assert!(
            started
                .iter()
                .any(|line| line.contains("WARN") && line.contains("--unverified")),
            "{name}: no warning in {started:?}"
        );
    }
}
