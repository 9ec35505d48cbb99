//! `listen --ui`: the web view, driven in headless Chromium as a person uses it, and its
//! HTTP API called as another site would call it. The built binary runs as child processes
//! on 127.0.0.1; every wait is bounded.

mod common;

use common::browser::{screenshots, Browser};
use common::{listen, run, temp_file, text, Listening};
use serde_json::{json, Value};

const KEY: &str = "gfhkd1asfsa-7Qz";

/// A lead name a page would run as HTML if it were careless, or that would end the script
/// element the first view is embedded in.
const HOSTILE: &str = "<img src=x onerror=alert(1)></script><script>alert(2)</script>";

/// Starts `listen` with a web view on an ephemeral port, and its URL.
fn listen_with_ui(args: &[&str], key: Option<&str>) -> (Listening, String) {
    let mut full = vec!["--ui", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let listening = listen(&full, key);
    let url = ui_url(&listening);
    (listening, url)
}

/// The web view's URL, from the lines `listen` prints at start-up.
fn ui_url(listening: &Listening) -> String {
    for _ in 0..10 {
        let line = listening.stderr_line();
        if let Some(rest) = line.split("web view at ").nth(1) {
            return rest.split(' ').next().unwrap().to_owned();
        }
    }
    panic!("listen did not say where its web view is");
}

/// A fixture's payload with `change` made to it, written to a file of its own.
fn fixture_with(name: &str, file: &str, change: impl FnOnce(&mut Value)) -> String {
    let text = std::fs::read_to_string(common::root().join("fixtures").join(name)).unwrap();
    let mut payload: Value = serde_json::from_str(&text).unwrap();
    change(&mut payload);
    let path = temp_file(file);
    std::fs::write(&path, payload.to_string()).unwrap();
    path.display().to_string()
}

/// `send`s the files to `url` with the key, and checks that each was answered.
fn send_files(url: &str, files: &[&str]) {
    let mut args = vec!["send", url];
    args.extend_from_slice(files);
    let output = run(&args, Some(KEY), b"");
    assert!(output.status.code() != Some(3), "{}", text(&output));
}

fn rows_script() -> &'static str {
    "return Array.from(document.querySelectorAll('#list .row')).map(r => r.dataset.id);"
}

async fn row_ids(browser: &Browser) -> Vec<u64> {
    let ids = browser.run(rows_script(), json!([])).await;
    ids.as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().parse().unwrap())
        .collect()
}

/// Waits until the list shows `n` rows.
async fn wait_rows(browser: &Browser, n: usize) {
    browser
        .wait_for(
            &format!("return document.querySelectorAll('#list .row').length === {n};"),
            &format!("{n} rows"),
        )
        .await;
}

async fn text_of(browser: &Browser, css: &str) -> String {
    let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
    let text = browser.run(script, json!([css])).await;
    text.as_str().unwrap_or_default().to_owned()
}

/// Asserts that the page holds no trace of the key: its DOM, and what its script keeps.
async fn assert_no_key(browser: &Browser) {
    let dom = browser.dom().await;
    assert!(!dom.contains(KEY), "the key is in the page");
    assert!(
        !dom.contains(&KEY[..8]),
        "a piece of the key is in the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_appear_live_and_the_page_never_holds_the_key() {
    let save = temp_file("ui-live.ndjson");
    let (listening, ui) = listen_with_ui(&["--save", save.to_str().unwrap()], Some(KEY));
    let browser = Browser::start(1280, 860).await;
    browser.goto(&ui).await;
    browser
        .wait_for(
            "const c = document.getElementById('conn'); return c && c.textContent.includes('live');",
            "the connection indicator saying live",
        )
        .await;
    // Marked now: a reload would lose it.
    browser
        .run("window.notReloaded = true; return true;", json!([]))
        .await;

    let won = fixture_with("lead_won.json", "ui-won.json", |_| {});
    let hostile = fixture_with("lead_created.json", "ui-hostile.json", |p| {
        p["lead"]["name"] = json!(HOSTILE);
    });
    let drifted = common::root().join("fixtures/drift/activity_id_number.json");
    let not_json = temp_file("ui-not-json.txt");
    std::fs::write(&not_json, "{\"activity\": oops").unwrap();
    let url = format!("{}/", listening.address);
    send_files(&url, &[&won, &hostile, drifted.to_str().unwrap()]);
    // Not JSON: `send` refuses to send it, so it goes as raw bytes.
    let refused = reqwest::Client::new()
        .post(format!("{url}?handshake_key={KEY}"))
        .body("{\"activity\": oops")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    wait_rows(&browser, 4).await;
    let still = browser
        .run("return window.notReloaded === true;", json!([]))
        .await;
    assert_eq!(
        still,
        json!(true),
        "the page reloaded to show new deliveries"
    );
    let ids = row_ids(&browser).await;
    assert_eq!(ids, vec![4, 3, 2, 1], "the newest first");

    // The hostile name is text: shown as its characters, no element made of it.
    let list = text_of(&browser, "#list").await;
    assert!(list.contains(HOSTILE), "{list}");
    let images = browser
        .run("return document.querySelectorAll('img').length;", json!([]))
        .await;
    assert_eq!(images, json!(0));
    for verdict in ["accepted", "drift", "refused"] {
        assert!(list.contains(verdict), "no {verdict} in {list}");
    }
    assert_no_key(&browser).await;
    browser.screenshot(&screenshots().join("list.png")).await;

    // A click shows the typed detail.
    browser.click("#list .row[data-id=\"1\"]").await;
    browser
        .wait_for(
            "const d = document.getElementById('detail'); return d && d.textContent.includes('Negotiation');",
            "the detail of the lead:won delivery",
        )
        .await;
    let detail = text_of(&browser, "#detail").await;
    for shown in ["lead:won", "Acme Corp — Lead", "Negotiation", "Zoë Åkesson"] {
        assert!(detail.contains(shown), "no {shown} in the detail: {detail}");
    }
    browser.screenshot(&screenshots().join("detail.png")).await;

    // Copied as curl, the key is the variable's, never the key.
    browser.click("#copy-curl").await;
    let curl = browser
        .wait_for(
            "const c = document.getElementById('curl-text'); return c && (c.value || c.textContent);",
            "the curl command",
        )
        .await;
    let curl = curl.as_str().unwrap();
    assert!(
        curl.contains("$CLINCHPAD_HANDSHAKE_KEY") && curl.contains("curl"),
        "{curl}"
    );
    assert!(curl.contains(&url), "{curl}");
    assert_no_key(&browser).await;

    // The fixture download is the body without its key.
    let href = browser
        .run(
            "return document.getElementById('download-fixture').href;",
            json!([]),
        )
        .await;
    let fixture = reqwest::get(href.as_str().unwrap()).await.unwrap();
    assert_eq!(fixture.status(), 200);
    assert!(fixture
        .headers()
        .get("content-disposition")
        .is_some_and(|v| v.to_str().unwrap().starts_with("attachment")));
    let fixture: Value = fixture.json().await.unwrap();
    let mut expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&won).unwrap()).unwrap();
    expected.as_object_mut().unwrap().remove("handshake_key");
    assert_eq!(fixture, expected);

    // The error of the refused body, with its line and column.
    browser.click("#list .row[data-id=\"4\"]").await;
    browser
        .wait_for(
            "const d = document.getElementById('detail'); return d && d.textContent.includes('line 1');",
            "the refused body's error",
        )
        .await;

    // Filters: by a path's value, and by verdict.
    browser.type_into("#filter-text", "lead.name:acme").await;
    browser
        .wait_for(
            "return document.querySelectorAll('#list .row').length === 2;",
            "two Acme deliveries",
        )
        .await;
    browser.type_into("#filter-text", "").await;
    browser.select("#filter-verdict", "refused").await;
    wait_rows(&browser, 1).await;
    assert_eq!(row_ids(&browser).await, vec![4]);
    browser.select("#filter-verdict", "").await;
    wait_rows(&browser, 4).await;

    // The lead's next delivery, in another stage: the diff names what changed.
    let moved = fixture_with("lead_won.json", "ui-won-again.json", |p| {
        p["activity"]["_id"] = json!("52cfbf76cce8b40f0f000099");
        p["lead"]["stage"]["name"] = json!("Won");
        p["lead"]["size"] = json!(3000);
    });
    send_files(&url, &[&moved]);
    wait_rows(&browser, 5).await;
    browser.click("#list .row[data-id=\"5\"]").await;
    browser.click("#diff").await;
    let diff = browser
        .wait_for(
            "const d = document.getElementById('detail'); const t = d ? d.textContent : ''; return t.includes('lead.stage.name') && t.includes('lead.size') ? t : '';",
            "the diff with the lead's previous delivery",
        )
        .await;
    let diff = diff.as_str().unwrap();
    assert!(
        diff.contains("Negotiation") && diff.contains("Won"),
        "{diff}"
    );
    assert_no_key(&browser).await;

    // Loaded again, the page shows all five from its first view, the hostile name as text.
    browser.goto(&ui).await;
    wait_rows(&browser, 5).await;
    let list = text_of(&browser, "#list").await;
    assert!(list.contains(HOSTILE), "{list}");
    let elements = browser
        .run(
            "return document.querySelectorAll('img').length + document.scripts.length;",
            json!([]),
        )
        .await;
    // The page's own two: the first view's data and its script.
    assert_eq!(elements, json!(2));
    assert_no_key(&browser).await;
    drop(browser);
    listening.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_and_edit_and_send_reach_another_listen_with_the_key_added() {
    let other = listen(&["--json"], Some(KEY));
    let (listening, ui) = listen_with_ui(&[], Some(KEY));
    let won = fixture_with("lead_won.json", "ui-replay.json", |_| {});
    send_files(&format!("{}/", listening.address), &[&won]);

    let browser = Browser::start(1100, 900).await;
    browser.goto(&ui).await;
    wait_rows(&browser, 1).await;
    browser.click("#list .row[data-id=\"1\"]").await;

    // Replay to another URL: the second listen takes it, so the key went with it.
    browser.select("#replay-target", "url").await;
    browser
        .type_into("#replay-url", &format!("{}/", other.address))
        .await;
    browser.click("#replay-button").await;
    browser
        .wait_for(
            "const r = document.getElementById('send-result'); return r && r.textContent.includes('204');",
            "the replay's answer",
        )
        .await;
    let first: Value = serde_json::from_str(&other.lines(1)[0]).unwrap();
    assert_eq!(first["verdict"], "accepted", "{first}");
    assert_eq!(first["lead"], "Acme Corp — Lead");
    assert_eq!(first["key"]["check"], "matched");

    // Edited, then sent: what arrives is the edit, with the key.
    let edited = browser
        .run(
            "const e = document.getElementById('edit-body'); \
             e.value = e.value.replace('Acme Corp — Lead', 'Edited Lead'); \
             e.dispatchEvent(new Event('input', {bubbles: true})); return e.value;",
            json!([]),
        )
        .await;
    assert!(edited.as_str().unwrap().contains("Edited Lead"));
    assert!(!edited.as_str().unwrap().contains(KEY));
    browser.click("#edit-send").await;
    let second: Value = serde_json::from_str(&other.lines(1)[0]).unwrap();
    assert_eq!(second["verdict"], "accepted", "{second}");
    assert_eq!(second["lead"], "Edited Lead");
    assert_no_key(&browser).await;
    drop(browser);
    listening.stop();
    other.stop();
}

/// The token in the page, read as another site cannot.
async fn token_of(ui: &str) -> String {
    let page = reqwest::get(ui).await.unwrap().text().await.unwrap();
    page.split("name=\"clinchpad-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page holds its token")
        .to_owned()
}

#[tokio::test]
async fn only_the_page_itself_can_read_the_view_or_make_it_send() {
    let (listening, ui) = listen_with_ui(&[], Some(KEY));
    send_files(
        &format!("{}/", listening.address),
        &[&fixture_with("lead_won.json", "ui-guard.json", |_| {})],
    );
    let http = reqwest::Client::new();
    let page = http.get(&ui).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let token = token_of(&ui).await;
    let origin = ui.trim_end_matches('/').to_owned();

    // A page elsewhere, renamed to 127.0.0.1 (DNS rebinding), cannot read it.
    let port = origin.rsplit(':').next().unwrap();
    let renamed = http
        .get(&ui)
        .header("host", format!("attacker.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 421);

    // Reading needs the token.
    for path in ["events", "api/deliveries", "api/deliveries/1/fixture"] {
        let without = http.get(format!("{ui}{path}")).send().await.unwrap();
        assert_eq!(without.status(), 403, "{path}");
    }
    let list: Value = http
        .get(format!("{ui}api/deliveries?token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["entries"].as_array().unwrap().len(), 1);

    // Sending needs the token in a header, and the page's own origin.
    let send = |origin: Option<&str>, token: Option<&str>| {
        let mut request = http
            .post(format!("{ui}api/send"))
            .header("content-type", "application/json")
            .body(json!({"id": 1, "to": "self"}).to_string());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(token) = token {
            request = request.header("x-clinchpad-token", token);
        }
        request.send()
    };
    let cases = [
        (None, Some(token.as_str()), 403),
        (Some("http://attacker.example"), Some(token.as_str()), 403),
        (Some(origin.as_str()), None, 403),
        (Some(origin.as_str()), Some("0123"), 403),
        (Some(origin.as_str()), Some(token.as_str()), 200),
    ];
    for (origin, token, status) in cases {
        let answer = send(origin, token).await.unwrap();
        assert_eq!(
            answer.status(),
            status,
            "origin {origin:?}, token {token:?}"
        );
        if status == 200 {
            let answer: Value = answer.json().await.unwrap();
            assert_eq!(answer["status"], 204, "{answer}");
        }
    }
    // A form posted by another page (no JSON content type) is refused too.
    let form = http
        .post(format!("{ui}api/send?token={token}"))
        .header("origin", &origin)
        .header("content-type", "text/plain")
        .body(json!({"id": 1, "to": "self"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);
    let (_, out, _) = listening.stop();
    // The one send that was let through reached the receiver, and nothing else did.
    assert_eq!(
        out.iter().filter(|line| line.contains("lead:won")).count(),
        2,
        "{out:?}"
    );
}

#[tokio::test]
async fn off_loopback_the_page_itself_needs_the_printed_token() {
    let listening = listen(&["--ui", "0.0.0.0:0"], Some(KEY));
    let url = ui_url(&listening);
    let token = url
        .split("token=")
        .nth(1)
        .expect("the token is printed")
        .to_owned();
    assert_eq!(token.len(), 32);
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let bare = format!("http://127.0.0.1:{port}/");
    assert_eq!(reqwest::get(&bare).await.unwrap().status(), 403);
    let wrong = format!("{bare}?token={}", "0".repeat(32));
    assert_eq!(reqwest::get(&wrong).await.unwrap().status(), 403);
    let page = reqwest::get(format!("{bare}?token={token}")).await.unwrap();
    assert_eq!(page.status(), 200);
    listening.stop();
}

/// The entries the view holds, read through its API.
async fn entries(ui: &str) -> Vec<Value> {
    let token = token_of(ui).await;
    let list: Value = reqwest::get(format!("{ui}api/deliveries?token={token}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn what_save_or_store_kept_is_shown_after_a_restart() {
    let save = temp_file("ui-history.ndjson");
    let database = temp_file("ui-history.db");
    let store = format!("sqlite://{}", database.display());
    let first = listen(
        &["--save", save.to_str().unwrap(), "--store", &store],
        Some(KEY),
    );
    let url = format!("{}/", first.address);
    let files: Vec<String> = ["lead_won.json", "note_created.json", "todo_created.json"]
        .iter()
        .map(|name| {
            common::root()
                .join("fixtures")
                .join(name)
                .display()
                .to_string()
        })
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    send_files(&url, &files);
    first.stop();

    let (again, ui) = listen_with_ui(&["--save", save.to_str().unwrap()], Some(KEY));
    let shown = entries(&ui).await;
    let types: Vec<&str> = shown
        .iter()
        .map(|e| e["activity_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["lead:won", "note:created", "todo:created"]);
    assert!(shown.iter().all(|e| e["source"] == "saved"));
    assert!(shown.iter().all(|e| e["typed"].is_object()));
    // The page itself holds them: its first view needs no other request.
    let page = reqwest::get(&ui).await.unwrap().text().await.unwrap();
    let initial = page
        .split("<script id=\"initial\" type=\"application/json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the page holds its first view");
    let initial: Value = serde_json::from_str(initial).unwrap();
    assert_eq!(initial["entries"].as_array().unwrap().len(), 3);
    assert_eq!(initial["entries"][2]["activity_type"], "todo:created");
    again.stop();

    // From the inbox, when there is no capture; the newest --ui-keep of them.
    let (stored, ui) = listen_with_ui(&["--store", &store, "--ui-keep", "2"], Some(KEY));
    let shown = entries(&ui).await;
    let types: Vec<&str> = shown
        .iter()
        .map(|e| e["activity_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["note:created", "todo:created"]);
    assert!(shown
        .iter()
        .all(|e| e["source"] == "stored" && e["verdict"] == "accepted"));
    stored.stop();
}

#[tokio::test]
async fn the_view_alone_holds_the_newest_n_in_memory() {
    let (listening, ui) = listen_with_ui(&["--ui-keep", "2"], Some(KEY));
    let url = format!("{}/", listening.address);
    for n in 0..3 {
        let file = fixture_with("lead_won.json", &format!("ui-keep-{n}.json"), |p| {
            p["lead"]["name"] = json!(format!("Lead {n}"));
        });
        send_files(&url, &[&file]);
    }
    let shown = entries(&ui).await;
    let leads: Vec<&str> = shown.iter().map(|e| e["lead"].as_str().unwrap()).collect();
    assert_eq!(leads, ["Lead 1", "Lead 2"]);
    assert_eq!(shown[1]["id"], 3);
    listening.stop();
}

#[tokio::test]
async fn save_keeps_the_headers_but_never_one_holding_the_key() {
    let save = temp_file("ui-headers.ndjson");
    let listening = listen(&["--save", save.to_str().unwrap()], Some(KEY));
    let body = std::fs::read_to_string(common::root().join("fixtures/lead_won.json"))
        .unwrap()
        .replace("gfhkd1asfsa", KEY);
    let answer = reqwest::Client::new()
        .post(format!("{}/", listening.address))
        .header("content-type", "application/json")
        .header("user-agent", "ClinchPad-Webhook/1.0")
        .header("authorization", format!("Bearer {KEY}"))
        .header("x-note", format!("the key is {KEY}, see"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    listening.stop();
    let line = std::fs::read_to_string(&save).unwrap();
    assert!(!line.contains(KEY), "{line}");
    let record: Value = serde_json::from_str(line.trim()).unwrap();
    let headers: Vec<(String, String)> = serde_json::from_value(record["headers"].clone()).unwrap();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("user-agent"), Some("ClinchPad-Webhook/1.0"));
    assert_eq!(get("content-type"), Some("application/json"));
    assert_eq!(get("authorization"), Some("***"));
    assert_eq!(get("x-note"), Some("***"));
}
