//! `listen --store` and `inbox`: deliveries stored once before they are answered, on SQLite
//! and PostgreSQL; a store that fails is a 503, with the delivery kept by `--save`; `inbox
//! list`, `show`, `retry` and `replay` as an operator uses them; no key in the database or in
//! any output.

mod common;
#[path = "../../inbox/tests/common/postgres.rs"]
mod postgres;

use common::{get, listen, run, temp_file, text};

const KEY: &str = "gfhkd1asfsa";

fn sqlite(name: &str) -> (String, std::path::PathBuf) {
    let file = temp_file(&format!("{name}.db"));
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    (format!("sqlite://{}", file.display()), file)
}

fn send(url: &str, args: &[&str]) -> std::process::Output {
    let mut full = vec!["send", url];
    full.extend_from_slice(args);
    run(&full, Some(KEY), b"")
}

fn inbox(store: &str, args: &[&str]) -> std::process::Output {
    let mut full = vec!["inbox", "--store", store];
    full.extend_from_slice(args);
    run(&full, Some(KEY), b"")
}

fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn listen_stores_each_delivery_once_and_inbox_shows_retries_and_replays_them() {
    let (sqlite_url, file) = sqlite("listen-store");
    let server = postgres::shared();
    let postgres_url = server.fresh_database("cli_listen_store");
    for store in [sqlite_url.as_str(), postgres_url.as_str()] {
        let listening = listen(&["--key", KEY, "--store", store], None);
        let url = listening.address.clone();
        assert_eq!(send(&url, &["--type", "lead:moved"]).status.code(), Some(0));
        assert_eq!(
            send(&url, &["--type", "lead:moved"]).status.code(),
            Some(0),
            "a duplicate is a 2xx"
        );
        assert_eq!(
            send(&url, &["fixtures/drift/pipe_list.json"]).status.code(),
            Some(0)
        );
        let forged = run(
            &["send", &url, "--type", "lead:won", "--key", "guess"],
            None,
            b"",
        );
        assert_eq!(forged.status.code(), Some(1));
        let lines = listening.lines(6);
        assert!(lines[0].ends_with("→ stored"), "{lines:?}");
        assert!(lines[1].ends_with("→ stored before"), "{lines:?}");
        assert!(
            lines[2].contains("drifted") && lines[2].ends_with("→ stored"),
            "{lines:?}"
        );
        let (status, _, _) = listening.stop();
        assert_eq!(status.code(), Some(1), "the forged one was refused");

        let listed = inbox(store, &["list", "--json"]);
        assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
        let entries = json_lines(&listed);
        assert_eq!(entries.len(), 2, "{entries:?}");
        let drifted = entries.iter().find(|e| e["typed"] == false).unwrap();
        assert_eq!(drifted["type"], "source:removed");
        let moved = entries.iter().find(|e| e["type"] == "lead:moved").unwrap();
        assert_eq!(moved["state"], "pending");
        let id = moved["id"].as_str().unwrap().to_owned();

        let people = inbox(store, &["list"]);
        let people = text(&people);
        assert!(people.contains("source:removed (dri"), "{people}");
        assert!(people.contains(&id), "{people}");

        let shown = inbox(store, &["show", &id]);
        let shown = text(&shown);
        assert!(
            shown.contains("type:       lead:moved")
                && shown.contains("state:      pending (0 attempts)"),
            "{shown}"
        );
        assert!(
            shown.contains("\"old_stage_name\": \"Contact Made\""),
            "{shown}"
        );
        let shown_json = json_lines(&inbox(store, &["show", &id, "--json"]));
        assert_eq!(shown_json[0]["state"], "pending");
        assert_eq!(inbox(store, &["show", "no-such-id"]).status.code(), Some(1));

        assert_eq!(inbox(store, &["retry", &id]).status.code(), Some(0));
        let dead = inbox(store, &["retry", "--dead"]);
        assert!(
            text(&dead).contains("no deliveries to retry"),
            "{}",
            text(&dead)
        );
        assert_eq!(
            inbox(store, &["retry", "no-such-id"]).status.code(),
            Some(1)
        );

        // Replayed to a receiver, with the key put back: accepted as it was.
        let second = listen(&["--key", KEY], None);
        let replayed = inbox(store, &["replay", &id, "--to", &second.address]);
        assert_eq!(replayed.status.code(), Some(0), "{}", text(&replayed));
        let (_, lines, _) = second.stop();
        assert!(lines[0].contains("204 accepted  lead:moved"), "{lines:?}");

        for output in [people, shown, text(&listed), text(&replayed)] {
            assert!(!output.contains(KEY), "{output}");
        }
    }
    // No key in the database's file either.
    let mut bytes = std::fs::read(&file).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", file.display())) {
        bytes.extend(wal);
    }
    assert!(
        !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
        "a key in the SQLite file"
    );
}

/// A delivery the inbox cannot store is answered 503, never 2xx, and `--save` keeps it.
#[test]
fn a_delivery_the_inbox_cannot_store_is_a_503_and_saved_for_replay() {
    let server = postgres::Server::start("cli-outage");
    let capture = temp_file("unstored.ndjson");
    let store = server.url("postgres");
    let listening = listen(
        &[
            "--key",
            KEY,
            "--store",
            &store,
            "--save",
            capture.to_str().unwrap(),
        ],
        None,
    );
    server.stop();
    let answer = send(&listening.address, &["--type", "lead:won"]);
    assert_eq!(answer.status.code(), Some(1), "{}", text(&answer));
    assert!(
        String::from_utf8_lossy(&answer.stdout).starts_with("503 "),
        "{}",
        text(&answer)
    );
    // The sender is told a fixed sentence; the database's trouble is shown here only.
    assert!(
        text(&answer).contains(clinchpad_webhook_inbox::UNSTORED),
        "{}",
        text(&answer)
    );
    assert!(!text(&answer).contains("database"), "{}", text(&answer));
    let line = &listening.lines(1)[0];
    assert!(
        line.contains("503 unstored  not stored in the inbox: the inbox's database"),
        "{line}"
    );
    let (status, _, _) = listening.stop();
    assert_eq!(status.code(), Some(1));
    let saved: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&capture).unwrap().trim()).unwrap();
    assert_eq!(saved["verdict"], "unstored");
    assert!(
        saved["body"].as_str().unwrap().contains("lead:won"),
        "the delivery is kept"
    );
    // Back up: replayed from the capture, it is stored.
    server.run();
    let again = listen(&["--key", KEY, "--store", &store], None);
    let replayed = run(
        &[
            "replay",
            capture.to_str().unwrap(),
            "--to",
            &again.address,
            "--only-failed",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(replayed.status.code(), Some(0), "{}", text(&replayed));
    assert!(again.lines(1)[0].ends_with("→ stored"));
}

#[test]
fn inbox_says_what_is_wrong_with_its_arguments() {
    let no_store = run(&["inbox", "list"], None, b"");
    assert_eq!(no_store.status.code(), Some(2));
    assert!(
        text(&no_store).contains("--store URL or set CLINCHPAD_INBOX"),
        "{}",
        text(&no_store)
    );
    let bad = run(
        &["inbox", "--store", "mysql://u:s3cr3t@h/db", "list"],
        None,
        b"",
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("not an inbox URL"), "{}", text(&bad));
    let unreachable = run(
        &[
            "inbox",
            "--store",
            "postgres://u:s3cr3t@127.0.0.1:9/db",
            "list",
        ],
        None,
        b"",
    );
    assert_eq!(unreachable.status.code(), Some(2), "{}", text(&unreachable));
    assert!(
        text(&unreachable).contains("postgres://***@127.0.0.1:9/db"),
        "{}",
        text(&unreachable)
    );
    for output in [bad, unreachable] {
        assert!(!text(&output).contains("s3cr3t"), "{}", text(&output));
    }
}

#[test]
fn no_credential_of_a_store_url_is_printed_whatever_its_shape() {
    // Nothing listens on port 9: each fails to connect, and says where it tried.
    let urls = [
        "postgres:app:s3cr3t@127.0.0.1:9/db",
        "postgres:app:s3c/r3t@127.0.0.1:9/db",
        "postgres://127.0.0.1:9/db?password=s3cr3t",
        "postgres://app@127.0.0.1:9/db?sslmode=disable&PassWord=s3cr3t",
        "postgresql://app:s3cr%33t@127.0.0.1:9/db",
        "postgres://app:p@ss:s3cr3t@127.0.0.1:9/db",
    ];
    let runs: Vec<_> = urls
        .iter()
        .map(|url| {
            let url = url.to_string();
            std::thread::spawn(move || {
                let listed = run(&["inbox", "--store", &url, "list"], None, b"");
                let stored = run(
                    &[
                        "listen",
                        "--addr",
                        "127.0.0.1:0",
                        "--key",
                        KEY,
                        "--store",
                        &url,
                    ],
                    None,
                    b"",
                );
                (url, listed, stored)
            })
        })
        .collect();
    for handle in runs {
        let (url, listed, stored) = handle.join().unwrap();
        for output in [listed, stored] {
            assert_eq!(output.status.code(), Some(2), "{url}: {}", text(&output));
            let shown = text(&output);
            assert!(
                !shown.contains("s3cr3t") && !shown.contains("s3cr%33t"),
                "{url}: {shown}"
            );
            assert!(shown.contains("127.0.0.1:9/db"), "{url}: {shown}");
        }
    }
}

#[test]
fn no_inbox_command_creates_an_inbox() {
    let (store, file) = sqlite("look-only");
    let server = postgres::shared();
    let empty_database = server.fresh_database("cli_look_only");
    for store in [store.as_str(), empty_database.as_str()] {
        for args in [
            &["list"][..],
            &["stats"],
            &["show", "a1"],
            &["replay", "a1", "--to", "http://127.0.0.1:9/"],
            // Those that change an inbox need one there.
            &["retry", "--dead"],
            &["purge", "--older-than", "1d"],
            &["pause"],
            &["resume"],
        ] {
            let output = inbox(store, args);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
            assert!(text(&output).contains("no inbox at"), "{}", text(&output));
        }
    }
    assert!(!file.exists(), "a SQLite file was made");
    // No table either: still none there for the next look.
    let again = inbox(&empty_database, &["list"]);
    assert!(text(&again).contains("no inbox at"), "{}", text(&again));
}

#[test]
fn a_sqlite_file_removed_under_listen_is_answered_503_not_stored_and_readyz_says_so() {
    let (store, file) = sqlite("removed-under-listen");
    let listening = listen(&["--key", KEY, "--store", &store], None);
    assert_eq!(get(&listening.address, "/healthz"), (200, "ok\n".into()));
    assert_eq!(get(&listening.address, "/readyz"), (200, "ready\n".into()));
    assert_eq!(
        send(&listening.address, &["--type", "lead:won"])
            .status
            .code(),
        Some(0)
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(get(&listening.address, "/readyz").0, 503);
    assert_eq!(get(&listening.address, "/healthz").0, 200);
    let answer = send(&listening.address, &["--type", "lead:moved"]);
    assert!(
        String::from_utf8_lossy(&answer.stdout).starts_with("503 "),
        "{}",
        text(&answer)
    );
    // The probes are answered, not printed: the two deliveries are the two lines.
    let lines = listening.lines(2);
    assert!(lines[0].contains("lead:won"), "{lines:?}");
    assert!(lines[1].contains("removed or replaced"), "{lines:?}");
}

#[test]
fn a_conflicting_delivery_is_stored_and_shown_as_one() {
    let (store, _) = sqlite("conflict");
    let listening = listen(&["--unverified", "--store", &store], None);
    let won = std::fs::read_to_string(common::root().join("fixtures/lead_won.json")).unwrap();
    let forged = temp_file("conflict-forged.json");
    std::fs::write(&forged, won.replace("Acme Corp", "Forged Inc")).unwrap();
    let real = common::root().join("fixtures/lead_won.json");
    for file in [forged.to_str().unwrap(), real.to_str().unwrap()] {
        let sent = run(&["send", &listening.address, file], None, b"");
        assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    }
    let lines = listening.lines(2);
    assert!(lines[0].ends_with("→ stored"), "{lines:?}");
    assert!(lines[1].contains("→ stored as a conflict"), "{lines:?}");
    let listed = inbox(&store, &["list"]);
    assert!(
        text(&listed).contains("conflicts with 52cfbf76cce8b40f0f000013"),
        "{}",
        text(&listed)
    );
    let listed = json_lines(&inbox(&store, &["list", "--json"]));
    let conflict = listed.iter().find(|e| !e["conflict_of"].is_null()).unwrap();
    assert_eq!(conflict["verified"], false);
    let id = conflict["id"].as_str().unwrap();
    let shown = inbox(&store, &["show", id]);
    assert!(
        text(&shown).contains("conflicts:  with "),
        "{}",
        text(&shown)
    );
    assert!(text(&shown).contains("NOT checked"), "{}", text(&shown));
}

/// What `inbox` prints of a stored body or a handler's error holds no raw control character.
#[test]
fn inbox_output_escapes_what_the_body_holds() {
    let (store, _) = sqlite("escaped");
    let listening = listen(&["--key", KEY, "--store", &store], None);
    let hostile = std::fs::read_to_string(common::root().join("fixtures/lead_moved.json"))
        .unwrap()
        .replace("Acme Corp", r"Acme\u001b[2J\u0007\r\n[INFO] forged\u202e")
        .replace("\"_id\": \"52cfa124", "\"_id\": \"\\u001b[31m52cfa124");
    let sent = run(
        &["send", &listening.address, "-"],
        Some(KEY),
        hostile.as_bytes(),
    );
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    listening.stop();
    let id = json_lines(&inbox(&store, &["list", "--json"]))[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", id.as_str()],
        vec!["show", id.as_str(), "--json"],
    ] {
        let output = text(&inbox(&store, &args));
        for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
            assert!(!output.contains(c), "{args:?}: {c:?} raw in\n{output}");
        }
    }
    let shown = text(&inbox(&store, &["show", &id]));
    // JSON's escapes in the body, and the command's for what JSON leaves raw.
    assert!(
        shown.contains(r"Acme\u001b[2J\u0007\r\n[INFO] forged\u{202e}"),
        "{shown}"
    );
    assert!(shown.contains(r"lead:       \u{1b}[31m52cfa124"), "{shown}");
}
