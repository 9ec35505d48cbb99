//! `listen`, `send` and `replay` together, as a user runs them: the built binary as child
//! processes on 127.0.0.1, every wait bounded, every child stopped at the end.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use clinchpad_webhook::ActivityType;
use common::{listen, run, text, PATIENCE};

const KEY: &str = "gfhkd1asfsa";

/// `send URL ARGS`, with the key variable set to `env_key`.
fn send(url: &str, args: &[&str], env_key: Option<&str>, stdin: &[u8]) -> std::process::Output {
    let mut full = vec!["send", url];
    full.extend_from_slice(args);
    run(&full, env_key, stdin)
}

/// The lines of a child's standard output.
fn stdout_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A line of `listen` for people, without its leading time (`HH:MM:SS.mmm  `), which is
/// checked to be one.
fn untimed(line: &str) -> &str {
    let (time, rest) = line.split_at(14);
    let digits: Vec<&str> = time.trim_end().split([':', '.']).collect();
    assert!(
        digits.len() == 4 && digits.iter().all(|d| d.chars().all(|c| c.is_ascii_digit())),
        "no time at the start of {line:?}"
    );
    assert_eq!(&time[12..], "  ", "{line:?}");
    rest
}

#[test]
fn every_sample_type_is_accepted_and_shown_one_line_each() {
    let listening = listen(&["--key", KEY], None);
    let output = send(&listening.address, &["--type", "all"], Some(KEY), b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let sent = stdout_lines(&output);
    assert_eq!(sent.len(), ActivityType::ALL.len() + 1, "{sent:?}");
    let shown = listening.lines(ActivityType::ALL.len());
    for ((line, answer), activity_type) in shown.iter().zip(&sent).zip(ActivityType::ALL) {
        assert!(
            untimed(line).starts_with(&format!("204 accepted  {activity_type}  Acme Corp")),
            "{line}"
        );
        assert!(
            answer.starts_with("204 ") && answer.contains(activity_type.as_str()),
            "{answer}"
        );
    }
    assert_eq!(sent.last().unwrap(), "33 sent: 33 answered 2xx, 0 not");
    let (status, rest, stderr) = listening.stop();
    assert!(status.success(), "{rest:?} {stderr:?}");
    assert_eq!(
        stderr.last().map(String::as_str),
        Some("stopped: 33 request(s), 33 accepted, 0 refused or not answered 2xx")
    );
}

/// The output for people, when it is not a terminal, byte for byte but for the time: no
/// colour, one line per delivery, the caret under the error of a body that does not fit (taken,
/// as drifted) or is not JSON (refused).
#[test]
fn the_output_for_people_is_exactly_this() {
    let listening = listen(&["--key", KEY], None);
    let url = listening.address.clone();
    assert_eq!(
        send(&url, &["--type", "lead:moved"], Some(KEY), b"")
            .status
            .code(),
        Some(0)
    );
    let wrong = send(
        &url,
        &["--type", "lead:won", "--key", "guess-f00d"],
        None,
        b"",
    );
    assert_eq!(wrong.status.code(), Some(1));
    let drifted = r#"{"activity": {"_id": "a", "type": "lead:won", "created_at": "10 Jan"}, "lead": {"_id": "l"}}"#;
    let column = drifted.find("\"10 Jan\"").unwrap() + 1;
    let taken = send(
        &url,
        &["-", "--key-in", "query"],
        Some(KEY),
        drifted.as_bytes(),
    );
    assert_eq!(taken.status.code(), Some(0), "{}", text(&taken));
    let broken = r#"{"activity": {"_id": "a", "type"; "lead:won"}}"#;
    let broken_at = broken.find(';').unwrap() + 1;
    let refused = send(
        &url,
        &["-", "--key-in", "query"],
        Some(KEY),
        broken.as_bytes(),
    );
    assert_eq!(refused.status.code(), Some(1));
    let query = send(
        &url,
        &["--type", "note:created", "--key-in", "query"],
        Some(KEY),
        b"",
    );
    assert_eq!(query.status.code(), Some(0));

    let lines = listening.lines(10);
    assert_eq!(
        untimed(&lines[0]),
        r#"204 accepted  lead:moved  Acme Corp  old_stage_name="Contact Made" new_stage_name="Offer"  by Dana Whitfield"#
    );
    assert_eq!(
        untimed(&lines[1]),
        "401 refused   handshake key does not match the expected key (key in the body)"
    );
    // Taken, not as documented: the type, then the error, the body's line and the caret under
    // the column (not timed, checked whole).
    assert_eq!(untimed(&lines[2]), "204 drifted   lead:won");
    assert_eq!(
        lines[3],
        format!(
            r#"    invalid payload at `activity.created_at`, line 1, column {column}: invalid timestamp "10 Jan", expected RFC 3339 such as "2014-01-10T09:37:58Z""#
        )
    );
    assert_eq!(lines[4], format!("    1 | {drifted}"));
    assert_eq!(lines[5], format!("      | {}^", " ".repeat(column - 1)));
    // Not JSON: refused, the error on its line.
    assert_eq!(
        untimed(&lines[6]),
        format!("400 refused   body is not JSON: expected `:` at line 1, column {broken_at}")
    );
    assert_eq!(lines[7], format!("    1 | {broken}"));
    assert_eq!(lines[8], format!("      | {}^", " ".repeat(broken_at - 1)));
    assert_eq!(
        untimed(&lines[9]),
        r#"204 accepted  note:created  Acme Corp  note_content="Asked for a quote for 20 seats."  by Dana Whitfield"#
    );
    assert!(
        lines.iter().all(|line| !line.contains('\u{1b}')),
        "colour off a terminal"
    );

    // `send`'s own lines: the status, the time, the type, where it came from, the answer.
    let answer = stdout_lines(&wrong);
    assert!(
        answer[0].starts_with("401 ")
            && answer[0]
                .ends_with("  lead:won  sample  handshake key does not match the expected key"),
        "{answer:?}"
    );
    let (status, _, _) = listening.stop();
    assert_eq!(status.code(), Some(1), "some request was refused");
}

#[test]
fn a_wrong_key_a_bad_body_and_an_oversized_body_are_refused_and_shown() {
    let listening = listen(&["--key", KEY, "--body-limit", "2000"], None);
    let url = listening.address.clone();
    // Wrong key, in the body or the query.
    let wrong = send(
        &url,
        &["--type", "lead:won", "--key", "s3cr3t-wrong-9f8e"],
        None,
        b"",
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stdout_lines(&wrong)[0].starts_with("401 "),
        "{}",
        text(&wrong)
    );
    let wrong = send(
        &url,
        &[
            "--type",
            "lead:won",
            "--key",
            "s3cr3t-wrong-9f8e",
            "--key-in",
            "query",
        ],
        None,
        b"",
    );
    assert!(
        stdout_lines(&wrong)[0].starts_with("401 "),
        "{}",
        text(&wrong)
    );
    // No key at all.
    let none = send(&url, &["--type", "lead:won"], None, b"");
    assert!(
        stdout_lines(&none)[0].contains("handshake key missing"),
        "{}",
        text(&none)
    );
    // A body that is not JSON: 400, with where.
    let bad = send(&url, &["-"], Some(KEY), b"{\"activity\": [}");
    assert!(
        stdout_lines(&bad)[0].starts_with("400 ") && text(&bad).contains("body is not JSON"),
        "{}",
        text(&bad)
    );
    // Over the limit.
    let big = format!("{{\"lead\": \"{}\"}}", "x".repeat(3000));
    let over = send(&url, &["-"], Some(KEY), big.as_bytes());
    assert!(
        stdout_lines(&over)[0].starts_with("413 "),
        "{}",
        text(&over)
    );

    // Five requests; the bad body's line is followed by two of caret.
    let shown: Vec<String> = listening
        .lines(7)
        .into_iter()
        .filter(|line| !line.starts_with(' '))
        .collect();
    let statuses: Vec<&str> = shown.iter().map(|line| &untimed(line)[..11]).collect();
    assert_eq!(
        statuses,
        [
            "401 refused",
            "401 refused",
            "401 refused",
            "400 refused",
            "413 refused"
        ]
    );
    assert!(
        shown[1].ends_with("(key in the query)") && shown[2].ends_with("(no key)"),
        "{shown:?}"
    );
    let (status, mut rest, stderr) = listening.stop();
    assert_eq!(status.code(), Some(1));
    rest.extend(stderr);
    for text in shown
        .iter()
        .chain(&rest)
        .map(String::as_str)
        .chain([text(&wrong).as_str()])
    {
        assert!(!text.contains("s3cr3t") && !text.contains(KEY), "{text}");
    }
}

#[test]
fn a_capture_replayed_to_a_second_listen_gets_the_same_answers() {
    let capture = common::temp_file("capture.ndjson");
    let first = listen(
        &[
            "--key",
            KEY,
            "--body-limit",
            "4000",
            "--save",
            capture.to_str().unwrap(),
        ],
        None,
    );
    let url = first.address.clone();
    send(
        &url,
        &["--type", "lead:moved", "--type", "todo:created"],
        Some(KEY),
        b"",
    );
    send(
        &url,
        &["--type", "lead:won", "--key-in", "query"],
        Some(KEY),
        b"",
    );
    send(
        &url,
        &["--type", "lead:lost", "--key", "s3cr3t-wrong-9f8e"],
        None,
        b"",
    );
    send(&url, &["--type", "lead:lost"], None, b"");
    // Taken as drifted, and refused as not JSON.
    send(&url, &["-"], Some(KEY), b"{\"activity\": {\"_id\": 5}}");
    send(&url, &["-"], Some(KEY), b"{\"activity\": {\"_id\": 5}");
    send(
        &url,
        &["-"],
        Some(KEY),
        format!("{{\"x\": \"{}\"}}", "y".repeat(5000)).as_bytes(),
    );
    let (_, first_lines, _) = first.stop();
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert_eq!(saved.lines().count(), 8, "{saved}");
    assert!(
        !saved.contains(KEY) && !saved.contains("s3cr3t"),
        "a key was saved:\n{saved}"
    );
    let statuses = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| !l.starts_with("    "))
            .map(|l| untimed(l)[..3].to_owned())
            .collect()
    };
    let first_statuses = statuses(&first_lines);
    assert_eq!(
        first_statuses,
        ["204", "204", "204", "401", "401", "204", "400", "413"]
    );

    let second = listen(&["--key", KEY, "--body-limit", "4000"], None);
    let replayed = run(
        &["replay", capture.to_str().unwrap(), "--to", &second.address],
        Some(KEY),
        b"",
    );
    assert_eq!(replayed.status.code(), Some(1), "{}", text(&replayed));
    let answers: Vec<String> = stdout_lines(&replayed)
        .iter()
        .take(8)
        .map(|l| l[..3].to_owned())
        .collect();
    assert_eq!(answers, first_statuses, "{}", text(&replayed));
    let (_, second_lines, _) = second.stop();
    assert_eq!(statuses(&second_lines), first_statuses);
    // The same deliveries, as the second receiver saw them.
    let gist = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.contains("accepted") || l.contains("drifted"))
            .map(|l| untimed(l).to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(gist(&second_lines), gist(&first_lines));

    // Only the failed ones, only one type.
    let third = listen(&["--key", KEY, "--body-limit", "4000"], None);
    let failed = run(
        &[
            "replay",
            capture.to_str().unwrap(),
            "--to",
            &third.address,
            "--only-failed",
            "--json",
        ],
        Some(KEY),
        b"",
    );
    let answers: Vec<serde_json::Value> = stdout_lines(&failed)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        answers
            .iter()
            .map(|a| a["status"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [401, 401, 400, 413]
    );
    let typed = run(
        &[
            "replay",
            capture.to_str().unwrap(),
            "--to",
            &third.address,
            "--type",
            "lead:moved",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(typed.status.code(), Some(0), "{}", text(&typed));
    assert_eq!(stdout_lines(&typed).len(), 1, "{}", text(&typed));
    let _ = std::fs::remove_file(&capture);
}

/// A small app on 127.0.0.1 that answers `status` to each of `count` requests and hands over
/// what it got: the request line and the body.
fn app(status: u16, count: usize) -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    answering(status, "", count)
}

/// [`app`], answering with the body `answer`.
fn answering(
    status: u16,
    answer: &'static str,
    count: usize,
) -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (got, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            got.send((request_line.trim().to_owned(), body)).unwrap();
        }
    });
    (address, received)
}

#[test]
fn accepted_deliveries_are_forwarded_with_their_body_and_query() {
    let (app_url, received) = app(200, 2);
    let listening = listen(
        &[
            "--key",
            KEY,
            "--forward-to",
            &format!("{app_url}/hooks?from=listen"),
        ],
        None,
    );
    let url = listening.address.clone();
    send(
        &format!("{url}/?source=crm"),
        &["--type", "lead:moved"],
        Some(KEY),
        b"",
    );
    send(
        &url,
        &["--type", "lead:won", "--key-in", "query"],
        Some(KEY),
        b"",
    );
    // A refused delivery is not forwarded.
    send(&url, &["--type", "lead:lost", "--key", "nope"], None, b"");

    let (line, body) = received.recv_timeout(PATIENCE).unwrap();
    assert_eq!(line, "POST /hooks?from=listen&source=crm HTTP/1.1");
    let payload = clinchpad_webhook::parse(&body).unwrap();
    assert_eq!(payload.activity.kind.type_name(), "lead:moved");
    assert!(
        payload.handshake_key.unwrap().matches(KEY),
        "the key goes on to the app"
    );
    let (line, _) = received.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        line,
        format!("POST /hooks?from=listen&handshake_key={KEY} HTTP/1.1")
    );

    let shown = listening.lines(3);
    assert!(shown[0].contains("→ app 200 in "), "{shown:?}");
    assert!(shown[1].contains("→ app 200 in "), "{shown:?}");
    assert!(!shown[2].contains("→ app"), "{shown:?}");
    assert!(!shown.iter().any(|line| line.contains(KEY)), "{shown:?}");
    let (status, _, _) = listening.stop();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn an_app_that_fails_or_is_gone_is_shown_and_counted() {
    let (app_url, _received) = app(500, 1);
    let listening = listen(&["--key", KEY, "--forward-to", &app_url], None);
    send(
        &listening.address,
        &["--type", "lead:moved"],
        Some(KEY),
        b"",
    );
    assert!(listening.lines(1)[0].contains("→ app 500 in "));
    let (status, _, stderr) = listening.stop();
    assert_eq!(status.code(), Some(1), "{stderr:?}");

    // Nothing listens there any more.
    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let listening = listen(
        &["--key", KEY, "--forward-to", &format!("http://{gone}")],
        None,
    );
    // The key in the query, which goes on to the app: the error shows no URL.
    let answer = send(
        &listening.address,
        &["--type", "lead:moved", "--key-in", "query"],
        Some(KEY),
        b"",
    );
    // The delivery itself was accepted: the sender gets 204 whatever the app does.
    assert_eq!(answer.status.code(), Some(0));
    let line = &listening.lines(1)[0];
    assert!(line.contains("→ app unreachable: "), "{line}");
    assert!(!line.contains(KEY), "{line}");
}

#[test]
fn listen_refuses_to_start_without_a_key_unless_told_to_check_none() {
    for (args, env_key, says) in [
        (&[][..], None, "no handshake key"),
        (
            &[][..],
            Some(""),
            "CLINCHPAD_HANDSHAKE_KEY is set but empty",
        ),
        (&["--key", ""][..], None, "--key is empty"),
        (&["--unverified"][..], Some(KEY), "contradict"),
        (
            &["--unverified", "--key", KEY][..],
            None,
            "cannot be used with",
        ),
        (
            &["--addr", "not an address"][..],
            Some(KEY),
            "cannot listen on",
        ),
    ] {
        let mut full = vec!["listen"];
        full.extend_from_slice(args);
        let output = run(&full, env_key, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
    // With --unverified, anything valid goes, and the banner says so.
    let listening = listen(&["--unverified"], None);
    assert!(
        listening
            .banner
            .iter()
            .any(|line| line.contains("NOT checking")),
        "{:?}",
        listening.banner
    );
    let answer = send(
        &listening.address,
        &["--type", "lead:won", "--key", "anything"],
        None,
        b"",
    );
    assert_eq!(answer.status.code(), Some(0), "{}", text(&answer));
}

#[test]
fn json_lines_for_scripts_hold_no_key() {
    let listening = listen(&["--key", KEY, "--json"], None);
    send(
        &listening.address,
        &["--type", "lead:moved"],
        Some(KEY),
        b"",
    );
    send(
        &format!("{}/?handshake_key=s3cr3t-wrong&x=1", listening.address),
        &["--type", "lead:won"],
        None,
        b"",
    );
    let lines = listening.lines(2);
    let accepted: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(accepted["status"], 204);
    assert_eq!(accepted["type"], "lead:moved");
    assert_eq!(accepted["key"]["check"], "matched");
    let refused: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["error"]["kind"], "wrong_key");
    assert_eq!(refused["query"], "x=1");
    assert!(
        lines
            .iter()
            .all(|line| !line.contains("s3cr3t") && !line.contains(KEY)),
        "{lines:?}"
    );
}

#[test]
fn send_says_what_is_wrong_with_its_arguments() {
    for (args, says) in [
        (&["--type", "lead:flown"][..], "unknown activity type"),
        (&[][..], "nothing to send"),
        (&["fixtures/no_such_file.json"][..], "cannot read"),
    ] {
        let output = send("http://127.0.0.1:9/", args, None, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
    let output = send("ftp://127.0.0.1/", &["--type", "lead:won"], None, b"");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    // Nothing listening: a failure of the delivery, said, exit 1.
    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = send(
        &format!("http://{gone}/"),
        &["--type", "lead:won"],
        None,
        b"",
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        stdout_lines(&output)[0].starts_with("no answer "),
        "{}",
        text(&output)
    );
    // A refusal is an answer: exit 1, its status shown.
    let listening = listen(&["--key", KEY], None);
    let refused = send(
        &listening.address,
        &["--type", "lead:won", "--key", "nope"],
        None,
        b"",
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        stdout_lines(&refused)[0].starts_with("401 "),
        "{}",
        text(&refused)
    );
}

#[test]
fn ctrl_c_stops_listen_cleanly_with_every_request_saved() {
    let capture = common::temp_file("interrupt.ndjson");
    let listening = listen(&["--key", KEY, "--save", capture.to_str().unwrap()], None);
    let sent = send(&listening.address, &["--type", "all"], Some(KEY), b"");
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    let (status, _, stderr) = listening.interrupt();
    assert!(status.success(), "{stderr:?}");
    assert!(
        stderr
            .iter()
            .any(|line| line.starts_with("stopped: 33 request(s)")),
        "{stderr:?}"
    );
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert_eq!(saved.lines().count(), 33);
    for line in saved.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["status"], 204);
        assert_eq!(record["key"]["check"], "matched");
    }
    let _ = std::fs::remove_file(&capture);
}

/// Text from a body, and from an answer, is printed escaped, in every mode, and saved as JSON.
#[test]
fn text_from_a_body_or_an_answer_reaches_no_output_raw() {
    let capture = common::temp_file("raw.ndjson");
    let text = listen(
        &["--key", KEY, "-v", "--save", capture.to_str().unwrap()],
        None,
    );
    let json = listen(&["--key", KEY, "--json"], None);
    let hostile = std::fs::read_to_string(common::root().join("fixtures/lead_moved.json"))
        .unwrap()
        .replace("Acme Corp", r"Acme\u001b[2J\r\n[INFO] forged\u202e")
        .replace("Contact Made", "Contact\\u0007 Made");
    // Raw control characters are not JSON: refused, and the snippet shows them escaped.
    let broken = "{\"activity\": \"\u{1b}[2J\u{7}\"}";
    for listening in [&text, &json] {
        assert_eq!(
            send(&listening.address, &["-"], Some(KEY), hostile.as_bytes())
                .status
                .code(),
            Some(0)
        );
        assert_eq!(
            send(&listening.address, &["-"], Some(KEY), broken.as_bytes())
                .status
                .code(),
            Some(1)
        );
    }
    let mut shown = text.lines(2 + 8 + 2);
    shown.extend(json.lines(2));
    for line in &shown {
        for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
            assert!(!line.contains(c), "{c:?} raw in {line:?}");
        }
    }
    assert!(
        shown[0].contains(r"Acme\u{1b}[2J\r\n[INFO] forged\u{202e}"),
        "{}",
        shown[0]
    );
    assert!(
        shown.iter().any(|line| line.contains(r"\u{1b}[2J\u{7}")),
        "the snippet: {shown:?}"
    );
    let (_, _, _) = text.stop();
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert!(!saved.contains('\u{1b}') && !saved.contains(KEY), "{saved}");
    let _ = std::fs::remove_file(&capture);

    // An app that echoes the key and control characters back: `send` prints neither.
    let (url, _received) = answering(200, "got gfhkd1asfsa \u{1b}[31m\u{202e}", 2);
    for args in [
        &["--type", "lead:won"][..],
        &["--type", "lead:won", "--json"][..],
    ] {
        let output = send(&url, args, Some(KEY), b"");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(printed.contains("got *** "), "{printed}");
        assert!(
            !printed.contains(KEY) && !printed.contains('\u{1b}') && !printed.contains('\u{202e}'),
            "{printed}"
        );
    }
}

/// An app that takes the forwarded request and never answers; says when it has it.
fn silent_app() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (got, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(1) {
            let mut stream = stream.unwrap();
            let mut buffer = [0; 4096];
            let _ = stream.read(&mut buffer);
            let _ = got.send(());
            // Held open, unanswered, until the test process ends.
            held.push(stream);
        }
        std::thread::sleep(PATIENCE);
    });
    (address, received)
}

/// A verified delivery still waiting on the app when the stop's 5 s are over is answered 503,
/// shown, saved with its body and counted as dropped, and `listen` exits 1; replayed, it is
/// delivered.
#[test]
fn a_request_in_flight_when_listen_stops_is_saved_as_dropped_not_lost() {
    let capture = common::temp_file("dropped.ndjson");
    let (app_url, forwarded) = silent_app();
    let listening = listen(
        &[
            "--key",
            KEY,
            "--save",
            capture.to_str().unwrap(),
            "--forward-to",
            &app_url,
        ],
        None,
    );
    let url = listening.address.clone();
    let sender = std::thread::spawn(move || send(&url, &["--type", "lead:moved"], Some(KEY), b""));
    forwarded
        .recv_timeout(PATIENCE)
        .expect("the delivery reaches the app");
    let (status, lines, stderr) = listening.stop();
    assert_eq!(status.code(), Some(1), "{lines:?} {stderr:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        untimed(&lines[0]).starts_with("503 dropped   lead:moved  Acme Corp")
            && lines[0].ends_with("→ app no answer before listen stopped"),
        "{lines:?}"
    );
    assert!(
        stderr.last().unwrap().starts_with(
            "stopped: 1 request(s), 0 accepted, 0 refused or not answered 2xx, 1 dropped"
        ),
        "{stderr:?}"
    );
    let answered = sender.join().unwrap();
    assert_eq!(answered.status.code(), Some(1), "{}", text(&answered));
    assert!(
        stdout_lines(&answered)[0].starts_with("503 "),
        "{}",
        text(&answered)
    );

    let saved = std::fs::read_to_string(&capture).unwrap();
    let record: serde_json::Value = serde_json::from_str(saved.trim()).unwrap();
    assert_eq!(record["verdict"], "dropped");
    assert_eq!(record["status"], 503);
    assert_eq!(record["key"]["check"], "matched");
    assert!(
        record["body"].as_str().unwrap().contains("lead:moved"),
        "{record}"
    );

    // Nothing is lost: the dropped delivery is replayed, and accepted.
    let second = listen(&["--key", KEY], None);
    let replayed = run(
        &[
            "replay",
            capture.to_str().unwrap(),
            "--to",
            &second.address,
            "--only-failed",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(replayed.status.code(), Some(0), "{}", text(&replayed));
    assert!(untimed(&second.lines(1)[0]).starts_with("204 accepted  lead:moved"));
    let _ = std::fs::remove_file(&capture);
}

/// A connection that holds no request (half a request head, or idle) neither holds the stop
/// up nor counts as a dropped request.
#[test]
fn half_a_request_head_does_not_hold_the_stop_up() {
    let listening = listen(&["--key", KEY], None);
    let address = listening.address.trim_start_matches("http://").to_owned();
    let mut half = std::net::TcpStream::connect(&address).unwrap();
    half.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    let _idle = std::net::TcpStream::connect(&address).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let started = std::time::Instant::now();
    let (status, lines, stderr) = listening.stop();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0), "{lines:?} {stderr:?}");
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(
        stderr.last().map(String::as_str),
        Some("stopped: 0 request(s), 0 accepted, 0 refused or not answered 2xx")
    );
    // The stop waits up to 5 s for requests in flight; with none, it does not wait that long.
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
}

/// A body `--save` did not keep (it held the key outside `handshake_key`) is not replayed as
/// something else: the line is skipped, said and counted.
#[test]
fn replay_skips_what_the_capture_does_not_hold() {
    let capture = common::temp_file("withheld.ndjson");
    let first = listen(&["--key", KEY, "--save", capture.to_str().unwrap()], None);
    let quoting = std::fs::read_to_string(common::root().join("fixtures/note_created.json"))
        .unwrap()
        .replace("Spoke with the buyer.", "the key is gfhkd1asfsa");
    assert_eq!(
        send(&first.address, &["-"], Some(KEY), quoting.as_bytes())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        send(&first.address, &["--type", "lead:won"], Some(KEY), b"")
            .status
            .code(),
        Some(0)
    );
    first.stop();
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert!(!saved.contains(KEY), "{saved}");

    let second = listen(&["--key", KEY], None);
    let replayed = run(
        &["replay", capture.to_str().unwrap(), "--to", &second.address],
        Some(KEY),
        b"",
    );
    let all = text(&replayed);
    assert_eq!(replayed.status.code(), Some(1), "{all}");
    assert!(
        all.contains(":1: skipped: its body was not saved (a configured key appears in it outside `handshake_key`)"),
        "{all}"
    );
    assert!(
        all.contains("1 sent: 1 answered 2xx, 0 not; 1 skipped"),
        "{all}"
    );
    let (_, lines, _) = second.stop();
    assert_eq!(lines.len(), 1, "only the kept body is sent: {lines:?}");
    assert!(
        untimed(&lines[0]).starts_with("204 accepted  lead:won"),
        "{lines:?}"
    );
    let _ = std::fs::remove_file(&capture);
}

/// `replay` warns of requests sent without the key they had, and only of those.
#[test]
fn replay_warns_only_of_keys_it_cannot_put_back() {
    let listening = listen(&["--unverified"], None);
    // Payloads (not capture lines) carry their own key: nothing to warn of.
    let stream: String = ["lead_won.json", "lead_lost.json"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(common::root().join("fixtures").join(name)).unwrap();
            format!(
                "{}\n",
                serde_json::from_str::<serde_json::Value>(&text).unwrap()
            )
        })
        .collect();
    let plain = run(
        &["replay", "-", "--to", &listening.address],
        None,
        stream.as_bytes(),
    );
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain));
    assert!(!text(&plain).contains("no key given"), "{}", text(&plain));
    // Capture lines that had a key, replayed with none: said, in one whole sentence.
    let line = serde_json::json!({
        "received_at": "2026-12-01T10:00:00Z", "method": "POST", "path": "/", "query": "",
        "body": std::fs::read_to_string(common::root().join("fixtures/edge/no_handshake_key.json")).unwrap(),
        "key": {"in_body": true, "in_query": false, "check": "matched"},
        "verdict": "accepted", "status": 204,
    });
    let keyed = run(
        &["replay", "-", "--to", &listening.address],
        None,
        format!("{line}\n").as_bytes(),
    );
    assert!(
        text(&keyed).contains(
            "no key given (--key or CLINCHPAD_HANDSHAKE_KEY): 1 captured request(s) that carried a \
             key are sent without one, so a receiver that checks keys will refuse them"
        ),
        "{}",
        text(&keyed)
    );
}

/// `inspect` reads what `listen --save` wrote: each request's verdict, status and key as
/// listen saw them, and its body as a payload.
#[test]
fn inspect_reads_a_capture() {
    let capture = common::temp_file("inspected.ndjson");
    let listening = listen(&["--key", KEY, "--save", capture.to_str().unwrap()], None);
    send(
        &listening.address,
        &["--type", "lead:moved"],
        Some(KEY),
        b"",
    );
    send(
        &listening.address,
        &["--type", "lead:won", "--key", "wrong-one"],
        None,
        b"",
    );
    // Taken as drifted; refused as not JSON.
    send(&listening.address, &["-"], Some(KEY), b"{\"activity\": []}");
    send(&listening.address, &["-"], Some(KEY), b"{\"activity\": [}");
    listening.stop();
    let file = capture.to_str().unwrap();
    let output = run(&["inspect", file], None, b"");
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    for expected in [
        "request:  204 accepted at ",
        "key:      key in the body, matched (as listen saw it: a capture keeps no key)",
        "type:     lead:moved",
        "request:  401 refused at ",
        "key:      key in the body, did NOT match",
        "request:  204 drifted at ",
        "body:     invalid payload at `activity`",
        "request:  400 refused at ",
        "body is not JSON: expected value at line 1, column 15",
        "4 payload(s): 2 good, 2 bad",
    ] {
        assert!(all.contains(expected), "{expected:?} not in\n{all}");
    }
    assert!(
        !all.contains("REJECTED") && !all.contains("missing field"),
        "{all}"
    );
    let json = run(&["inspect", "--json", file], None, b"");
    let lines: Vec<serde_json::Value> = stdout_lines(&json)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["capture"]["verdict"], "accepted");
    assert_eq!(lines[0]["type"], "lead:moved");
    assert_eq!(lines[1]["capture"]["key"]["check"], "wrong");
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[2]["capture"]["verdict"], "drifted");
    assert_eq!(lines[2]["ok"], true);
    assert_eq!(lines[2]["error"]["path"], "activity");
    let _ = std::fs::remove_file(&capture);
}

#[test]
fn a_mistyped_type_or_a_key_with_its_newline_is_a_usage_error_that_helps() {
    let output = send("http://127.0.0.1:9/", &["--type", "lead:wonn"], None, b"");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("did you mean `lead:won`?"),
        "{}",
        text(&output)
    );
    for (args, env_key) in [
        (&["listen"][..], Some("gfhkd1asfsa\n")),
        (&["listen", "--key", " gfhkd1asfsa"][..], None),
        (
            &["send", "http://127.0.0.1:9/", "--type", "lead:won"][..],
            Some("gfhkd1asfsa\r\n"),
        ),
    ] {
        let output = run(args, env_key, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("whitespace at its start or end"),
            "{}",
            text(&output)
        );
        assert!(!text(&output).contains("gfhkd1asfsa"), "{}", text(&output));
    }
}

/// A verified delivery whose shape does not fit the documentation is taken (204), shown as
/// drifted with its error and a caret, saved and forwarded; with `--strict`, refused (400).
#[test]
fn a_drifted_delivery_is_taken_by_default_and_refused_with_strict() {
    let drifted = common::root().join("fixtures/drift/product_price_empty_string.json");
    let drifted = drifted.to_str().unwrap();
    let capture = common::temp_file("drifted.ndjson");
    let (app_url, forwarded) = app(200, 1);
    let tolerant = listen(
        &[
            "--key",
            KEY,
            "--save",
            capture.to_str().unwrap(),
            "--forward-to",
            &app_url,
        ],
        None,
    );
    let json = listen(&["--key", KEY, "--json"], None);
    let strict = listen(&["--key", KEY, "--strict"], None);
    assert!(
        strict
            .banner
            .iter()
            .any(|line| line.contains("strict: refusing (400)")),
        "{:?}",
        strict.banner
    );
    for (listening, status) in [(&tolerant, 0), (&json, 0), (&strict, 1)] {
        let sent = send(&listening.address, &[drifted], None, b"");
        assert_eq!(sent.status.code(), Some(status), "{}", text(&sent));
    }
    let lines = tolerant.lines(4);
    assert!(
        untimed(&lines[0]).starts_with(
            r#"204 drifted   product:added  Acme Corp — Product  product_name="Annual licence" product_quantity=3 product_price=""  by Webhook Testing  → app 200"#
        ),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        r#"    invalid payload at `activity.product_price`, line 7, column 22: invalid number: string "", expected a number or a string holding one"#
    );
    assert_eq!(lines[2], r#"    7 |     "product_price": "","#);
    assert_eq!(lines[3], format!("      | {}^", " ".repeat(21)));
    let (_, body) = forwarded.recv_timeout(PATIENCE).expect("forwarded");
    assert_eq!(body, std::fs::read(drifted).unwrap(), "the body as it came");
    let line: serde_json::Value = serde_json::from_str(&json.lines(1)[0]).unwrap();
    assert_eq!(line["verdict"], "drifted");
    assert_eq!(line["status"], 204);
    assert_eq!(line["type"], "product:added");
    assert_eq!(line["error"]["path"], "activity.product_price");
    let refused = strict.lines(1);
    assert!(
        untimed(&refused[0])
            .starts_with("400 refused   invalid payload at `activity.product_price`"),
        "{refused:?}"
    );
    let (status, _, stderr) = tolerant.stop();
    assert_eq!(
        status.code(),
        Some(0),
        "a drifted delivery is a delivery taken"
    );
    assert_eq!(
        stderr.last().map(String::as_str),
        Some(
            "stopped: 1 request(s), 1 accepted (1 of them drifted), 0 refused or not answered 2xx"
        )
    );
    let saved: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&capture).unwrap().trim()).unwrap();
    assert_eq!(saved["verdict"], "drifted");
    assert_eq!(saved["activity_type"], "product:added");
    assert!(saved["error"]
        .as_str()
        .unwrap()
        .contains("activity.product_price"));
    assert!(saved["body"]
        .as_str()
        .unwrap()
        .contains(r#""product_price": """#));

    // `inspect` says what `listen` would do with it.
    let output = run(&["inspect", drifted], None, b"");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("take it (its key checked) as drifted"),
        "{}",
        text(&output)
    );
    let output = run(&["inspect", "--json", drifted], None, b"");
    let line: serde_json::Value = serde_json::from_str(&stdout_lines(&output)[0]).unwrap();
    assert_eq!(line["drifted"], true);
    let _ = std::fs::remove_file(&capture);
}

/// A stop that comes as soon as `listen` says it listens is a clean stop, every time.
#[test]
fn a_stop_right_after_the_start_is_a_clean_stop() {
    for _ in 0..5 {
        let listening = listen(&["--key", KEY], None);
        let (status, _, stderr) = listening.stop();
        assert_eq!(status.code(), Some(0), "{stderr:?}");
        assert!(
            stderr
                .iter()
                .any(|line| line.starts_with("stopped: 0 request(s)")),
            "{stderr:?}"
        );
    }
}

/// A body refused before its key is looked at (with `--strict`, one that does not fit; or one
/// that is not JSON) is saved with what its key really was, so that `replay` sends the key it
/// came with: a wrong key stays wrong, and the request is not made good by the key put back.
#[test]
fn a_body_refused_before_its_key_is_saved_and_replayed_with_the_key_it_had() {
    let capture = common::temp_file("refused-first.ndjson");
    let first = listen(
        &[
            "--key",
            KEY,
            "--strict",
            "--save",
            capture.to_str().unwrap(),
        ],
        None,
    );
    let url = first.address.clone();
    let drifted =
        std::fs::read_to_string(common::root().join("fixtures/drift/activity_id_number.json"))
            .unwrap();
    let without_key = drifted.replace(r#""handshake_key": "gfhkd1asfsa""#, r#""x": 1"#);
    assert_ne!(drifted, without_key);
    let wrong = "s3cr3t-wrong-9f8e";
    let statuses = [
        send(&url, &["-"], Some(wrong), drifted.as_bytes()),
        send(&url, &["-"], Some(KEY), drifted.as_bytes()),
        send(&url, &["-"], None, without_key.as_bytes()),
        send(
            &url,
            &["-"],
            None,
            br#"{"handshake_key": "guess", "activity": oops"#,
        ),
    ]
    .map(|sent| stdout_lines(&sent)[0][..3].to_owned());
    assert_eq!(statuses, ["400", "400", "400", "400"]);
    first.stop();
    let saved = std::fs::read_to_string(&capture).unwrap();
    assert!(!saved.contains(KEY) && !saved.contains(wrong), "{saved}");
    let checks: Vec<String> = saved
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["key"]["check"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(checks, ["wrong", "matched", "missing", "wrong"], "{saved}");

    // To a receiver that takes what does not fit: only the one whose key matched is taken
    // (the body that is not JSON was not saved, since it holds a key: it is skipped).
    let second = listen(&["--key", KEY], None);
    let replayed = run(
        &["replay", capture.to_str().unwrap(), "--to", &second.address],
        Some(KEY),
        b"",
    );
    let answers: Vec<String> = stdout_lines(&replayed)
        .iter()
        .take(3)
        .map(|l| l[..3].to_owned())
        .collect();
    assert_eq!(answers, ["401", "204", "401"], "{}", text(&replayed));
    assert!(text(&replayed).contains("1 skipped"), "{}", text(&replayed));
    second.stop();
    let _ = std::fs::remove_file(&capture);
}
