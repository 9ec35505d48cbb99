//! `send`, `replay` and `listen --forward-to` over HTTPS: a receiver of the test's own on
//! 127.0.0.1, with a certificate made for it, trusted with `--ca-cert`, refused without.

mod common;

use std::path::PathBuf;
use std::sync::{mpsc, Arc};

use common::{listen, run, text, PATIENCE};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};

const KEY: &str = "gfhkd1asfsa";

/// An HTTPS receiver answering 204 to `count` requests, handing over each request line and
/// body; its URL, and the file holding its certificate (PEM).
fn https_app(count: usize) -> (String, PathBuf, mpsc::Receiver<(String, Vec<u8>)>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let pem = std::env::temp_dir().join(format!(
        "clinchpad-test-ca-{}-{count}.pem",
        std::process::id()
    ));
    std::fs::write(&pem, certified.cert.pem()).unwrap();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (got, received) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let mut served = 0;
            while served < count {
                let (stream, _) = listener.accept().await.unwrap();
                // A client that refuses the certificate ends the handshake: not a request.
                let Ok(stream) = acceptor.accept(stream).await else {
                    continue;
                };
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).await.unwrap();
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).await.unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).await.unwrap();
                let mut stream = reader.into_inner();
                stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await
                    .unwrap();
                stream.shutdown().await.unwrap();
                got.send((request_line.trim().to_owned(), body)).unwrap();
                served += 1;
            }
        });
    });
    (url, pem, received)
}

/// The activity type of a body the app got.
fn type_of(body: &[u8]) -> String {
    let payload = clinchpad_webhook::parse(body).expect("the app got a payload");
    payload.activity.kind.type_name().to_owned()
}

#[test]
fn send_and_replay_speak_https_trusting_the_given_certificate() {
    let (url, pem, received) = https_app(2);
    let pem = pem.to_str().unwrap();
    // Without the certificate trusted: the TLS handshake fails, and says why; no answer is
    // not a refusal (exit 3, not 1).
    let refused = run(&["send", &url, "--type", "lead:won"], Some(KEY), b"");
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(
        text(&refused).to_lowercase().contains("certificate"),
        "{}",
        text(&refused)
    );

    let sent = run(
        &[
            "send",
            &format!("{url}/hooks"),
            "--type",
            "lead:won",
            "--ca-cert",
            pem,
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    let (line, body) = received.recv_timeout(PATIENCE).unwrap();
    assert_eq!(line, "POST /hooks HTTP/1.1");
    assert_eq!(type_of(&body), "lead:won");

    let payload = std::fs::read_to_string(common::root().join("fixtures/lead_moved.json")).unwrap();
    let compact: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let replayed = run(
        &["replay", "-", "--to", &url, "--ca-cert", pem],
        Some(KEY),
        format!("{compact}\n").as_bytes(),
    );
    assert_eq!(replayed.status.code(), Some(0), "{}", text(&replayed));
    let (_, body) = received.recv_timeout(PATIENCE).unwrap();
    assert_eq!(type_of(&body), "lead:moved");
}

#[test]
fn listen_forwards_to_an_https_app() {
    let (url, pem, received) = https_app(1);
    let listening = listen(
        &[
            "--key",
            KEY,
            "--forward-to",
            &url,
            "--ca-cert",
            pem.to_str().unwrap(),
        ],
        None,
    );
    let sent = run(
        &["send", &listening.address, "--type", "note:created"],
        Some(KEY),
        b"",
    );
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    let (_, body) = received.recv_timeout(PATIENCE).unwrap();
    assert_eq!(type_of(&body), "note:created");
    assert!(listening.lines(1)[0].contains("→ app 204 in "));
}

#[test]
fn a_ca_cert_that_is_not_one_is_a_usage_error() {
    let file = std::env::temp_dir().join(format!(
        "clinchpad-test-not-a-cert-{}.pem",
        std::process::id()
    ));
    std::fs::write(&file, "not a certificate").unwrap();
    let output = run(
        &[
            "send",
            "https://127.0.0.1:9/",
            "--type",
            "lead:won",
            "--ca-cert",
            file.to_str().unwrap(),
        ],
        None,
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = run(
        &[
            "send",
            "https://127.0.0.1:9/",
            "--type",
            "lead:won",
            "--ca-cert",
            "/no/such/file.pem",
        ],
        None,
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("cannot read"), "{}", text(&output));
}
