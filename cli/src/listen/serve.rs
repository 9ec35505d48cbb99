//! Serving: the accept loop, within the connections' budget, until the stop signal.

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::drain;
use super::request::handle;
use super::State;
use crate::connections::{Connections, HEAD_TIMEOUT};

/// Accepts connections until Ctrl-C or SIGTERM, then lets the requests in flight finish, up
/// to [`DRAIN`](drain::DRAIN); those still in flight then are dropped (each records itself).
pub(super) async fn serve(listener: TcpListener, state: Arc<State>, mut stop: StopSignal) {
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop.wait());
    // Bounded, so that clients that never finish a request cannot keep a delivery waiting.
    let connections = Connections::new(Connections::budget());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let admitted = connections.admit();
                let state = state.clone();
                let slot = admitted.slot();
                let service =
                    service_fn(move |request| handle(state.clone(), slot.clone(), request));
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away mid-request is its own business; one closed to
                    // make room had no delivery in hand.
                    tokio::select! {
                        _ = connection => {}
                        () = admitted.closed() => {}
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    drain::wait(&state, graceful).await;
}

/// Ctrl-C, or SIGTERM where there is one: listened for from the moment this is made, so that
/// a stop that comes as soon as `listen` says it listens is a clean stop too.
#[cfg(unix)]
pub(crate) struct StopSignal {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignal {
    pub(crate) fn new() -> Result<Self, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind| signal(kind).map_err(|err| format!("cannot listen for signals: {err}"));
        Ok(StopSignal {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
        })
    }

    pub(crate) async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[cfg(not(unix))]
pub(crate) struct StopSignal;

#[cfg(not(unix))]
impl StopSignal {
    pub(crate) fn new() -> Result<Self, String> {
        Ok(StopSignal)
    }

    pub(crate) async fn wait(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
