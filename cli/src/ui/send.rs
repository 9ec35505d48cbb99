//! The page's "replay" and "edit and send": a request the view holds, or the page's edit of
//! its body, sent again with the key put back by the command (the page never holds it).

use std::time::Instant;

use clinchpad_webhook::HandshakeKey;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Ui;
use crate::capture::{self, Unchecked};
use crate::client::{self, round, shown_url};

/// Where the page can send, and with what.
pub struct Targets {
    /// This `listen`'s own receiver.
    pub receiver: reqwest::Url,
    /// The `--forward-to` app.
    pub forward: Option<reqwest::Url>,
    pub client: reqwest::Client,
    /// The key put in each request sent: the first configured; none for `--unverified`.
    pub key: Option<HandshakeKey>,
}

/// What the page asks to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// The request in the view whose body (unless `body` is given) and query are sent.
    id: u64,
    /// `forward`, `self` or `url`.
    to: String,
    url: Option<String>,
    /// The page's edit of the body.
    body: Option<String>,
}

/// Sends what `asked` says, and tells what the receiver answered: `(200, {url, status, ms,
/// body, error})`, or an error status with `{error}` when nothing was sent.
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
    let url = match (asked.to.as_str(), &targets.forward, asked.url.as_deref()) {
        ("self", _, _) => targets.receiver.clone(),
        ("forward", Some(forward), _) => forward.clone(),
        ("forward", None, _) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "listen has no --forward-to app".into(),
            )
        }
        ("url", _, Some(url)) => match reqwest::Url::parse(url.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            Ok(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "only http:// and https:// URLs".into(),
                )
            }
            Err(err) => return refuse(StatusCode::BAD_REQUEST, format!("not a URL: {err}")),
        },
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "send to `forward`, `self`, or `url` with a url".into(),
            )
        }
    };
    let record = &item.record;
    let Some(body) = asked.body.as_deref().or(record.body.as_deref()) else {
        return refuse(
            StatusCode::CONFLICT,
            "this request's body was not kept, so it cannot be sent again".into(),
        );
    };
    // As it came, by the rule `replay` follows: the key only where the request's matched.
    let key = targets.key.as_ref().map(HandshakeKey::expose_secret);
    let resent = capture::as_it_came(
        body.as_bytes(),
        &record.query,
        record.key,
        key,
        Unchecked::WithoutAKey,
    );
    let (body, query) = (resent.body, resent.query);
    let started = Instant::now();
    let answer = targets
        .client
        .post(client::with_query(&url, &query))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let ms = round(started.elapsed().as_secs_f64() * 1e3);
    let shown = shown_url(url.as_str());
    let answer = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = client::answer_text(response, capture::ANSWER_KEPT).await;
            json!({"url": shown, "status": status, "ms": ms, "body": text, "error": null})
        }
        Err(err) => json!({
            "url": shown, "status": null, "ms": ms, "body": null,
            "error": client::error_text(err),
        }),
    };
    (StatusCode::OK, answer)
}
