//! The real-HTTP suite every framework adapter passes: a [`Served`] receiver (a server on an
//! ephemeral port of 127.0.0.1, started by the adapter's test file) gets every fixture and
//! every bad case from hyper's client, and the handler hands over what it got.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clinchpad_webhook::{parse, Error, HandshakeKey, Payload, Receiver};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::StatusCode;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;
use tokio::time::timeout;

pub const KEY: &str = "gfhkd1asfsa";
/// Where the strict extractor (`ClinchPadWebhook`) is mounted.
pub const PATH: &str = "/hooks/clinchpad";
/// Where the tolerant extractor (`Delivery`) is mounted.
pub const TOLERANT_PATH: &str = "/hooks/clinchpad-tolerant";
/// No request of these tests may take longer than this.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// What a handler hands over: the payload when there is one, the error when it is not fully
/// typed (never for the strict extractor), and the raw body.
pub type HandedOver = (Option<Payload>, Option<Error>, Vec<u8>);

/// A receiver being served, its handler handing over each delivery it accepts.
pub struct Served {
    /// `http://ADDRESS`, without a path.
    pub base: String,
    pub received: mpsc::UnboundedReceiver<HandedOver>,
    client: Client<HttpConnector, Full<Bytes>>,
    /// Whatever keeps the server running; dropping it stops the server.
    _server: Box<dyn Send>,
}

impl Served {
    pub fn new(
        address: std::net::SocketAddr,
        received: mpsc::UnboundedReceiver<HandedOver>,
        server: Box<dyn Send>,
    ) -> Self {
        Served {
            base: format!("http://{address}"),
            received,
            client: Client::builder(TokioExecutor::new()).build_http(),
            _server: server,
        }
    }

    /// POSTs `body` to the strict extractor with a query string and an optional
    /// `Content-Type`; the status and the response's text.
    pub async fn post(
        &self,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> (StatusCode, String) {
        self.post_to(PATH, query, content_type, body).await
    }

    /// [`post`](Served::post), to the tolerant extractor.
    pub async fn post_tolerant(&self, query: &str, body: impl Into<Bytes>) -> (StatusCode, String) {
        self.post_to(TOLERANT_PATH, query, None, body).await
    }

    async fn post_to(
        &self,
        path: &str,
        query: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> (StatusCode, String) {
        let mut request = hyper::Request::post(format!("{}{path}{query}", self.base));
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

    /// The payload the handler got for the last accepted request, checked to come with the
    /// body it was read from.
    pub async fn handed_over(&mut self, body: &[u8]) -> Payload {
        match self.handed_over_delivery(body).await {
            (Some(payload), None) => payload,
            other => panic!("not a typed payload: {other:?}"),
        }
    }

    /// What the handler got for the last accepted request, checked to come with the body
    /// it was read from: the payload, when there is one, and the error.
    pub async fn handed_over_delivery(&mut self, body: &[u8]) -> (Option<Payload>, Option<Error>) {
        let (payload, error, raw) = timeout(PATIENCE, self.received.recv())
            .await
            .expect("the handler ran")
            .expect("the server is running");
        assert_eq!(raw, body, "the handler gets the body as it was sent");
        (payload, error)
    }

    pub fn assert_nothing_handed_over(&mut self) {
        if let Ok(handed_over) = self.received.try_recv() {
            panic!("the handler ran for a refused request: {handed_over:?}");
        }
    }
}

pub fn keyed() -> Receiver {
    Receiver::new(HandshakeKey::new(KEY).unwrap())
}

pub fn fixture(name: &str) -> Vec<u8> {
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

/// Every fixture reaches the handler typed, or is refused with the parse error's text.
/// Served by [`keyed`].
pub async fn every_fixture_reaches_the_handler_typed(mut server: Served) {
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
                let (status, text) = server
                    .post(&query, content_types[i % 3], body.clone())
                    .await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{name}: {text}");
                assert_eq!(server.handed_over(&body).await, expected, "{name}");
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

/// The bad cases, each answered with its status, and the server serving on after them.
/// Served by [`keyed`] with a body limit of [`LIMIT`].
pub async fn bad_requests_are_refused_and_the_server_goes_on(mut server: Served) {
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

    // An empty key, in either place.
    let (status, _) = server.post("?handshake_key=", None, unsigned.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let empty = String::from_utf8(signed.clone()).unwrap().replace(KEY, "");
    let (status, _) = server.post("", None, empty).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // No key anywhere while one is configured.
    let (status, text) = server.post("", None, unsigned.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("missing"), "{text}");
    server.assert_nothing_handed_over();

    // The key as a query parameter instead, percent-encoded or not.
    for query in [
        format!("?handshake_key={KEY}"),
        "?x=1&handshake%5Fkey=gfhkd1asfs%61".into(),
    ] {
        let (status, text) = server.post(&query, None, unsigned.clone()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{query}: {text}");
        assert_eq!(
            server.handed_over(&unsigned).await,
            parse(&unsigned).unwrap()
        );
    }

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

    // A body whose error would quote a forged log line: the answer is one line.
    let forged_line = String::from_utf8(signed.clone())
        .unwrap()
        .replace("2014-01-10T09:37:58Z", "x\\n[INFO] admin logged in");
    let (status, text) = server.post("", None, forged_line).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(!text.contains('\n'), "{text}");

    // One byte over the limit; exactly at the limit is fine.
    let mut padded = signed.clone();
    padded.resize(LIMIT, b' ');
    let (status, text) = server.post("", None, padded.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over(&padded).await, parse(&signed).unwrap());
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
    assert_eq!(server.handed_over(&signed).await, parse(&signed).unwrap());
    server.assert_nothing_handed_over();
}

/// The body limit of [`bad_requests_are_refused_and_the_server_goes_on`]'s receiver.
pub const LIMIT: usize = 16 * 1024;

/// A body of exactly the default limit passes, one byte more does not. Served by [`keyed`].
pub async fn the_default_limit_is_one_mebibyte(mut server: Served) {
    let signed = fixture("doc_example.json");
    let mut padded = signed.clone();
    padded.resize(Receiver::DEFAULT_BODY_LIMIT, b'\n');
    let (status, text) = server.post("", None, padded.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over(&padded).await, parse(&signed).unwrap());
    padded.push(b'\n');
    let (status, text) = server.post("", None, padded).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let (status, text) = server.post("", None, signed.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(server.handed_over(&signed).await, parse(&signed).unwrap());
}

/// Without a key, payloads are parsed and not verified. Served by `Receiver::unverified()`.
pub async fn without_a_configured_key_payloads_are_parsed_but_not_verified(mut server: Served) {
    let unsigned = fixture("edge/no_handshake_key.json");
    let (status, text) = server.post("", None, unsigned.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(
        server.handed_over(&unsigned).await,
        parse(&unsigned).unwrap()
    );

    let (status, text) = server.post("?handshake_key=anything", None, "[]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    server.assert_nothing_handed_over();
}

/// With two keys, either passes and a third does not. Served by [`keyed`] with `"next-key"`
/// added.
pub async fn either_of_two_keys_passes(mut server: Served) {
    let signed = fixture("doc_example.json");
    let next = String::from_utf8(signed.clone())
        .unwrap()
        .replace(KEY, "next-key");
    let third = String::from_utf8(signed.clone())
        .unwrap()
        .replace(KEY, "third-key");
    for body in [signed, next.into_bytes()] {
        let (status, text) = server.post("", None, body.clone()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
        server.handed_over(&body).await;
    }
    let (status, _) = server.post("", None, third).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.assert_nothing_handed_over();
}

/// Every sample of the test support reaches the handler equal to itself; a forged one does
/// not. Served by [`keyed`].
#[cfg(feature = "testing")]
pub async fn every_sample_reaches_the_handler_typed(mut server: Served) {
    for sample in clinchpad_webhook::testing::samples() {
        let sample = sample.with_handshake_key(KEY);
        let body = sample.to_wire_bytes();
        let (status, text) = server.post("", None, body.clone()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
        assert_eq!(server.handed_over(&body).await, sample);
    }
    let forged =
        Payload::sample(clinchpad_webhook::ActivityType::LeadWon).with_handshake_key("guess");
    let (status, _) = server.post("", None, forged.to_wire_bytes()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.assert_nothing_handed_over();
}

/// Every drifted delivery of `fixtures/drift/` is handed to the tolerant extractor's handler
/// with its error and answered 2xx, and refused by the strict one with that error; a forged
/// one is refused by both. Served by [`keyed`].
pub async fn drifted_deliveries_are_taken_tolerantly_and_refused_strictly(mut server: Served) {
    for (name, path, part) in crate::drifted::CORPUS {
        let body = crate::drifted::body(name);
        let (status, text) = server.post_tolerant("", body.clone()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{name}: {text}");
        let (payload, error) = server.handed_over_delivery(&body).await;
        assert_eq!(error.as_ref().and_then(Error::path), Some(path), "{name}");
        assert_eq!(
            payload.is_some(),
            part == crate::drifted::Part::TypeFields,
            "{name}"
        );
        let (status, text) = server.post("", None, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {text}");
        assert!(text.contains(&error.unwrap().to_string()), "{name}: {text}");
        let forged = String::from_utf8(body).unwrap().replace(KEY, "guess");
        let (status, _) = server.post_tolerant("", forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
    }
    // A body that fits reaches the tolerant handler typed.
    let signed = fixture("doc_example.json");
    let (status, _) = server.post_tolerant("", signed.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(server.handed_over(&signed).await, parse(&signed).unwrap());
    // What is not one JSON object is refused by both.
    let (status, _) = server.post_tolerant("", &b"[1, 2]"[..]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    server.assert_nothing_handed_over();
}

/// Stops a server's accepting task when the test is done with it (actix-web's tests stop
/// their server by its own handle instead).
#[allow(dead_code)]
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The suite's tests for an adapter whose `async fn start(Receiver) -> Served` serves it: one
/// line per adapter.
#[macro_export]
macro_rules! the_receiver_suite {
    ($start:ident) => {
        #[tokio::test]
        async fn every_fixture_reaches_the_handler_typed() {
            receivers::every_fixture_reaches_the_handler_typed($start(keyed()).await).await;
        }

        #[tokio::test]
        async fn bad_requests_are_refused_and_the_server_goes_on() {
            let server = $start(keyed().with_body_limit(LIMIT)).await;
            receivers::bad_requests_are_refused_and_the_server_goes_on(server).await;
        }

        #[tokio::test]
        async fn the_default_limit_is_one_mebibyte() {
            receivers::the_default_limit_is_one_mebibyte($start(keyed()).await).await;
        }

        #[tokio::test]
        async fn without_a_configured_key_payloads_are_parsed_but_not_verified() {
            let server = $start(Receiver::unverified()).await;
            receivers::without_a_configured_key_payloads_are_parsed_but_not_verified(server).await;
        }

        #[tokio::test]
        async fn either_of_two_keys_passes() {
            let next = HandshakeKey::new("next-key").unwrap();
            receivers::either_of_two_keys_passes($start(keyed().with_key(next)).await).await;
        }

        #[cfg(feature = "testing")]
        #[tokio::test]
        async fn every_sample_reaches_the_handler_typed() {
            receivers::every_sample_reaches_the_handler_typed($start(keyed()).await).await;
        }

        #[tokio::test]
        async fn drifted_deliveries_are_taken_tolerantly_and_refused_strictly() {
            let server = $start(keyed()).await;
            receivers::drifted_deliveries_are_taken_tolerantly_and_refused_strictly(server).await;
        }
    };
}
