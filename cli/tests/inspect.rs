//! `clinchpad-webhook inspect` as a user runs it: summaries, streams, errors with a caret,
//! key checks that never print a key, JSON lines for scripts, and its exit statuses.

mod common;
use common::text;
use std::process::Output;

/// `clinchpad-webhook inspect ARGS`, with the key variable set to `env_key`.
fn inspect(args: &[&str], env_key: Option<&str>, stdin: &[u8]) -> Output {
    let mut full = vec!["inspect"];
    full.extend_from_slice(args);
    common::run(&full, env_key, stdin)
}

fn run(args: &[&str]) -> Output {
    inspect(args, None, b"")
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    inspect(args, None, stdin)
}

#[test]
fn a_good_payload_is_summarised_and_exits_zero() {
    let output = run(&["--key", "gfhkd1asfsa", "fixtures/lead_moved.json"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    for line in [
        "type:     lead:moved",
        "stage:    Contact Made",
        "pipe:     Default",
        "  old_stage_name: \"Contact Made\"",
        "  new_stage_name: \"Offer\"",
        "key:      verified",
    ] {
        assert!(shown.contains(line), "{line:?} not in\n{shown}");
    }
    assert!(!shown.contains("gfhkd1asfsa"), "{shown}");
}

#[test]
fn a_bad_payload_is_shown_with_a_caret_under_the_offending_value() {
    let body = std::fs::read_to_string("../fixtures/doc_example.json")
        .unwrap()
        .replace("\"2014-01-10T09:37:58Z\"", "\"10 Jan\"");
    let output = run_with_stdin(&[], body.as_bytes());
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("<stdin>:4:15: error: invalid payload at `activity.created_at`"),
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    let quoted = lines
        .iter()
        .position(|line| line.ends_with("| \"created_at\": \"10 Jan\","))
        .unwrap_or_else(|| panic!("offending line not quoted:\n{shown}"));
    let caret = lines[quoted + 1];
    let value_at = lines[quoted].find("\"10 Jan\"").unwrap();
    assert_eq!(
        caret.find('^'),
        Some(value_at),
        "\n{}\n{caret}",
        lines[quoted]
    );
}

#[test]
fn a_wrong_key_is_rejected_without_printing_either_key() {
    let output = run(&["--key", "not-the-key-7f3a", "fixtures/note_created.json"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("REJECTED"), "{shown}");
    assert!(!shown.contains("not-the-key-7f3a"), "{shown}");
    assert!(!shown.contains("gfhkd1asfsa"), "{shown}");

    let output = inspect(
        &["fixtures/note_created.json"],
        Some("from-the-env-91c2"),
        b"",
    );
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(!shown.contains("from-the-env-91c2"), "{shown}");
}

#[test]
fn a_stream_of_one_payload_per_line_is_read_line_by_line() {
    let compact = |name: &str| {
        let path = format!("../fixtures/{name}.json");
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        serde_json::to_string(&value).unwrap()
    };
    let stream = format!(
        "{}\n\n{}\n{{\"activity\": 1}}\n",
        compact("note_created"),
        compact("lead_won")
    );
    let output = run_with_stdin(&["--key", "gfhkd1asfsa"], stream.as_bytes());
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("== <stdin>:1"), "{shown}");
    assert!(shown.contains("== <stdin>:3"), "{shown}");
    assert!(
        shown.contains("<stdin>:4:14: error: invalid payload at `activity`: invalid type"),
        "{shown}"
    );
    // The position is the stream's (line 4), not the payload's own (its line 1).
    assert!(!shown.contains("line 1, column 14"), "{shown}");
    assert!(shown.contains("3 payload(s): 2 good, 1 bad"), "{shown}");
}

#[test]
fn json_output_is_one_object_per_payload_without_the_key() {
    let output = run(&[
        "--json",
        "--key",
        "gfhkd1asfsa",
        "fixtures/edge/numbers_as_strings.json",
        "fixtures/lead_won.json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let original = clinchpad_webhook::parse(
        &std::fs::read("../fixtures/edge/numbers_as_strings.json").unwrap(),
    )
    .unwrap();
    assert!(original.handshake_key.is_some());
    // The normalised payload: everything but the key, which was checked.
    let printed = clinchpad_webhook::parse(lines[0]["payload"].to_string().as_bytes()).unwrap();
    assert_eq!(printed, original.without_handshake_key());
    assert_eq!(lines[0]["payload"]["activity"]["lead_size"], 1500);
    assert_eq!(lines[0]["key"], "verified");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["type"], "lead:won");
    assert!(!stdout.contains("handshake_key") && !stdout.contains("gfhkd1asfsa"));

    // A bad payload is an object with the error's path and position.
    let output = run_with_stdin(&["--json"], b"{\"activity\": 5}");
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["ok"], false);
    assert_eq!(line["error"]["path"], "activity");
    assert_eq!(line["error"]["column"], 14);
}

#[test]
fn usage_errors_and_unreadable_inputs_exit_two() {
    assert_eq!(run(&["--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["--key"]).status.code(), Some(2));
    assert_eq!(run(&["fixtures/no_such_file.json"]).status.code(), Some(2));
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help).contains("Usage: clinchpad-webhook inspect"));
    // An empty key is a usage error, not a key that is never checked.
    assert_eq!(
        inspect(&["fixtures/lead_won.json"], Some(""), b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["--key", "", "fixtures/lead_won.json"]).status.code(),
        Some(2)
    );
}

/// The snippet line and the caret line under it, for the error at `line` of `shown`.
fn snippet(shown: &str, line: usize) -> (String, String) {
    let mut lines = shown
        .lines()
        .skip_while(|l| !l.starts_with(&format!(" {line} | ")));
    let text = lines
        .next()
        .unwrap_or_else(|| panic!("no snippet in\n{shown}"));
    let caret = lines.next().unwrap();
    let prefix = format!(" {line} | ").len();
    (text[prefix..].to_owned(), caret[prefix..].to_owned())
}

#[test]
fn a_long_one_line_payload_shows_a_window_around_the_error() {
    // One line, as ClinchPad sends it, with the bad value 600 bytes in.
    let name = "Acme ".repeat(120);
    let body = format!(
        r#"{{"lead": {{"_id": "l", "name": "{name}"}}, "activity": {{"_id": "a", "type": "lead:won", "created_at": "10 Jan"}}, "tail": "{name}"}}"#
    );
    let column = body.find("\"10 Jan\"").unwrap() + 1;
    assert!(column > 600);
    let output = run_with_stdin(&[], body.as_bytes());
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains(&format!("<stdin>:1:{column}: error:")),
        "{shown}"
    );
    let (line, caret) = snippet(&shown, 1);
    // A window, cut on both sides, that holds the bad value, with the caret under its quote.
    assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
    assert!(
        line.chars().count() <= 102,
        "{} characters",
        line.chars().count()
    );
    let value_at = line.find("\"10 Jan\"").unwrap();
    let caret_at = caret.find('^').unwrap();
    assert_eq!(
        line[..value_at].chars().count(),
        caret_at,
        "\n{line}\n{caret}"
    );
    // Near the start or the end of a line, the window is cut on one side only.
    let body = format!(r#"{{"activity": 5, "tail": "{name}"}}"#);
    let (line, caret) = snippet(&text(&run_with_stdin(&[], body.as_bytes())), 1);
    assert!(!line.starts_with('…') && line.ends_with('…'), "{line}");
    assert_eq!(caret.find('^'), line.find('5'));
    let body = format!(r#"{{"tail": "{name}", "activity": 5}}"#);
    let (line, caret) = snippet(&text(&run_with_stdin(&[], body.as_bytes())), 1);
    assert!(line.starts_with('…') && !line.ends_with('…'), "{line}");
    assert_eq!(
        line[..line.rfind('5').unwrap()].chars().count(),
        caret.find('^').unwrap()
    );
}

#[test]
fn text_from_the_payload_cannot_write_to_the_terminal() {
    // Escapes in JSON strings become control characters in the parsed values.
    let body = std::fs::read_to_string("../fixtures/doc_example.json")
        .unwrap()
        .replace(
            "Webhook T",
            r"Webhook\u001b[2J\u001b[31m T\r\n[INFO] forged",
        )
        .replace("Hello world!", r"Hello\u0007\u202e world!");
    for args in [&[][..], &["--json"][..]] {
        let output = run_with_stdin(args, body.as_bytes());
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(0), "{shown}");
        for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
            assert!(!shown.contains(c), "{args:?}: {c:?} printed raw\n{shown}");
        }
        assert!(!shown.contains("\n[INFO] forged"), "{shown}");
    }
    // A raw control character is not JSON; the snippet shows it escaped.
    let body = "{\"activity\": \"\u{1b}[2J\"}";
    let shown = text(&run_with_stdin(&[], body.as_bytes()));
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(shown.contains(r"\u{1b}[2J"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// No key is ever printed.

/// The key in every fixture, and keys a user may give.
const FIXTURE_KEY: &str = "gfhkd1asfsa";
const EXPECTED: &str = "s3cr3t-KEY-9f8e";

fn assert_no_key(what: &str, text: &str) {
    for piece in [FIXTURE_KEY, EXPECTED, "s3cr3t", "9f8e"] {
        assert!(!text.contains(piece), "{what} shows {piece:?}: {text}");
    }
}

#[test]
fn a_wrong_key_is_rejected_without_printing_either_key_however_given() {
    let fixture = "fixtures/note_created.json";
    let body = std::fs::read(format!("../{fixture}")).unwrap();
    assert!(String::from_utf8_lossy(&body).contains(FIXTURE_KEY));
    for (how, output) in [
        ("--key", inspect(&["--key", EXPECTED, fixture], None, b"")),
        ("environment", inspect(&[fixture], Some(EXPECTED), b"")),
        ("stdin", inspect(&["--key", EXPECTED, "-"], None, &body)),
        (
            "json",
            inspect(&["--json", "--key", EXPECTED, fixture], None, b""),
        ),
    ] {
        let all = text(&output);
        assert_eq!(output.status.code(), Some(1), "{how}: {all}");
        assert!(
            all.contains("REJECTED") || all.contains("\"wrong\""),
            "{how}: {all}"
        );
        assert!(
            all.contains("note:created"),
            "{how}: the payload is shown\n{all}"
        );
        assert_no_key(how, &all);
    }
}

#[test]
fn no_mode_prints_a_key() {
    let fixture = "fixtures/doc_example.json";
    for args in [
        vec!["--json", fixture],
        vec!["--json", "--key", FIXTURE_KEY, fixture],
        vec![fixture],
        vec!["-v", "--key", FIXTURE_KEY, fixture],
    ] {
        let output = inspect(&args, None, b"");
        let all = text(&output);
        assert_no_key(&format!("{args:?}"), &all);
        assert!(
            all.contains("Webhook T"),
            "{args:?}: the payload is shown\n{all}"
        );
    }
}

#[test]
fn the_line_shown_under_an_error_has_its_key_masked() {
    // The error is at the key itself (a number), on one line with the rest.
    let body = r#"{"activity": {"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}, "lead": {"_id": "l", "name": "n"}, "handshake_key": 987654321}"#;
    let output = inspect(&[], None, body.as_bytes());
    let shown = text(&output);
    assert!(shown.contains("`handshake_key`"), "{shown}");
    assert!(!shown.contains("987654321"), "{shown}");
    // The mask is as long whatever the key, and the caret stays under what it points at.
    assert!(shown.contains(r#""handshake_key": ***}"#), "{shown}");
    let lines: Vec<&str> = shown.lines().collect();
    let quoted = lines.iter().position(|l| l.contains("***}")).unwrap();
    let mask_at = lines[quoted].find("***}").unwrap();
    assert_eq!(
        lines[quoted + 1].find('^'),
        Some(lines[quoted][..mask_at].chars().count()),
        "{shown}"
    );
    let short = body.replace("987654321", "12");
    let shown_short = text(&inspect(&[], None, short.as_bytes()));
    assert!(
        shown_short.contains(r#""handshake_key": ***}"#),
        "{shown_short}"
    );
    // A string key on the line of another error, and the key given with --key elsewhere.
    let body =
        format!(r#"{{"handshake_key": "{EXPECTED}", "activity": [], "note": "{EXPECTED}"}}"#);
    let shown = text(&inspect(&["--key", EXPECTED], None, body.as_bytes()));
    assert!(shown.contains("`activity`"), "{shown}");
    assert!(
        shown.contains(r#"{"handshake_key": "***", "activity": [], "note": "***"}"#),
        "{shown}"
    );
    assert_no_key("the snippet", &shown);
}
