//! What anyone who can reach a `listen` can make the command print or keep: every output of
//! `listen` (text, `-v`, `--json`, `--save`), and of `inspect` and `replay` reading what it
//! saved, holds no raw control character and no configured key's text, whatever field the
//! text arrived in: a body's values and member names, an activity type, the whole body, a
//! query parameter of another name, the path, a file name, an app's answer.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{listen, run, text, PATIENCE};

/// The key `listen` is configured with.
const KEY: &str = "s3cr3t-KEY-9f8e";
/// A second key, accepted while the first one is replaced.
const OLD_KEY: &str = "0ld-k3y-5a5a";

/// Characters a terminal acts on.
const RAW: [char; 6] = ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{85}', '\u{2028}'];

/// Fails if `text` holds a raw control character or a piece of either key.
fn assert_clean(what: &str, text: &str) {
    for c in RAW {
        assert!(!text.contains(c), "{what}: {c:?} raw in\n{text}");
    }
    for piece in [KEY, OLD_KEY, "s3cr3t", "9f8e", "0ld-k3y"] {
        assert!(!text.contains(piece), "{what}: {piece:?} in\n{text}");
    }
}

/// Sends `request` (a whole HTTP/1.1 request) over a plain socket; the response's status.
fn raw(address: &str, request: &[u8]) -> u16 {
    let address = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

fn post(address: &str, target: &str, body: &str) -> u16 {
    let request = format!(
        "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(address, request.as_bytes())
}

/// A valid payload of `kind` with `extra` members in its activity and the key in the body.
fn payload(kind: &str, extra: &str, lead: &str) -> String {
    format!(
        r#"{{"activity": {{"_id": "a1", "created_at": "2024-03-05T14:07:31Z", "type": {kind}{extra}}}, "lead": {{"_id": "l1", "name": {lead}}}, "handshake_key": "{KEY}"}}"#
    )
}

#[test]
fn nothing_from_a_request_reaches_any_output_raw_or_with_a_key() {
    let capture = common::temp_file("hostile-capture.ndjson");
    let keys = ["--key", KEY, "--key", OLD_KEY];
    let mut text_args = keys.to_vec();
    text_args.extend(["-v", "--save", capture.to_str().unwrap()]);
    let people = listen(&text_args, None);
    let mut json_args = keys.to_vec();
    json_args.push("--json");
    let machines = listen(&json_args, None);

    let hostile = r#""lead\u001b[2J\u0007\u202e\u0085\u2028""#;
    let requests: Vec<(String, String)> = vec![
        // An unknown type whose name and field names are escape sequences.
        (
            "/".into(),
            payload(
                hostile,
                r#", "\u001b[2J\u0007": 1, "x": "\u001b]0;title\u0007""#,
                r#""Acme""#,
            ),
        ),
        // The key in a note, in a lead's name, and under another member name.
        (
            "/".into(),
            payload(
                r#""note:created""#,
                &format!(r#", "note_content": "the key is {KEY}", "{OLD_KEY}": 1"#),
                &format!(r#""Lead {OLD_KEY}""#),
            ),
        ),
        // The key where a string is quoted in an error: as created_at, as the whole body.
        (
            "/".into(),
            payload(r#""lead:won""#, "", r#""Acme""#).replace("2024-03-05T14:07:31Z", KEY),
        ),
        ("/".into(), format!(r#""{KEY}""#)),
        (
            "/".into(),
            format!(r#"{{"{OLD_KEY}": 1, "{OLD_KEY}": 2, "handshake_key": "{KEY}"}}"#),
        ),
        // The key, escaped, in a body that is not JSON.
        ("/".into(), r#"{"note": "\u0073\u0033cr3t-KEY-9f8e"#.into()),
        // The key in a query parameter of another name, plain and percent-encoded, and in
        // the path.
        (
            format!("/?key={KEY}&handshake_key={KEY}"),
            payload(r#""lead:won""#, "", r#""Acme""#),
        ),
        (
            "/?token=%73%33cr3t-KEY-9f8e".into(),
            payload(r#""lead:won""#, "", r#""Acme""#),
        ),
        (
            format!("/hooks/{OLD_KEY}"),
            payload(r#""lead:won""#, "", r#""Acme""#),
        ),
    ];
    for listening in [&people, &machines] {
        for (target, body) in &requests {
            post(&listening.address, target, body);
        }
        // A head that declares a body no one would send.
        let huge = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\nConnection: close\r\n\r\n";
        assert_eq!(raw(&listening.address, huge.as_bytes()), 413);
    }
    let (status, mut printed, stderr) = people.stop();
    assert_eq!(status.code(), Some(1));
    printed.extend(stderr);
    let (_, json_lines, json_stderr) = machines.stop();
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert_eq!(saved.lines().count(), requests.len() + 1, "{saved}");
    assert_clean("listen", &printed.join("\n"));
    assert_clean("listen --json", &json_lines.join("\n"));
    assert_clean("listen --json, stderr", &json_stderr.join("\n"));
    assert_clean("listen --save", &saved);
    for line in &json_lines {
        serde_json::from_str::<serde_json::Value>(line).expect("each --json line is JSON");
    }
    // What was masked says so.
    let printed = printed.join("\n");
    assert!(printed.contains("the key is ***"), "{printed}");
    assert!(printed.contains("key=***"), "{printed}");
    assert!(printed.contains(r#"string "***""#), "{printed}");

    // Reading the capture back: inspect, then replay to a third listen.
    for args in [&[][..], &["--json"][..], &["-v"][..]] {
        let mut full = vec!["inspect"];
        full.extend_from_slice(args);
        full.push(capture.to_str().unwrap());
        let output = run(&full, Some(KEY), b"");
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert_clean("inspect of the capture", &text(&output));
    }
    let third = listen(&["--key", KEY], None);
    let replayed = run(
        &["replay", capture.to_str().unwrap(), "--to", &third.address],
        Some(KEY),
        b"",
    );
    assert_clean("replay", &text(&replayed));
    let (_, third_lines, _) = third.stop();
    assert_clean("the listen replayed to", &third_lines.join("\n"));
    let _ = std::fs::remove_file(&capture);
}

/// A capture line is untrusted too: whoever could write the file wrote every field.
#[test]
fn a_capture_line_made_up_to_harm_is_read_safely() {
    let capture = common::temp_file("made-up.ndjson");
    let nasty = "\u{1b}[2J\u{7}\r\n\u{202e}";
    let line = serde_json::json!({
        "received_at": "2026-12-01T10:00:00Z",
        "method": format!("POST{nasty}"),
        "path": format!("/{nasty}"),
        "query": "",
        "body": serde_json::Value::Null,
        "body_length": 1_000_000_000_000_000u64,
        "key": {"in_body": true, "in_query": false, "check": "matched"},
        "verdict": format!("refused{nasty}"),
        "status": 413,
        "error": format!("too large{nasty}"),
        "forwarded": {"error": format!("gone{nasty}"), "ms": 1.0},
    });
    let withheld = serde_json::json!({
        "received_at": "2026-12-01T10:00:01Z",
        "method": "POST",
        "path": "/",
        "query": "",
        "body": serde_json::Value::Null,
        "body_length": 200,
        "body_withheld": format!("held a key{nasty}"),
        "key": {"in_body": true, "in_query": false, "check": "matched"},
        "verdict": "accepted",
        "status": 204,
    });
    std::fs::write(&capture, format!("{line}\n{withheld}\n")).unwrap();
    let file = capture.to_str().unwrap();
    let output = run(&["inspect", file], None, b"");
    assert_clean("inspect", &text(&output));
    assert!(
        text(&output).contains(r"refused\u{1b}[2J"),
        "{}",
        text(&output)
    );
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", gone.local_addr().unwrap());
    // Neither line is sent: one has no body and declares 10^15 bytes (no allocation of
    // that), the other's body was withheld.
    let replayed = run(&["replay", file, "--to", &url], Some(KEY), b"");
    let all = text(&replayed);
    assert_eq!(replayed.status.code(), Some(1), "{all}");
    assert_clean("replay", &all);
    assert!(
        all.contains("0 sent: 0 answered 2xx, 0 not; 2 skipped"),
        "{all}"
    );
    assert!(all.contains("1000000000000000 bytes declared"), "{all}");
    assert!(all.contains("its body was not saved"), "{all}");
    let _ = std::fs::remove_file(&capture);
}

/// File names are printed escaped by every command that names a file.
#[cfg(unix)]
#[test]
fn a_file_name_that_writes_to_the_terminal_is_printed_escaped() {
    let dir = common::temp_file("names");
    std::fs::create_dir_all(&dir).unwrap();
    let name = dir.join("lead\u{1b}[2J\u{7}.json");
    std::fs::copy(common::root().join("fixtures/lead_won.json"), &name).unwrap();
    let bad = dir.join("bad\u{1b}]0;x\u{7}.json");
    std::fs::write(&bad, b"{\"activity\": 1}").unwrap();
    let missing = dir.join("gone\u{1b}[31m.json");
    let (name, bad, missing) = (
        name.to_str().unwrap(),
        bad.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    for args in [
        vec!["inspect", name, bad],
        vec!["inspect", "--json", name, bad],
        vec!["inspect", missing],
        vec!["send", &url, name],
        vec!["send", &url, missing],
        vec!["replay", name, "--to", &url],
        vec!["replay", missing, "--to", &url],
    ] {
        let output = run(&args, None, b"");
        assert_clean(&format!("{:?}", args[0]), &text(&output));
        assert!(
            text(&output).contains(r"\u{1b}"),
            "the name is shown, escaped: {}",
            text(&output)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `send` masks the keys of the files it sends in what the receiver echoes, with or without
/// `--key`; URLs are never printed with their key.
#[test]
fn send_and_listen_never_print_a_key_from_a_file_or_a_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut buffer = vec![0; 64 * 1024];
            let _ = stream.read(&mut buffer);
            let echo = "you sent gfhkd1asfsa";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{echo}",
                echo.len()
            );
        }
    });
    for args in [
        vec!["send", &url, "fixtures/lead_won.json"],
        vec!["send", &url, "--json", "-"],
    ] {
        let stdin = std::fs::read(common::root().join("fixtures/lead_won.json")).unwrap();
        let output = run(&args, None, &stdin);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(0), "{all}");
        assert!(all.contains("you sent ***"), "{all}");
        assert!(!all.contains("gfhkd1asfsa"), "{all}");
    }
    // Usage errors and the start-up banner name URLs without their keys.
    let with_key = format!("ftp://127.0.0.1/?handshake_key={KEY}");
    let output = run(&["send", &with_key, "--type", "lead:won"], None, b"");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_clean("send's usage error", &text(&output));
    let output = run(
        &["replay", "-", "--to", "nope?handshake_key=s3cr3t-KEY-9f8e"],
        None,
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_clean("replay's usage error", &text(&output));
    let forward = format!("http://127.0.0.1:9/app?handshake_key={KEY}&token={KEY}");
    let listening = listen(&["--key", KEY, "--forward-to", &forward], None);
    let listening_banner = listening.banner.join("\n");
    let (_, _, stderr) = listening.stop();
    let banner = format!("{}\n{}", listening_banner, stderr.join("\n"));
    assert_clean("listen's banner", &banner);
    assert!(
        banner.contains("forwarding accepted deliveries to http://127.0.0.1:9/app?token=***"),
        "{banner}"
    );
    let output = run(
        &[
            "listen",
            "--key",
            KEY,
            "--forward-to",
            &format!("gopher://x/?token={KEY}"),
        ],
        None,
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert_clean("listen's usage error", &text(&output));
}

/// What an app answers (it may echo the key it was forwarded) and what headers carry reach
/// no output raw or with a key: the capture, `inspect -v` of it, and the web view's API.
#[test]
fn an_apps_answer_and_the_headers_reach_no_output_raw_or_with_a_key() {
    let app = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app_url = format!("http://{}/app", app.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Some(Ok(mut stream)) = app.incoming().next() {
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut buffer = vec![0; 64 * 1024];
            let read = stream.read(&mut buffer).unwrap_or(0);
            // The forwarded request, key and all, echoed with what a terminal acts on.
            let echo = format!(
                "\u{1b}[2J\u{202e}<b>{}</b>",
                String::from_utf8_lossy(&buffer[..read])
            );
            let _ = write!(
                stream,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{echo}",
                echo.len()
            );
        }
    });
    let capture = common::temp_file("answers.ndjson");
    let file = capture.to_str().unwrap();
    let listening = listen(
        &[
            "--key",
            KEY,
            "-v",
            "--save",
            file,
            "--forward-to",
            &app_url,
            "--ui",
            "127.0.0.1:0",
        ],
        None,
    );
    let link = (0..10)
        .map(|_| listening.stderr_line())
        .find_map(|line| line.split("web view at http://").nth(1).map(str::to_owned))
        .expect("the web view's address");
    let (ui, open) = link.split_once('/').unwrap();
    let open = format!("/{}", open.split(' ').next().unwrap());
    let ui = ui.to_owned();
    let body = payload(r#""lead:won""#, "", r#""Acme""#);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Bidi: a\u{202e}b\r\nX-Token: {KEY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(raw(&listening.address, request.as_bytes()), 204);

    // The web view's API: the entry, with the app's answer and the headers, holds no key.
    let get = |target: &str, cookie: &str| {
        let mut stream = TcpStream::connect(&ui).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {ui}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    };
    // The one-time link opens a session, as a browser opens it.
    let opened = get(&open, "");
    let cookie = opened
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|set| set.split(';').next())
        .expect("the link's session")
        .to_owned();
    let page = get("/", &cookie);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let entries = get("/api/deliveries", &cookie);
    assert!(
        entries.contains("x-bidi") && entries.contains("<b>"),
        "{entries}"
    );
    for piece in [KEY, "s3cr3t", "9f8e"] {
        assert!(
            !entries.contains(piece),
            "{piece:?} in the web view's API: {entries}"
        );
        assert!(!page.contains(piece), "{piece:?} in the page");
    }
    let (_, out, err) = listening.stop();
    assert_clean("listen", &format!("{}\n{}", out.join("\n"), err.join("\n")));

    let saved = std::fs::read_to_string(&capture).unwrap();
    assert_clean("the capture", &saved);
    assert!(
        saved.contains("x-token") && saved.contains("\"***\""),
        "{saved}"
    );
    let inspected = run(&["inspect", "-v", file], None, b"");
    let all = text(&inspected);
    assert_clean("inspect -v", &all);
    assert!(all.contains(r"header:   x-bidi: a\u{202e}b"), "{all}");
    let _ = std::fs::remove_file(&capture);
}
