//! The inbox's console: `/inbox` in `listen --ui --store`, driven in headless Chromium as an
//! operator uses it (counts, filters, retry, purge, pause, text that stays text), and
//! `inbox ui` on its own, its API called as another site would call it. The built binary runs
//! as child processes on 127.0.0.1; every wait is bounded.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use clinchpad_webhook::{ActivityType, HandshakeKey, LeadId, Payload, Receiver};
use clinchpad_webhook_inbox::{Inbox, Pause};
use common::browser::{screenshots, Browser};
use common::{base_of, listen_with_ui, temp_file};
use serde_json::{json, Value};

const KEY: &str = "gfhkd1asfsa-7Qz";

/// An error a page would run as HTML if it were careless.
const HOSTILE: &str = "<img src=x onerror=alert(1)><b>bold</b>";

/// A fresh SQLite inbox with 3 dead `lead:moved` (their error quoting markup and the key), 2 done
/// `note:created` and 1 pending `lead:won`.
async fn filled(name: &str) -> (String, Inbox) {
    let file = temp_file(&format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let store = format!("sqlite://{}", file.display());
    let receiver = Receiver::new(HandshakeKey::new(KEY).unwrap());
    let inbox = Inbox::open(&store)
        .await
        .unwrap()
        .masking_keys_of(&receiver);
    let kinds = [(ActivityType::LeadMoved, 3), (ActivityType::NoteCreated, 2)];
    let mut n = 0;
    for (kind, count) in kinds {
        for _ in 0..count {
            let mut payload = Payload::sample(kind).with_activity_id(format!("act-{n}"));
            payload.lead.id = LeadId::from(format!("lead-{}", n % 2));
            inbox.store_payload(&payload, &receiver).await.unwrap();
            n += 1;
        }
    }
    let worker = inbox
        .worker(|payload: Payload| async move {
            match payload.activity.kind.type_name() {
                // Quoting the key too, as a careless handler's error might: stored masked.
                "lead:moved" => Err(format!("CRM timeout {HOSTILE} {KEY}")),
                _ => Ok(()),
            }
        })
        .max_attempts(1);
    while worker.run_once().await.unwrap().is_some() {}
    let won = Payload::sample(ActivityType::LeadWon).with_activity_id("act-won");
    inbox.store_payload(&won, &receiver).await.unwrap();
    (store, inbox)
}

async fn text_of(browser: &Browser, css: &str) -> String {
    let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
    let text = browser.run(script, json!([css])).await;
    text.as_str().unwrap_or_default().to_owned()
}

async fn wait_text(browser: &Browser, css: &str, wanted: &str) {
    let script = format!(
        "const e = document.querySelector({}); return !!e && e.textContent.includes({});",
        json!(css),
        json!(wanted)
    );
    browser
        .wait_for(&script, &format!("{css} saying {wanted}"))
        .await;
}

async fn wait_rows(browser: &Browser, n: usize) {
    browser
        .wait_for(
            &format!("return document.querySelectorAll('#rows tr').length === {n};"),
            &format!("{n} rows"),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_counts_filters_retries_purges_and_pauses_from_the_page() {
    let (store, inbox) = filled("console-page").await;
    let (listening, link) = listen_with_ui(&["--store", &store], Some(KEY));
    let browser = Browser::start(1280, 860).await;
    browser.goto(&link).await;
    // The requests' page leads to the console.
    browser
        .wait_for(
            "const a = document.getElementById('to-inbox'); return !!a && !a.hidden;",
            "the link to the inbox",
        )
        .await;
    browser.click("#to-inbox").await;
    wait_text(&browser, "#n-dead", "3").await;
    assert_eq!(text_of(&browser, "#n-done").await, "2");
    assert_eq!(text_of(&browser, "#n-pending").await, "1");
    assert!(text_of(&browser, "#oldest").await.contains("ago"));
    wait_rows(&browser, 6).await;

    // Markup in an error is text.
    let rows = text_of(&browser, "#rows").await;
    assert!(rows.contains("<img src=x"), "{rows}");
    let markup = browser
        .run(
            "return document.querySelectorAll('#rows img, #rows b').length;",
            json!([]),
        )
        .await;
    assert_eq!(markup, json!(0));

    // Filters: a type, then text in the error, either case.
    browser.select("#f-type", "lead:moved").await;
    wait_rows(&browser, 3).await;
    browser.type_into("#f-error", "timeout").await;
    wait_rows(&browser, 3).await;
    browser.type_into("#f-error", "no such text").await;
    wait_rows(&browser, 0).await;
    browser.type_into("#f-error", "TIMEOUT").await;
    wait_rows(&browser, 3).await;
    browser.screenshot(&screenshots().join("console.png")).await;

    // Retry: counted, confirmed, done.
    browser.click("#retry").await;
    wait_text(&browser, "#confirm-text", "Make 3 deliveries due again?").await;
    assert_eq!(text_of(&browser, "#n-dead").await, "3", "nothing yet");
    browser.click("#confirm-yes").await;
    wait_text(&browser, "#said", "3 deliveries due again").await;
    wait_text(&browser, "#n-dead", "0").await;
    assert_eq!(text_of(&browser, "#n-pending").await, "4");

    // Purge the done ones; a cancel first changes nothing.
    browser.select("#f-type", "").await;
    browser.type_into("#f-error", "").await;
    browser.select("#f-state", "done").await;
    wait_rows(&browser, 2).await;
    browser.click("#purge").await;
    wait_text(&browser, "#confirm-text", "Remove 2 deliveries for good?").await;
    browser.click("#confirm-no").await;
    wait_text(&browser, "#said", "nothing changed").await;
    assert_eq!(text_of(&browser, "#n-done").await, "2");
    browser.click("#purge").await;
    wait_text(&browser, "#confirm-text", "Remove 2 deliveries").await;
    browser.click("#confirm-yes").await;
    wait_text(&browser, "#said", "2 deliveries removed").await;
    wait_text(&browser, "#n-done", "0").await;
    assert_eq!(
        inbox.count(&Default::default()).await.unwrap(),
        4,
        "the pending ones are all there"
    );

    // Pause one type from the page: the inbox has it; resume it.
    browser.select("#pause-type", "lead:moved").await;
    browser.click("#pause").await;
    wait_text(&browser, "#paused", "paused: lead:moved").await;
    let paused: Vec<Pause> = inbox
        .paused()
        .await
        .unwrap()
        .into_iter()
        .map(|paused| paused.pause)
        .collect();
    assert_eq!(paused, [Pause::Type("lead:moved".into())]);
    browser.click("#resume").await;
    wait_text(&browser, "#paused", "nothing paused").await;
    assert!(inbox.paused().await.unwrap().is_empty());

    let dom = browser.dom().await;
    assert!(
        !dom.contains(KEY) && !dom.contains(&KEY[..8]),
        "a key in the page"
    );
    listening.stop();
}

/// `inbox ui` started on an ephemeral port: the child, and its one-time link.
fn inbox_ui(store: &str) -> (std::process::Child, String) {
    let mut command = common::command(
        &["inbox", "--store", store, "ui", "--addr", "127.0.0.1:0"],
        Some(KEY),
    );
    command.stderr(Stdio::piped()).stdout(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (line, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.send(text).is_err() {
                break;
            }
        }
    });
    let link = (0..10).find_map(|_| {
        let text = lines.recv_timeout(Duration::from_secs(30)).ok()?;
        text.split("inbox console at ")
            .nth(1)
            .map(|rest| rest.split(' ').next().unwrap_or_default().to_owned())
    });
    match link {
        Some(link) => (child, link),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("inbox ui did not say where it is");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_ui_serves_the_console_alone_to_its_own_page_only() {
    let (store, _inbox) = filled("console-alone").await;
    let (mut child, link) = inbox_ui(&store);
    let base = base_of(&link);
    let plain = reqwest::Client::new();
    // No session, no console.
    let refused = plain
        .get(format!("{base}api/inbox/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    // Through the link: a session, and the console is the page.
    let browser_like = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser_like.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("clinchpad-webhook inbox"), "{page}");
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let stats: Value = browser_like
        .get(format!("{base}api/inbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (stats["dead"].as_u64(), stats["done"].as_u64()),
        (Some(3), Some(2))
    );
    let listed: Value = browser_like
        .get(format!(
            "{base}api/inbox/list?state=dead&type=lead:moved&limit=2"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 3);
    assert_eq!(listed["entries"].as_array().unwrap().len(), 2);
    assert!(
        listed["entries"][0].get("body").is_none(),
        "no body in a list"
    );
    let error = listed["entries"][0]["last_error"].as_str().unwrap();
    assert!(error.ends_with("***") && !error.contains(KEY), "{error}");

    // What changes the inbox: from the page itself only.
    let asked = json!({"filter": {"states": ["dead"]}, "dry_run": false});
    let forged = browser_like
        .post(format!("{base}api/inbox/retry"))
        .header("origin", "http://evil.example")
        .header("x-clinchpad-page", "1")
        .json(&asked)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let own = |path: &str| {
        browser_like
            .post(format!("{base}api/inbox/{path}"))
            .header("origin", format!("http://{host}"))
            .header("x-clinchpad-page", "1")
    };
    let purge_pending = own("purge")
        .json(&json!({"filter": {"states": ["pending"]}, "dry_run": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        purge_pending.status(),
        400,
        "a pending delivery is never purged"
    );
    let counted: Value = own("retry")
        .json(&json!({"filter": {}, "dry_run": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (counted["matched"].as_u64(), counted["retried"].as_u64()),
        (Some(3), Some(0))
    );
    let unknown = own("retry")
        .json(&json!({"filter": {"states": ["dead"]}, "everything": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);

    // SIGTERM: it stops, 0.
    // SAFETY: kill(2) on the child's own pid, which it still has (not yet waited for).
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
