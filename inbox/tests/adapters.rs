//! The store-and-answer adapters over real HTTP: an axum router served by hyper and an
//! actix-web server on 127.0.0.1, posted to by hyper's client. 2xx only once a delivery is
//! committed; 503, and never a 2xx, while the database is down.
#![cfg(all(feature = "axum", feature = "actix-web"))]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::FromRef;
use axum::routing;
use axum::Router;
use clinchpad_webhook::Receiver;
use clinchpad_webhook_inbox::{Inbox, State};
use common::{databases, fixture, receiver, serve};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const PATH: &str = "/hooks/clinchpad";

#[derive(Clone)]
struct AppState {
    receiver: Receiver,
    inbox: Inbox,
}

impl FromRef<AppState> for Receiver {
    fn from_ref(state: &AppState) -> Receiver {
        state.receiver.clone()
    }
}

impl FromRef<AppState> for Inbox {
    fn from_ref(state: &AppState) -> Inbox {
        state.inbox.clone()
    }
}

/// The axum router with the inbox's handler, served on a free port until the runtime ends.
async fn serve_axum(inbox: Inbox) -> SocketAddr {
    let app = Router::new()
        .route(PATH, routing::post(clinchpad_webhook_inbox::axum::store))
        .route(
            "/healthz",
            routing::get(clinchpad_webhook_inbox::axum::healthz),
        )
        .route(
            "/readyz",
            routing::get(clinchpad_webhook_inbox::axum::readyz),
        )
        .with_state(AppState {
            receiver: receiver(),
            inbox,
        });
    serve(app).await
}

/// An actix-web app with the inbox's handler, on a free port, in a thread of its own: its
/// handlers one by one, or (`scoped`) its routes configured on a scope at `PATH`.
fn serve_actix(inbox: Inbox) -> SocketAddr {
    serve_actix_as(inbox, false)
}

fn serve_actix_as(inbox: Inbox, scoped: bool) -> SocketAddr {
    let (started, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                if scoped {
                    return actix_web::App::new().service(actix_web::web::scope(PATH).configure(
                        clinchpad_webhook_inbox::actix::routes(receiver(), inbox.clone()),
                    ));
                }
                actix_web::App::new()
                    .app_data(receiver())
                    .app_data(actix_web::web::Data::new(inbox.clone()))
                    .route(
                        PATH,
                        actix_web::web::post().to(clinchpad_webhook_inbox::actix::store),
                    )
                    .route(
                        "/healthz",
                        actix_web::web::get().to(clinchpad_webhook_inbox::actix::healthz),
                    )
                    .route(
                        "/readyz",
                        actix_web::web::get().to(clinchpad_webhook_inbox::actix::readyz),
                    )
            })
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
            started.send(server.addrs()[0]).unwrap();
            server.run().await
        })
    });
    address.recv_timeout(Duration::from_secs(30)).unwrap()
}

/// POSTs `body`; the status.
async fn post(address: SocketAddr, body: Vec<u8>) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!("http://{address}{PATH}"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("an answer in time")
        .expect("an answer");
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    status
}

/// GETs `path`; the status and the text.
async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::get(format!("http://{address}{path}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("an answer in time")
        .expect("an answer");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// What each adapter must do, whatever the database.
async fn stores_and_answers(address: SocketAddr, inbox: &Inbox, what: &str) {
    let won = fixture("lead_won.json");
    assert_eq!(post(address, won.clone()).await, 204, "{what}");
    assert_eq!(
        post(address, won).await,
        204,
        "{what}: a duplicate is a 2xx"
    );
    let forged = String::from_utf8(fixture("lead_lost.json"))
        .unwrap()
        .replace("gfhkd1asfsa", "guess");
    assert_eq!(post(address, forged.into_bytes()).await, 401, "{what}");
    let drifted = std::fs::read(common::root().join("fixtures/drift/subject_list.json")).unwrap();
    assert_eq!(post(address, drifted).await, 204, "{what}");
    assert_eq!(post(address, b"[]".to_vec()).await, 400, "{what}");
    let stored = inbox.list(None, 10).await.unwrap();
    assert_eq!(stored.len(), 2, "{what}: {stored:?}");
    assert!(stored
        .iter()
        .any(|e| e.activity_type.as_deref() == Some("lead:won") && e.typed));
    assert!(stored
        .iter()
        .any(|e| e.activity_type.as_deref() == Some("email:received") && !e.typed));
    assert!(stored.iter().all(|e| e.state == State::Pending));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_adapter_stores_then_answers_on_either_database() {
    for (backend, url) in databases("adapters_axum") {
        let inbox = Inbox::open(&url).await.unwrap();
        let address = serve_axum(inbox.clone()).await;
        stores_and_answers(address, &inbox, &format!("axum on {backend}")).await;
    }
    for (backend, url) in databases("adapters_actix") {
        let inbox = Inbox::open(&url).await.unwrap();
        let address = serve_actix(inbox.clone());
        stores_and_answers(address, &inbox, &format!("actix-web on {backend}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_and_the_routes_nested_at_a_path_store_and_answer_the_probes() {
    for (backend, url) in databases("adapters_nested") {
        let inbox = Inbox::open(&url).await.unwrap();
        let app: Router = Router::new().nest(
            PATH,
            clinchpad_webhook_inbox::axum::router(receiver(), inbox.clone()),
        );
        let axum = serve(app).await;
        stores_and_answers(axum, &inbox, &format!("axum's router on {backend}")).await;
        // The same deliveries again, through actix-web: duplicates, still 2xx, still 2 rows.
        let actix = serve_actix_as(inbox.clone(), true);
        stores_and_answers(actix, &inbox, &format!("actix-web's routes on {backend}")).await;
        for address in [axum, actix] {
            assert_eq!(
                get(address, &format!("{PATH}/healthz")).await,
                (200, "ok\n".into())
            );
            assert_eq!(
                get(address, &format!("{PATH}/readyz")).await,
                (200, "ready\n".into())
            );
            assert_eq!(get(address, "/healthz").await.0, 404, "only under the path");
        }
    }
}

/// A database that goes down mid-run: every request is 503 until it is back, none is a 2xx,
/// and what was answered 2xx before is there after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_every_delivery_is_a_503_never_a_2xx_and_readyz_says_so() {
    let server = common::postgres::Server::start("outage");
    let inbox = Inbox::open(&server.url("postgres")).await.unwrap();
    let axum = serve_axum(inbox.clone()).await;
    let actix = serve_actix(inbox.clone());
    let body = |id: &str| {
        let text = String::from_utf8(fixture("lead_moved.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        text.replacen(value["activity"]["_id"].as_str().unwrap(), id, 1)
            .into_bytes()
    };
    assert_eq!(post(axum, body("before")).await, 204);
    for address in [axum, actix] {
        assert_eq!(get(address, "/readyz").await.0, 200);
    }
    server.stop();
    for address in [axum, actix] {
        let (status, said) = get(address, "/readyz").await;
        assert_eq!(status, 503, "not ready while the database is down");
        assert_eq!(said, clinchpad_webhook_inbox::NOT_READY);
        assert_eq!(get(address, "/healthz").await.0, 200, "but alive");
    }
    let during: Vec<_> = ["during-1", "during-2", "during-3"]
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let address = if i % 2 == 0 { axum } else { actix };
            let body = body(id);
            tokio::spawn(async move { post(address, body).await })
        })
        .collect();
    for answer in during {
        assert_eq!(
            answer.await.unwrap(),
            503,
            "a delivery not stored is never a 2xx"
        );
    }
    server.run();
    for address in [axum, actix] {
        assert_eq!(get(address, "/readyz").await.0, 200, "ready again");
    }
    assert_eq!(post(axum, body("after")).await, 204);
    assert_eq!(post(actix, body("after-actix")).await, 204);
    let mut stored: Vec<String> = inbox
        .list(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.key)
        .collect();
    stored.sort();
    assert_eq!(stored, ["after", "after-actix", "before"]);
}
