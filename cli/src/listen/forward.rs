//! Forwarding (`--forward-to`): an accepted request passed on to the app, as it came.

use std::time::Instant;

use hyper::header::{HeaderValue, CONTENT_TYPE};

use super::record::Seen;
use crate::capture::{self, Forwarded};
use crate::client::{self, round};

/// Passes the accepted request on: the same body and query, to the app's URL.
pub(super) async fn forward(
    client: &reqwest::Client,
    url: &reqwest::Url,
    seen: &Seen,
    content_type: Option<&HeaderValue>,
) -> Forwarded {
    let mut request = client
        .post(client::with_query(url, &seen.query))
        .body(seen.body.clone().unwrap_or_default());
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE.as_str(), content_type.as_bytes());
    }
    let started = Instant::now();
    let answer = request.send().await;
    let ms = round(started.elapsed().as_secs_f64() * 1e3);
    match answer {
        Ok(response) => Forwarded {
            status: Some(response.status().as_u16()),
            error: None,
            ms,
            body: Some(client::answer_text(response, capture::ANSWER_KEPT).await),
        },
        Err(err) => Forwarded {
            status: None,
            error: Some(client::error_text(err)),
            ms,
            body: None,
        },
    }
}
