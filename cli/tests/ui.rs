//! `listen --ui`: the web view, driven in headless Chromium as a person uses it, and its
//! HTTP API called as another site would call it. The built binary runs as child processes
//! on 127.0.0.1; every wait is bounded.

mod common;

use common::browser::{screenshots, Browser};
use common::{base_of, listen, listen_with_ui, run, temp_file, text, ui_url, Listening};
use serde_json::{json, Value};

const KEY: &str = "gfhkd1asfsa-7Qz";

/// A lead name a page would run as HTML if it were careless, or that would end the script
/// element the first view is embedded in.
const HOSTILE: &str = "<img src=x onerror=alert(1)></script><script>alert(2)</script>";

/// The next one-time link `listen` prints on its standard error, once one was used.
fn next_link(listening: &Listening) -> String {
    for _ in 0..10 {
        let line = listening.stderr_line();
        if let Some(link) = line
            .split_whitespace()
            .find(|word| word.starts_with("http://") && word.contains("/open?token="))
        {
            return link.to_owned();
        }
    }
    panic!("listen printed no fresh link");
}

/// An HTTP client that follows no redirect, to see the link's own answer.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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
    // The session is a cookie the page's script cannot read.
    let cookies = browser.run("return document.cookie;", json!([])).await;
    assert_eq!(cookies, json!(""), "the page's script reads its session");
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

    // The fixture download, fetched as the page's link fetches it (with the page's session),
    // is the body without its key.
    let fetched = browser
        .run(
            "const x = new XMLHttpRequest(); \
             x.open('GET', document.getElementById('download-fixture').href, false); x.send(); \
             return [x.status, x.getResponseHeader('content-disposition'), x.responseText];",
            json!([]),
        )
        .await;
    assert_eq!(fetched[0], 200, "{fetched}");
    assert!(
        fetched[1].as_str().unwrap().starts_with("attachment"),
        "{fetched}"
    );
    let fixture: Value = serde_json::from_str(fetched[2].as_str().unwrap()).unwrap();
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
    browser.goto(&base_of(&ui)).await;
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
async fn replay_and_edit_and_send_reach_another_listen_as_the_requests_came() {
    let other = listen(&["--json"], Some(KEY));
    let other_url = format!("{}/", other.address);
    let (listening, ui) = listen_with_ui(&["--ui-send-to", &other_url], Some(KEY));
    let won = fixture_with("lead_won.json", "ui-replay.json", |_| {});
    send_files(&format!("{}/", listening.address), &[&won]);
    post_file(
        &listening.address,
        &delivery_file(7, Some("not-the-key")),
        "",
        401,
    )
    .await;

    let browser = Browser::start(1100, 900).await;
    browser.goto(&ui).await;
    wait_rows(&browser, 2).await;
    // The targets listen was started with, and no field to type another URL in.
    let targets = browser
        .run(
            "return Array.from(document.querySelectorAll('#replay-target option')).map(o => o.value);",
            json!([]),
        )
        .await;
    assert_eq!(targets, json!(["self", "send-to-1"]));
    let inputs = browser
        .run(
            "return document.querySelectorAll('#sec-actions input').length;",
            json!([]),
        )
        .await;
    assert_eq!(inputs, json!(0));

    // The delivery whose key matched: replayed with the key, and offered as ClinchPad would.
    browser.click("#list .row[data-id=\"1\"]").await;
    let words = text_of(&browser, "#replay-key").await;
    assert!(words.contains("with the configured key"), "{words}");
    let offered = browser
        .run(
            "return !document.getElementById('clinchpad-send').hidden;",
            json!([]),
        )
        .await;
    assert_eq!(offered, json!(true));
    assert_eq!(
        text_of(&browser, "#clinchpad-send").await,
        "Send as ClinchPad would"
    );
    browser.select("#replay-target", "send-to-1").await;
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
    browser.click("#clinchpad-send").await;
    let third: Value = serde_json::from_str(&other.lines(1)[0]).unwrap();
    assert_eq!(third["verdict"], "accepted", "{third}");
    assert_eq!(third["key"]["in_body"], true, "{third}");

    // The delivery with a wrong key: replayed with a wrong key, and said so; never signed.
    browser.click("#list .row[data-id=\"2\"]").await;
    browser
        .wait_for(
            "return document.getElementById('replay-key').textContent.includes('wrong key');",
            "the replay's key described",
        )
        .await;
    let words = text_of(&browser, "#replay-key").await;
    assert!(
        words.contains("as it came: with a wrong key, expect 401"),
        "{words}"
    );
    let offered = browser
        .run(
            "return !document.getElementById('clinchpad-send').hidden;",
            json!([]),
        )
        .await;
    assert_eq!(offered, json!(false));
    browser.click("#replay-button").await;
    let fourth: Value = serde_json::from_str(&other.lines(1)[0]).unwrap();
    assert_eq!(fourth["status"], 401, "{fourth}");
    assert_eq!(fourth["key"]["check"], "wrong", "{fourth}");
    browser
        .wait_for(
            "const r = document.getElementById('send-result'); return r && r.textContent.includes('401');",
            "the refused replay's answer",
        )
        .await;
    assert_no_key(&browser).await;
    drop(browser);
    listening.stop();
    other.stop();
}

#[tokio::test]
async fn only_the_page_itself_can_read_the_view_or_make_it_send() {
    let (listening, ui) = listen_with_ui(&[], Some(KEY));
    send_files(
        &format!("{}/", listening.address),
        &[&fixture_with("lead_won.json", "ui-guard.json", |_| {})],
    );
    let view = View::open(&ui).await;
    let page = view.get("").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let base = view.base.clone();
    let origin = base.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();

    // A page elsewhere, renamed to 127.0.0.1 (DNS rebinding), cannot read it, session or not.
    let port = origin.rsplit(':').next().unwrap();
    let renamed = http
        .get(&base)
        .header("host", format!("attacker.example:{port}"))
        .header("cookie", &view.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 421);

    // Reading needs the session.
    for path in ["", "events", "api/deliveries", "api/deliveries/1/fixture"] {
        let without = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(without.status(), 403, "{path}");
    }
    assert_eq!(view.entries().await.len(), 1);

    // Sending needs the session, the page's own origin, and the page's header.
    let send = |origin: Option<&str>, cookie: Option<&str>, marked: bool| {
        let mut request = http
            .post(format!("{base}api/send"))
            .header("content-type", "application/json")
            .body(json!({"id": 1, "to": "self"}).to_string());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if marked {
            request = request.header("x-clinchpad-page", "1");
        }
        request.send()
    };
    let cookie = view.cookie.as_str();
    let forged = format!("{}={}", cookie.split('=').next().unwrap(), "0".repeat(32));
    let cases = [
        (None, Some(cookie), true, 403),
        (Some("http://attacker.example"), Some(cookie), true, 403),
        (Some(origin.as_str()), None, true, 403),
        (Some(origin.as_str()), Some(forged.as_str()), true, 403),
        (Some(origin.as_str()), Some(cookie), false, 403),
        (Some(origin.as_str()), Some(cookie), true, 200),
    ];
    for (origin, cookie, marked, status) in cases {
        let answer = send(origin, cookie, marked).await.unwrap();
        assert_eq!(
            answer.status(),
            status,
            "origin {origin:?}, cookie {cookie:?}, marked {marked}"
        );
        if status == 200 {
            let answer: Value = answer.json().await.unwrap();
            assert_eq!(answer["status"], 204, "{answer}");
        }
    }
    // A form posted by another page (no JSON content type) is refused too.
    let form = http
        .post(format!("{base}api/send"))
        .header("origin", &origin)
        .header("cookie", cookie)
        .header("x-clinchpad-page", "1")
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
async fn the_view_opens_only_through_the_one_time_link_listen_printed() {
    let (listening, link) = listen_with_ui(&[], Some(KEY));
    let base = base_of(&link);
    let http = no_redirects();
    // Reaching it is not enough, on loopback too: nothing but a sentence, nothing secret.
    let mut refusals = Vec::new();
    for path in ["", "events", "api/deliveries"] {
        let answer = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 403, "{path}");
        refusals.push(answer.text().await.unwrap());
    }
    let token = link.split("token=").nth(1).unwrap().to_owned();
    assert_eq!(token.len(), 32);
    for said in refusals {
        assert!(said.contains("one-time link"), "{said}");
        assert!(!said.contains(&token), "{said}");
    }
    let guessed = http
        .get(format!("{base}open?token={}", "0".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 403);
    assert!(guessed.headers().get("set-cookie").is_none());

    // The link opens a session: a cookie the page's script cannot read, then the page.
    let opened = http.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/");
    let set = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    let session = cookie.split('=').nth(1).unwrap().to_owned();
    assert_eq!(session.len(), 32, "{cookie}");
    let page = http
        .get(&base)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(!page.contains(&session) && !page.contains(&token), "{page}");

    // Once: used again, it opens nothing; listen prints a fresh link for another browser.
    let again = http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 403);
    assert!(again.headers().get("set-cookie").is_none());
    let fresh = next_link(&listening);
    assert_ne!(fresh, link);
    let other = http.get(&fresh).send().await.unwrap();
    assert_eq!(other.status(), 303);
    let other_cookie = other.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let other_session = other_cookie.split('=').nth(1).unwrap().to_owned();
    assert_ne!(other_session, session);
    let newest = next_link(&listening);
    assert!(newest != fresh && newest != link);
    // Both sessions read the view.
    for cookie in [&cookie, &other_cookie] {
        let answer = http
            .get(format!("{base}api/deliveries"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    // No session's cookie is ever printed.
    let (_, out, err) = listening.stop();
    let all = format!("{}\n{}", out.join("\n"), err.join("\n"));
    for secret in [&session, &other_session] {
        assert!(!all.contains(secret.as_str()), "{all}");
    }
}

#[tokio::test]
async fn the_page_sends_only_to_the_targets_listen_was_started_with() {
    let other = listen(&["--json"], Some(KEY));
    let other_url = format!("{}/hooks", other.address);
    let won = fixture_with("lead_won.json", "ui-targets.json", |_| {});
    // A URL of the page's choosing is refused, and nothing is sent there.
    let (listening, link) = listen_with_ui(&[], Some(KEY));
    send_files(&format!("{}/", listening.address), &[&won]);
    let view = View::open(&link).await;
    for asked in [
        json!({"id": 1, "to": "url", "url": other_url}),
        json!({"id": 1, "to": other_url}),
        json!({"id": 1, "to": "send-to-1"}),
    ] {
        let (status, answer) = view.send(asked.clone()).await;
        assert_eq!(status, 400, "{asked}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    listening.stop();
    // One given with --ui-send-to is a target, offered to the page by its id.
    let (listening, link) = listen_with_ui(&["--ui-send-to", &other_url], Some(KEY));
    send_files(&format!("{}/", listening.address), &[&won]);
    let view = View::open(&link).await;
    let page = view.get("").await.text().await.unwrap();
    assert!(page.contains(r#""id":"send-to-1""#), "{page}");
    let (status, answer) = view.send(json!({"id": 1, "to": "send-to-2"})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = view.send(json!({"id": 1, "to": "send-to-1"})).await;
    assert_eq!((status, &answer["status"]), (200, &json!(404)), "{answer}");
    let (_, out, _) = other.stop();
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].contains(r#""path":"/hooks""#), "{out:?}");
    listening.stop();

    // A target that is not http or https, or not a URL, or without a view, stops listen.
    for (args, said) in [
        (
            vec!["--ui", "127.0.0.1:0", "--ui-send-to", "ftp://127.0.0.1/x"],
            "--ui-send-to ftp://127.0.0.1/x: only http:// and https:// URLs are supported",
        ),
        (
            vec!["--ui", "127.0.0.1:0", "--ui-send-to", "not a url"],
            "--ui-send-to not a url: relative URL without a base",
        ),
        (vec!["--ui-send-to", "http://127.0.0.1:9/"], "--ui"),
    ] {
        let mut full = vec!["listen", "--addr", "127.0.0.1:0"];
        full.extend_from_slice(&args);
        let output = run(&full, Some(KEY), b"");
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(text(&output).contains(said), "{}", text(&output));
    }
    let help = run(&["listen", "--help"], None, b"");
    assert!(
        text(&help).contains("--ui-send-to <URL>"),
        "{}",
        text(&help)
    );
}

#[tokio::test]
async fn off_loopback_the_view_opens_through_the_printed_link_too() {
    let listening = listen(&["--ui", "0.0.0.0:0"], Some(KEY));
    let link = ui_url(&listening);
    let token = link
        .split("token=")
        .nth(1)
        .expect("the token is printed")
        .to_owned();
    assert_eq!(token.len(), 32);
    let port = link.split(':').nth(2).unwrap().split('/').next().unwrap();
    let bare = format!("http://127.0.0.1:{port}/");
    let http = no_redirects();
    assert_eq!(http.get(&bare).send().await.unwrap().status(), 403);
    let wrong = format!("{bare}open?token={}", "0".repeat(32));
    assert_eq!(http.get(&wrong).send().await.unwrap().status(), 403);
    // The token on the page's own address opens nothing: only the link does.
    let old = format!("{bare}?token={token}");
    assert_eq!(http.get(&old).send().await.unwrap().status(), 403);
    let view = View::open(&format!("{bare}open?token={token}")).await;
    assert_eq!(view.get("").await.status(), 200);
    listening.stop();
}

/// The entries the view holds, read through its API with a session of its link.
async fn entries(link: &str) -> Vec<Value> {
    View::open(link).await.entries().await
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
    let view = View::open(&ui).await;
    let shown = view.entries().await;
    let types: Vec<&str> = shown
        .iter()
        .map(|e| e["activity_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["lead:won", "note:created", "todo:created"]);
    assert!(shown.iter().all(|e| e["source"] == "saved"));
    assert!(shown.iter().all(|e| e["typed"].is_object()));
    // The page itself holds them: its first view needs no other request.
    let page = view.get("").await.text().await.unwrap();
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
        // A browser sends the web view's session to every port of 127.0.0.1.
        .header("cookie", "theme=dark; clinchpad_view_8081=0123456789abcdef")
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
    assert_eq!(get("cookie"), Some("theme=dark; clinchpad_view_8081=***"));
}

/// The web view, as its own page reaches it: with the session its one-time link opened.
struct View {
    /// `http://127.0.0.1:PORT/`.
    base: String,
    /// `NAME=VALUE`, as a `Cookie` header holds it.
    cookie: String,
    http: reqwest::Client,
}

impl View {
    /// Opens the one-time link `link`, as a browser does.
    async fn open(link: &str) -> View {
        let http = no_redirects();
        let opened = http.get(link).send().await.unwrap();
        assert_eq!(opened.status(), 303, "{link}");
        let cookie = opened.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        View {
            base: base_of(link),
            cookie,
            http,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn entries(&self) -> Vec<Value> {
        let list: Value = self.get("api/deliveries").await.json().await.unwrap();
        list["entries"].as_array().unwrap().clone()
    }

    /// `POST /api/send` with `asked`: the status, and the answer read as JSON.
    async fn send(&self, asked: Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}api/send", self.base))
            .header("origin", self.base.trim_end_matches('/'))
            .header("content-type", "application/json")
            .header("cookie", &self.cookie)
            .header("x-clinchpad-page", "1")
            .body(asked.to_string())
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }
}

/// A fixture's payload with another activity id and lead name, and `key` as its
/// `handshake_key` (none for `None`), written to a file of its own.
fn delivery_file(n: u32, key: Option<&str>) -> String {
    fixture_with("lead_won.json", &format!("ui-keyed-{n}.json"), |p| {
        p["activity"]["_id"] = json!(format!("52cfbf76cce8b40f0f0001{n:02}"));
        p["lead"]["name"] = json!(format!("Lead {n}"));
        match key {
            Some(key) => p["handshake_key"] = json!(key),
            None => drop(p.as_object_mut().unwrap().remove("handshake_key")),
        }
    })
}

/// Posts the file's body as it is, with `query`, and checks the status it was answered.
async fn post_file(address: &str, file: &str, query: &str, status: u16) {
    let answer = reqwest::Client::new()
        .post(format!("{address}/?{query}"))
        .header("content-type", "application/json")
        .body(std::fs::read(file).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), status, "{file} ?{query}");
}

#[tokio::test]
async fn a_request_refused_for_its_key_is_replayed_from_the_page_as_it_came_and_refused_again() {
    let database = temp_file("ui-forged.db");
    let store = format!("sqlite://{}", database.display());
    let (listening, ui) = listen_with_ui(&["--store", &store], Some(KEY));
    let address = &listening.address;
    // Matched; a wrong key in the body; none at all; a wrong key in the query.
    post_file(address, &delivery_file(1, Some(KEY)), "", 204).await;
    post_file(address, &delivery_file(2, Some("not-the-key")), "", 401).await;
    post_file(address, &delivery_file(3, None), "", 401).await;
    post_file(address, &delivery_file(4, None), "handshake_key=guess", 401).await;

    let view = View::open(&ui).await;
    let checks: Vec<Value> = view
        .entries()
        .await
        .iter()
        .map(|e| e["key"]["check"].clone())
        .collect();
    assert_eq!(checks, ["matched", "wrong", "missing", "wrong"]);
    // Replayed, and edited and sent, to this listen: each answered as it was (the last was
    // refused for its query before its body was read, so only an edit of it can be sent).
    for (id, status) in [(1, 204), (2, 401), (3, 401), (4, 401)] {
        let (sent, answer) = view.send(json!({"id": id, "to": "self"})).await;
        match id {
            4 => assert_eq!(sent, 409, "#{id}: {answer}"),
            _ => assert_eq!(
                (sent, &answer["status"]),
                (200, &json!(status)),
                "#{id}: {answer}"
            ),
        }
        let edited = std::fs::read_to_string(delivery_file(id, None))
            .unwrap()
            .replace(&format!("Lead {id}"), "Edited");
        let (sent, answer) = view
            .send(json!({"id": id, "to": "self", "body": edited}))
            .await;
        assert_eq!(
            (sent, &answer["status"]),
            (200, &json!(status)),
            "#{id} edited: {answer}"
        );
    }
    // Signed with the key only when asked, and only for the one whose key matched.
    for id in [2, 3, 4] {
        let (sent, answer) = view
            .send(json!({"id": id, "to": "self", "as_clinchpad": true}))
            .await;
        assert_eq!(sent, 409, "#{id}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("matched"),
            "{answer}"
        );
    }
    let (sent, answer) = view
        .send(json!({"id": 1, "to": "self", "as_clinchpad": true}))
        .await;
    assert_eq!((sent, &answer["status"]), (200, &json!(204)), "{answer}");
    listening.stop();

    // Only the delivery whose key matched is in the inbox: no forged one was let in. (Its
    // edit, sent with the key as it came, is kept beside it as a conflict: the same id, another
    // body.)
    let listed = run(&["inbox", "list", "--json", "--store", &store], None, b"");
    let stored: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let first = "52cfbf76cce8b40f0f000101";
    assert!(
        stored
            .iter()
            .any(|e| e["id"] == first && e["conflict_of"].is_null()),
        "{}",
        text(&listed)
    );
    for entry in &stored {
        let id = entry["id"].as_str().unwrap();
        assert!(
            id == first || entry["conflict_of"] == first,
            "a forged delivery is stored: {}",
            text(&listed)
        );
    }
}

#[tokio::test]
async fn a_key_spelled_with_json_escapes_reaches_neither_the_view_nor_a_fixture() {
    // The key, with one character written as a JSON escape: the same text once read.
    let escaped = format!("{}\\u0066{}", &KEY[..1], &KEY[2..]);
    assert_eq!(
        serde_json::from_str::<String>(&format!("\"{escaped}\"")).unwrap(),
        KEY
    );
    let won = std::fs::read_to_string(common::root().join("fixtures/lead_won.json")).unwrap();
    let body = won
        .replacen(
            r#""type": "lead:won","#,
            &format!(r#""type": "lead:won", "note": "the key is {escaped}, see","#),
            1,
        )
        .replacen(
            r#""size": 2500,"#,
            &format!(r#""size": 2500, "{escaped}": 1,"#),
            1,
        );
    assert_eq!(body.matches(&escaped).count(), 2);
    // Kept by an inbox as a receiver that masks only the key's plain text would keep it.
    let database = temp_file("ui-escaped.db");
    let store = format!("sqlite://{}", database.display());
    let inbox = clinchpad_webhook_inbox::Inbox::open(&store).await.unwrap();
    let delivery = clinchpad_webhook::Receiver::unverified()
        .accept(None, body.as_bytes())
        .unwrap();
    inbox.store(&delivery).await.unwrap();
    drop(inbox);

    let (listening, ui) = listen_with_ui(&["--store", &store], Some(KEY));
    let view = View::open(&ui).await;
    let listed = view.get("api/deliveries").await.text().await.unwrap();
    let page = view.get("").await.text().await.unwrap();
    let fixture = view
        .get("api/deliveries/1/fixture")
        .await
        .text()
        .await
        .unwrap();
    for (what, text) in [
        ("the API", &listed),
        ("the page", &page),
        ("the fixture", &fixture),
    ] {
        assert!(!text.contains(KEY), "the key in {what}: {text}");
        assert!(
            !text.contains(&KEY[2..]),
            "the escaped key in {what}: {text}"
        );
    }
    let entries: Value = serde_json::from_str(&listed).unwrap();
    let shown: Value =
        serde_json::from_str(entries["entries"][0]["body"].as_str().unwrap()).unwrap();
    let fixture: Value = serde_json::from_str(&fixture).unwrap();
    for body in [&shown, &fixture] {
        assert_eq!(body["activity"]["note"], "***", "{body}");
        assert_eq!(body["lead"]["***"], 1, "{body}");
        assert_eq!(body["lead"]["name"], "Acme Corp — Lead", "{body}");
    }
    listening.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_rows_show_their_state_attempts_and_last_error_and_whether_a_key_was_checked() {
    use clinchpad_webhook_inbox::{Inbox, Outcome};
    let database = temp_file("ui-inbox-state.db");
    let store = format!("sqlite://{}", database.display());
    // The fixtures' own key: the receiver that stored them checked it.
    let fixtures_key = clinchpad_webhook::HandshakeKey::new("gfhkd1asfsa").unwrap();
    let receiver = clinchpad_webhook::Receiver::new(fixtures_key);
    let inbox = Inbox::open(&store).await.unwrap();
    for name in ["lead_won.json", "note_created.json", "todo_created.json"] {
        let body = std::fs::read(common::root().join("fixtures").join(name)).unwrap();
        inbox
            .store(&receiver.accept(None, &body).unwrap())
            .await
            .unwrap();
    }
    // One done, one dead after its one attempt, one left pending.
    let worker = inbox
        .worker(|payload: clinchpad_webhook::Payload| async move {
            match payload.activity.kind.type_name() {
                "lead:won" => Ok(()),
                _ => Err("the CRM said no".to_owned()),
            }
        })
        .max_attempts(1);
    for _ in 0..2 {
        let outcome = worker.run_once().await.unwrap();
        assert!(matches!(
            outcome,
            Some(Outcome::Done { .. } | Outcome::Dead { .. })
        ));
    }
    drop(worker);
    drop(inbox);

    let (listening, ui) = listen_with_ui(&["--store", &store], Some(KEY));
    let browser = Browser::start(1280, 860).await;
    browser.goto(&ui).await;
    wait_rows(&browser, 3).await;
    let rows = browser
        .run(
            "return Array.from(document.querySelectorAll('#list .row')).map(r => r.textContent);",
            json!([]),
        )
        .await;
    let rows: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_str().unwrap().to_owned())
        .collect();
    let joined = rows.join("\n");
    assert!(joined.contains("done · 1 attempt"), "{joined}");
    assert!(joined.contains("dead · 1 attempt"), "{joined}");
    assert!(joined.contains("pending · 0 attempts"), "{joined}");
    assert!(
        rows.iter().all(|row| row.contains("key checked ✓")),
        "{joined}"
    );
    assert!(!joined.contains("no key"), "{joined}");
    // The dead one's detail says why.
    let dead = browser
        .run(
            "const row = Array.from(document.querySelectorAll('#list .row')).find(r => r.textContent.includes('dead')); row.click(); return true;",
            json!([]),
        )
        .await;
    assert_eq!(dead, json!(true));
    browser
        .wait_for(
            "const i = document.getElementById('inbox-info'); return !!i && i.textContent.includes('the CRM said no');",
            "the inbox's last error in the detail",
        )
        .await;
    listening.stop();
}
