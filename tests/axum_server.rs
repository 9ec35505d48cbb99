//! The axum extractor over real HTTP: an axum router served by hyper on 127.0.0.1, and
//! hyper's client posting every fixture and a set of bad requests to it.
#![cfg(feature = "axum")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::axum::{ClinchPadWebhook, WebhookConfig};
use clinchpad_webhook::{parse, HandshakeKey, Payload};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;

const KEY: &str = "gfhkd1asfsa";
const PATH: &str = "/hooks/clinchpad";
/// No request of this test may take longer than this.
const PATIENCE: Duration = Duration::from_secs(10);

/// The application's state: the webhook settings beside the application's own things.
#[derive(Clone)]
struct AppState {
    webhook: WebhookConfig,
    received: mpsc::UnboundedSender<Payload>,
}

impl FromRef<AppState> for WebhookConfig {
    fn from_ref(state: &AppState) -> Self {
        state.webhook.clone()
    }
}

/// The handler under test hands what it got to the test.
async fn receive(
    State(state): State<AppState>,
    ClinchPadWebhook(payload): ClinchPadWebhook,
) -> StatusCode {
    state.received.send(payload).expect("the test is listening");
    StatusCode::NO_CONTENT
}

struct Server {
    url: String,
    received: mpsc::UnboundedReceiver<Payload>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Serves the router on a free port of 127.0.0.1 until the test's runtime ends.
async fn start(webhook: WebhookConfig) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(PATH, post(receive))
        .with_state(AppState {
            webhook,
            received: sender,
        });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                // A connection that ends badly (the 413 case may) is the client's business.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Server {
        url: format!("http://{address}{PATH}"),
        received,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

impl Server {
    /// POSTs `body` with an optional query string and `Content-Type`; gives the status and
    /// the response's text.
    async fn post(
        &self,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> (StatusCode, String) {
        let mut request = hyper::Request::post(format!("{}{query}", self.url));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request.body(Full::new(body.into())).unwrap();
        let response = timeout(PATIENCE, self.client.request(request))
            .await
            .expect("the server answers in time")
            .expect("the server answers");
        let status = response.status();
        let body = timeout(PATIENCE, response.into_body().collect())
            .await
            .expect("the response body comes in time")
            .expect("the response body comes")
            .to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// The payload the handler got for the last accepted request.
    async fn handed_over(&mut self) -> Payload {
        timeout(PATIENCE, self.received.recv())
            .await
            .expect("the handler ran")
            .expect("the server is running")
    }

    fn assert_nothing_handed_over(&mut self) {
        if let Ok(payload) = self.received.try_recv() {
            panic!("the handler ran for a refused request: {payload:?}");
        }
    }
}

fn keyed() -> WebhookConfig {
    WebhookConfig::new(HandshakeKey::new(KEY).unwrap())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// fixtures/*.json and fixtures/edge/*.json, sorted.
fn all_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("edge")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn every_fixture_reaches_the_handler_typed() {
    let mut server = start(keyed()).await;
    let files = all_fixtures();
    assert!(files.len() >= 49, "fixtures missing: {}", files.len());
    // The Content-Type header is not looked at: vary it.
    let content_types = [Some("application/json"), None, Some("text/plain")];
    for (i, path) in files.iter().enumerate() {
        let body = std::fs::read(path).unwrap();
        let name = path.display();
        match parse(&body) {
            Ok(expected) => {
                // A fixture without a body key gets the key as a query parameter.
                let query = match expected.handshake_key {
                    Some(_) => String::new(),
                    None => format!("?handshake_key={KEY}"),
                };
                let (status, text) = server.post(&query, content_types[i % 3], body).await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{name}: {text}");
                assert_eq!(server.handed_over().await, expected, "{name}");
            }
            Err(err) => {
                let (status, text) = server.post("", content_types[i % 3], body).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {text}");
                assert!(text.contains(&err.to_string()), "{name}: {text}");
            }
        }
    }
    server.assert_nothing_handed_over();
}

#[tokio::test]
async fn bad_requests_are_refused_and_the_server_goes_on() {
    const LIMIT: usize = 16 * 1024;
    let mut server = start(keyed().with_body_limit(LIMIT)).await;
    let signed = fixture("doc_example.json");
    let unsigned = fixture("edge/no_handshake_key.json");

    // Wrong key in the body.
    let forged = String::from_utf8(signed.clone())
        .unwrap()
        .replace(KEY, "forged-key-1234");
    let (status, text) = server.post("", None, forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("does not match"), "{text}");
    assert!(!text.contains(KEY) && !text.contains("forged-key-1234"));

    // Wrong key in the query, right one in the body: every copy must match.
    let (status, text) = server
        .post("?handshake_key=forged-key-1234", None, signed.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(!text.contains(KEY) && !text.contains("forged-key-1234"));

    // No key anywhere while one is configured.
    let (status, text) = server.post("", None, unsigned.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("missing"), "{text}");
    server.assert_nothing_handed_over();

    // The key as a query parameter instead.
    let (status, text) = server
        .post(&format!("?handshake_key={KEY}"), None, unsigned.clone())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&unsigned).unwrap());

    // Not JSON at all: the position of the first bad byte.
    let (status, text) = server.post("", None, "this is not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("line 1, column 2"), "{text}");

    // JSON, but not a payload: path and position.
    let body = "{\n  \"activity\": {\"_id\": 5}\n}";
    let (status, text) = server.post("", Some("application/json"), body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let err = parse(body.as_bytes()).unwrap_err();
    assert!(text.contains(&err.to_string()), "{text}");
    assert!(
        text.contains("`activity._id`") && text.contains("line 2, column"),
        "{text}"
    );

    // One byte over the limit; exactly at the limit is fine.
    let mut padded = signed.clone();
    padded.resize(LIMIT, b' ');
    let (status, text) = server.post("", None, padded.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&signed).unwrap());
    padded.push(b' ');
    let (status, text) = server.post("", None, padded).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains(&LIMIT.to_string()), "{text}");
    server.assert_nothing_handed_over();

    // And the server still serves a good request.
    let (status, text) = server
        .post("", Some("application/json"), signed.clone())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&signed).unwrap());
    server.assert_nothing_handed_over();
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    let mut server = start(keyed()).await;
    let signed = fixture("doc_example.json");
    let mut padded = signed.clone();
    padded.resize(WebhookConfig::DEFAULT_BODY_LIMIT, b'\n');
    let (status, text) = server.post("", None, padded.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&signed).unwrap());
    padded.push(b'\n');
    let (status, text) = server.post("", None, padded).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let (status, text) = server.post("", None, signed.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&signed).unwrap());
}

#[tokio::test]
async fn without_a_configured_key_payloads_are_parsed_but_not_verified() {
    let mut server = start(WebhookConfig::unverified()).await;
    let unsigned = fixture("edge/no_handshake_key.json");
    let (status, text) = server.post("", None, unsigned.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over().await, parse(&unsigned).unwrap());

    let (status, text) = server.post("?handshake_key=anything", None, "[]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    server.assert_nothing_handed_over();
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn every_sample_reaches_the_handler_typed() {
    let mut server = start(keyed()).await;
    for sample in clinchpad_webhook::testing::samples() {
        let sample = sample.with_handshake_key(KEY);
        let (status, text) = server.post("", None, sample.to_wire_bytes()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
        assert_eq!(server.handed_over().await, sample);
    }
    let forged =
        Payload::sample(clinchpad_webhook::ActivityType::LeadWon).with_handshake_key("guess");
    let (status, _) = server.post("", None, forged.to_wire_bytes()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.assert_nothing_handed_over();
}
