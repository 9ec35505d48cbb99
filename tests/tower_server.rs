//! The tower layer over real HTTP, with no web framework: plain hyper on 127.0.0.1 serving
//! `ReceiverLayer` (strict on one path, tolerant on another) in front of a service that hands
//! what it finds in the request's extensions to the test; hyper's client posts every fixture
//! and every bad case of `tests/receivers/` to it.
#![cfg(feature = "tower")]

#[allow(dead_code)]
mod drifted;
#[macro_use]
mod receivers;

use std::convert::Infallible;

use bytes::Bytes;
use clinchpad_webhook::tower::ReceiverLayer;
use clinchpad_webhook::{Delivery, HandshakeKey, Payload, Receiver};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use receivers::{keyed, AbortOnDrop, HandedOver, Served, LIMIT, PATH, TOLERANT_PATH};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tower::{service_fn, Layer, ServiceExt};

type Handed = mpsc::UnboundedSender<HandedOver>;

/// The application behind the layer: it hands over what the layer put in the extensions,
/// and checks that the body it can still read is the body that came.
async fn app(
    received: Handed,
    request: Request<Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let extensions = request.extensions().clone();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let handed = match (extensions.get::<Payload>(), extensions.get::<Delivery>()) {
        (Some(payload), None) => (Some(payload.clone()), None, body.to_vec()),
        (None, Some(delivery)) => {
            assert_eq!(
                delivery.body(),
                &body[..],
                "the body reaches the app as it came"
            );
            (
                delivery.payload().cloned(),
                delivery.error().cloned(),
                body.to_vec(),
            )
        }
        other => panic!("the layer put exactly one of them there: {other:?}"),
    };
    received.send(handed).expect("the test is listening");
    let mut answer = Response::new(Full::default());
    *answer.status_mut() = StatusCode::NO_CONTENT;
    Ok(answer)
}

/// Serves the layered application on a free port of 127.0.0.1 until the test is done.
async fn start(receiver: Receiver) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, received) = mpsc::unbounded_channel();
    let app = {
        let sender = sender.clone();
        service_fn(move |request| app(sender.clone(), request))
    };
    let strict = ReceiverLayer::new(receiver.clone())
        .strict()
        .layer(app.clone());
    let tolerant = ReceiverLayer::new(receiver).layer(app);
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (strict, tolerant) = (strict.clone(), tolerant.clone());
            // The path picks the layer, as a router would.
            let routed = service_fn(move |request: Request<Incoming>| {
                let (strict, tolerant) = (strict.clone(), tolerant.clone());
                async move {
                    let response = match request.uri().path() {
                        PATH => strict.oneshot(request).await?,
                        TOLERANT_PATH => tolerant.oneshot(request).await?,
                        _ => {
                            let mut answer = Response::new(http_body_util::Either::Left(
                                Full::from("no such path"),
                            ));
                            *answer.status_mut() = StatusCode::NOT_FOUND;
                            answer
                        }
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(async move {
                // A connection that ends badly (the 413 case may) is the client's business.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(routed))
                    .await;
            });
        }
    });
    drop(sender);
    Served::new(address, received, Box::new(AbortOnDrop(server)))
}

the_receiver_suite!(start);

#[tokio::test]
async fn a_request_that_is_not_a_post_is_answered_405() {
    let server = start(keyed()).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let request = Request::get(format!("{}{TOLERANT_PATH}", server.base))
        .body(Full::default())
        .unwrap();
    let answer = client.request(request).await.unwrap();
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers()["allow"], "POST");
}
