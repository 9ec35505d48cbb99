//! The `inspect` example as a user runs it: summaries, streams, errors with a caret, key
//! checks that never print a key, and its exit statuses.

mod common;
use common::{inspect, text};
use std::process::Output;

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
    let body = std::fs::read_to_string("fixtures/doc_example.json")
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
        let path = format!("fixtures/{name}.json");
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
fn json_output_is_the_normalised_payload() {
    let output = run(&["--json", "fixtures/edge/numbers_as_strings.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let printed = clinchpad_webhook::parse(&output.stdout).unwrap();
    let original =
        clinchpad_webhook::parse(&std::fs::read("fixtures/edge/numbers_as_strings.json").unwrap())
            .unwrap();
    // The key was checked (or not) and is not printed: everything else is.
    assert!(original.handshake_key.is_some());
    assert_eq!(printed, original.without_handshake_key());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("handshake_key"));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["activity"]["lead_size"], 1500);
}

#[test]
fn usage_errors_and_unreadable_inputs_exit_two() {
    assert_eq!(run(&["--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["--key"]).status.code(), Some(2));
    assert_eq!(run(&["fixtures/no_such_file.json"]).status.code(), Some(2));
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help).contains("usage: inspect"));
}
