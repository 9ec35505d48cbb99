//! The page's "replay" and "edit and send": a request the view holds, or the page's edit of
//! its body, sent again to one of the targets `listen` was started with, as it came (the key
//! put back by the command, by the rule `replay` follows: the page never holds it), or, for a
//! request whose key matched, as ClinchPad would send it.

use std::time::Instant;

use clinchpad_webhook::HandshakeKey;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Ui;
use crate::capture::{self, KeyCheck, Places, ResentKey, Unchecked};
use crate::client::{self, round, shown_url};

/// Where the page can send, and with what.
pub struct Targets {
    /// This `listen`, the `--forward-to` app, and each `--ui-send-to` URL: the page sends
    /// nowhere else, so that whoever drives it cannot aim a signed delivery at a URL of their
    /// own.
    pub list: Vec<Target>,
    pub client: reqwest::Client,
    /// The key put back in a request whose key matched: the first configured; none for
    /// `--unverified`.
    pub key: Option<HandshakeKey>,
}

/// One place the page can send to.
pub struct Target {
    /// What the page names it by: `self`, `forward`, `send-to-1`, ...
    pub id: String,
    /// What it is, in words.
    pub name: String,
    pub url: reqwest::Url,
}

impl Targets {
    /// The targets as the page is told of them: id, name and URL (without a key).
    pub fn described(&self) -> Value {
        let list: Vec<Value> = self
            .list
            .iter()
            .map(|target| {
                json!({
                    "id": target.id,
                    "name": target.name,
                    "url": shown_url(target.url.as_str()),
                })
            })
            .collect();
        Value::Array(list)
    }
}

/// What the page asks to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// The request in the view whose body (unless `body` is given) and query are sent.
    id: u64,
    /// The id of one of the [`Targets`].
    to: String,
    /// The page's edit of the body.
    body: Option<String>,
    /// Send it as ClinchPad would, with the configured key in the body, whatever key the
    /// request had: only for a request whose key matched.
    #[serde(default)]
    as_clinchpad: bool,
}

/// Sends what `asked` says, and tells what the receiver answered: `(200, {url, status, ms,
/// body, error, key})`, or an error status with `{error}` when nothing was sent.
pub async fn send(ui: &Ui, asked: Asked) -> (StatusCode, Value) {
    let refuse = |status: StatusCode, why: String| (status, json!({ "error": why }));
    let Some(item) = ui.get(asked.id) else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!(
                "request {} is no longer in the view, which holds the newest {}",
                asked.id, ui.keep
            ),
        );
    };
    let targets = &ui.targets;
    let Some(target) = targets.list.iter().find(|target| target.id == asked.to) else {
        let ids: Vec<&str> = targets.list.iter().map(|t| t.id.as_str()).collect();
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "the web view sends only to the targets listen was started with ({}: this \
                 listen, --forward-to, --ui-send-to)",
                ids.join(", ")
            ),
        );
    };
    let record = &item.record;
    let key = targets.key.as_ref().map(HandshakeKey::expose_secret);
    let signed = match (asked.as_clinchpad, key) {
        (false, _) => None,
        (true, Some(key)) if record.key.check == KeyCheck::Matched => Some(key),
        (true, key) => return refuse(StatusCode::CONFLICT, not_signed(record.key.check, key)),
    };
    let Some(body) = asked.body.as_deref().or(record.body.as_deref()) else {
        return refuse(
            StatusCode::CONFLICT,
            "this request's body was not kept, so it cannot be sent again".into(),
        );
    };
    let (body, query, sent_key) = if let Some(key) = signed {
        let in_body = Places {
            body: true,
            query: false,
        };
        let (body, query) = capture::with_key(body.as_bytes(), &record.query, Some(key), in_body);
        (body, query, ResentKey::Configured)
    } else {
        let resent = capture::as_it_came(
            body.as_bytes(),
            &record.query,
            record.key,
            key,
            Unchecked::WithoutAKey,
        );
        (resent.body, resent.query, resent.key)
    };
    let started = Instant::now();
    let answer = targets
        .client
        .post(client::with_query(&target.url, &query))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let ms = round(started.elapsed().as_secs_f64() * 1e3);
    let shown = shown_url(target.url.as_str());
    let answer = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = client::answer_text(response, capture::ANSWER_KEPT).await;
            json!({
                "url": shown, "status": status, "ms": ms, "body": text, "error": null,
                "key": sent_key,
            })
        }
        Err(err) => json!({
            "url": shown, "status": null, "ms": ms, "body": null,
            "error": client::error_text(err), "key": sent_key,
        }),
    };
    (StatusCode::OK, answer)
}

/// Why a request is not sent as ClinchPad would send it.
fn not_signed(check: KeyCheck, key: Option<&str>) -> String {
    let why = match (check, key) {
        (KeyCheck::Matched, None) => "listen has no key to sign it with (--unverified)",
        (KeyCheck::Wrong, _) => "its key did not match",
        (KeyCheck::Missing, _) => "it had no key",
        _ => "its key was not checked",
    };
    format!(
        "only a request whose key matched is sent as ClinchPad would, with the configured key; \
         {why}: replay it as it came"
    )
}
