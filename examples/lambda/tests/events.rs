//! The function invoked as the Lambda runtime invokes it, with no AWS account: API Gateway
//! (REST and HTTP API) and function URL events, made from the project's fixtures, through
//! `lambda_http`'s own adapter, and the response it would return to AWS.

use clinchpad_webhook::{HandshakeKey, Receiver};
use clinchpad_webhook_lambda::receiver_service;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use serde_json::{json, Value};

const KEY: &str = "gfhkd1asfsa";

fn fixture(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// How API Gateway or a function URL hands a request to the function.
#[derive(Clone, Copy, Debug)]
enum Source {
    RestApi,
    HttpApi,
    FunctionUrl,
}

/// The event for a request of `method` with `query` (`a=1&b=2`) and `body`, sent as base64
/// when `encoded`.
fn event(source: Source, method: &str, query: &str, body: &str, encoded: bool) -> Value {
    let body = if encoded {
        base64(body.as_bytes())
    } else {
        body.to_owned()
    };
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), json!(value))
        })
        .collect();
    let headers = json!({"content-type": "application/json", "user-agent": "ClinchPad"});
    match source {
        Source::RestApi => json!({
            "resource": "/hooks/clinchpad",
            "path": "/hooks/clinchpad",
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {},
            "queryStringParameters": if params.is_empty() { Value::Null } else { Value::Object(params.clone()) },
            "multiValueQueryStringParameters": if params.is_empty() { Value::Null } else {
                Value::Object(params.iter().map(|(k, v)| (k.clone(), json!([v]))).collect())
            },
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "resourceId": "abc123",
                "stage": "prod",
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "identity": {"sourceIp": "203.0.113.7", "userAgent": "ClinchPad"},
                "resourcePath": "/hooks/clinchpad",
                "httpMethod": method,
                "apiId": "1234567890",
                "path": "/prod/hooks/clinchpad",
                "protocol": "HTTP/1.1",
            },
            "body": body,
            "isBase64Encoded": encoded,
        }),
        Source::HttpApi | Source::FunctionUrl => {
            let domain = match source {
                Source::FunctionUrl => "abcdefghij.lambda-url.eu-west-1.on.aws",
                _ => "abcdefghij.execute-api.eu-west-1.amazonaws.com",
            };
            json!({
                "version": "2.0",
                "routeKey": "$default",
                "rawPath": "/hooks/clinchpad",
                "rawQueryString": query,
                "headers": headers,
                "queryStringParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
                "requestContext": {
                    "accountId": "123456789012",
                    "apiId": "abcdefghij",
                    "domainName": domain,
                    "domainPrefix": "abcdefghij",
                    "http": {
                        "method": method,
                        "path": "/hooks/clinchpad",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "203.0.113.7",
                        "userAgent": "ClinchPad",
                    },
                    "requestId": "id",
                    "routeKey": "$default",
                    "stage": "$default",
                    "time": "12/Mar/2026:19:03:58 +0000",
                    "timeEpoch": 1773342238000_i64,
                },
                "body": body,
                "isBase64Encoded": encoded,
            })
        }
    }
}

/// Invokes the function with `event` as the runtime does, and returns the status and body
/// it would answer AWS with.
async fn invoke(receiver: Receiver, event: Value) -> (u16, String) {
    let request: LambdaRequest = serde_json::from_value(event).expect("an event lambda_http reads");
    let mut adapter = Adapter::from(receiver_service(receiver));
    let response = adapter
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .expect("the function answers");
    let response = serde_json::to_value(response).unwrap();
    let status = response["statusCode"].as_u64().expect("a status") as u16;
    let body = response["body"].as_str().unwrap_or_default().to_owned();
    (status, body)
}

fn receiver() -> Receiver {
    Receiver::new(HandshakeKey::new(KEY).unwrap())
}

const SOURCES: [Source; 3] = [Source::RestApi, Source::HttpApi, Source::FunctionUrl];

#[tokio::test]
async fn a_delivery_is_taken_from_every_kind_of_event() {
    let body = fixture("lead_won.json");
    for source in SOURCES {
        for encoded in [false, true] {
            let (status, answer) =
                invoke(receiver(), event(source, "POST", "", &body, encoded)).await;
            assert_eq!(status, 204, "{source:?}, base64 {encoded}: {answer}");
        }
    }
}

#[tokio::test]
async fn the_key_in_the_query_string_is_checked_too() {
    let body =
        fixture("lead_won.json").replace(&format!("\"handshake_key\": \"{KEY}\""), "\"a\": 1");
    assert!(!body.contains(KEY));
    for source in SOURCES {
        let (status, _) = invoke(
            receiver(),
            event(
                source,
                "POST",
                &format!("handshake_key={KEY}"),
                &body,
                false,
            ),
        )
        .await;
        assert_eq!(status, 204, "{source:?}");
        let (status, _) = invoke(
            receiver(),
            event(source, "POST", "handshake_key=wrong", &body, false),
        )
        .await;
        assert_eq!(status, 401, "{source:?}");
    }
}

#[tokio::test]
async fn forged_bad_and_misdirected_requests_are_refused_without_the_key_in_the_answer() {
    let good = fixture("lead_won.json");
    let forged = good.replace(KEY, "not-the-key");
    let drifted = fixture("drift/activity_id_number.json");
    for source in SOURCES {
        let cases = [
            ("POST", forged.as_str(), 401),
            ("POST", "{\"activity\": oops", 400),
            ("POST", "", 400),
            ("GET", "", 405),
            // Taken with its drift, not lost.
            ("POST", drifted.as_str(), 204),
        ];
        for (method, body, expected) in cases {
            let (status, answer) = invoke(receiver(), event(source, method, "", body, false)).await;
            assert_eq!(status, expected, "{source:?} {method} {body:.40}: {answer}");
            assert!(!answer.contains(KEY), "{answer}");
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_413() {
    let body = format!("{{\"note\": \"{}\"}}", "x".repeat(2048));
    for source in SOURCES {
        let (status, _) = invoke(
            receiver().with_body_limit(1024),
            event(source, "POST", "", &body, true),
        )
        .await;
        assert_eq!(status, 413, "{source:?}");
    }
}

#[test]
fn the_line_logged_masks_the_key_and_escapes_what_the_body_says() {
    let body = fixture("lead_won.json").replace("Acme Corp", "Acme gfhkd1asfsa\\n[INFO] forged");
    let delivery = receiver().accept(None, body.as_bytes()).unwrap();
    let line = clinchpad_webhook_lambda::log_line(&delivery);
    assert!(!line.contains(KEY), "{line}");
    assert!(line.contains(r"Acme ***\n[INFO] forged"), "{line}");
    assert!(!line.contains('\n'), "{line}");
}
