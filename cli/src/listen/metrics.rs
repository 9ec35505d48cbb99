//! `listen --metrics ADDR`: the receiver's and the inbox's metrics at `http://ADDR/metrics`,
//! in Prometheus's text format (the names with `_` for `.`). The inbox's gauges (deliveries
//! by state, the oldest pending one's age) are read from its database at each scrape.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clinchpad_webhook_inbox::Inbox;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::connections::HEAD_TIMEOUT;
use crate::output::shown;

/// The buckets of the duration histograms, in seconds: from a millisecond to ten seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The endpoint, bound and its recorder installed; [`serve`](Endpoint::serve) answers.
pub(super) struct Endpoint {
    listener: TcpListener,
    handle: PrometheusHandle,
    inbox: Option<Inbox>,
}

impl Endpoint {
    /// Binds `addr` and installs the process's metrics recorder.
    pub(super) async fn bind(addr: &str, inbox: Option<Inbox>) -> Result<Endpoint, String> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| format!("--metrics: cannot listen on {}: {err}", shown(addr)))?;
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration".into()), &BUCKETS)
            .map_err(|err| format!("--metrics: {err}"))?
            .set_enable_unit_suffix(true)
            .build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder)
            .map_err(|_| "--metrics: a metrics recorder is installed already".to_owned())?;
        clinchpad_webhook_inbox::signal::describe_metrics();
        Ok(Endpoint {
            listener,
            handle,
            inbox,
        })
    }

    pub(super) fn address(&self) -> Result<SocketAddr, String> {
        self.listener
            .local_addr()
            .map_err(|err| format!("--metrics: {err}"))
    }

    /// Answers `GET /metrics` until the task is dropped.
    pub(super) async fn serve(self) {
        let endpoint = Arc::new((self.handle, self.inbox));
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let endpoint = endpoint.clone();
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let endpoint = endpoint.clone();
                async move {
                    let (handle, inbox) = &*endpoint;
                    let response = match (request.method(), request.uri().path()) {
                        (&Method::GET, "/metrics") => {
                            if let Some(inbox) = inbox {
                                // A database that does not answer leaves the gauges as they
                                // were; the stores' failures are counted meanwhile.
                                let _ = tokio::time::timeout(
                                    Duration::from_secs(5),
                                    inbox.sample_gauges(),
                                )
                                .await;
                            }
                            handle.run_upkeep();
                            text(StatusCode::OK, handle.render())
                        }
                        _ => text(StatusCode::NOT_FOUND, "metrics are at /metrics\n".into()),
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
