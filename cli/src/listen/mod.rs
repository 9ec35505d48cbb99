//! `listen`: a local receiver that answers as the library's `Receiver` does and shows each
//! request; it can keep them (`--save`) and pass the accepted ones on (`--forward-to`).
//!
//! One request's way through it: [`serve`] accepts its connection, within the connections'
//! budget, and hands the request to [`request`], which reads it, has the receiver take or
//! refuse it, stores it (`--store`), passes an accepted one on ([`forward`]) and answers it;
//! [`record`] then shows it, saves it (`--save`) and puts it in the web view. [`drain`] counts
//! the requests in flight, and waits for them when `listen` stops.
//!
//! Stopping it (Ctrl-C, SIGTERM) loses no request it has begun: the requests in flight get
//! [`DRAIN`] to finish, and one still waiting then (on a slow `--forward-to` app, say) is
//! answered 503, shown, saved and counted as dropped, so that it can be replayed. A
//! connection that holds no request (idle, or with half a request head) is not waited for.

mod drain;
mod forward;
mod health;
mod metrics;
mod record;
mod request;
mod serve;

pub(crate) use serve::StopSignal;

use std::fs::File;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clinchpad_webhook::{HandshakeKey, Receiver};
use clinchpad_webhook_inbox::Inbox;
use tokio::net::TcpListener;
use tokio::sync::watch;

use self::drain::DRAIN;
use crate::client::{self, shown_url};
use crate::inbox::shown_store;
use crate::output::{shown, Output};
use crate::ui::{history, Setup, Source, Target, Targets, Ui};
use crate::ListenArgs;

/// What every request's handler shares.
struct State {
    receiver: Receiver,
    /// Refuse what does not fit (`receive`) instead of taking it with its error (`accept`).
    strict: bool,
    /// The keys' texts, to make sure none is left in a saved body.
    keys: Vec<HandshakeKey>,
    path: String,
    out: Arc<Output>,
    save: Option<Mutex<File>>,
    /// The inbox each delivery is stored in before it is answered.
    store: Option<Inbox>,
    forward: Option<(reqwest::Client, reqwest::Url)>,
    seen: AtomicUsize,
    failed: AtomicUsize,
    drifted: AtomicUsize,
    dropped: AtomicUsize,
    /// Requests whose head has been read and whose answer is not yet given.
    in_flight: AtomicUsize,
    /// Turned on when the stop's wait is over: the requests still in flight are dropped.
    drain_over: watch::Sender<bool>,
    /// The web view (`--ui`), which is shown every request.
    ui: Option<Arc<Ui>>,
}

impl State {
    fn key_texts(&self) -> Vec<&str> {
        self.keys.iter().map(HandshakeKey::expose_secret).collect()
    }
}

pub async fn run(args: ListenArgs, keys: Vec<HandshakeKey>, out: Arc<Output>) -> ExitCode {
    match start(args, keys, out.clone()).await {
        Ok(code) => code,
        Err(problem) => {
            out.warn(&problem);
            ExitCode::from(2)
        }
    }
}

async fn start(
    args: ListenArgs,
    keys: Vec<HandshakeKey>,
    out: Arc<Output>,
) -> Result<ExitCode, String> {
    let receiver = match (args.unverified, keys.split_first()) {
        (true, Some(_)) => {
            return Err(format!(
                "--unverified and a key ({}) contradict each other: pick one",
                crate::KEY_VARIABLE
            ))
        }
        (true, None) => Receiver::unverified(),
        (false, None) => {
            return Err(format!(
                "no handshake key: pass --key K or set {}, or pass --unverified to accept \
                 deliveries without checking one",
                crate::KEY_VARIABLE
            ))
        }
        (false, Some((first, more))) => more
            .iter()
            .fold(Receiver::new(first.clone()), |receiver, key| {
                receiver.with_key(key.clone())
            }),
    }
    .with_body_limit(args.body_limit);
    // A key that ordinary text holds too is masked in free text but kept in ids and times.
    for warning in receiver.key_warnings() {
        out.warn(&format!("warning: {warning}"));
    }
    let path = if args.path.starts_with('/') {
        args.path.clone()
    } else {
        format!("/{}", args.path)
    };
    let save = match &args.save {
        None => None,
        Some(file) => Some(Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(file)
                .map_err(|err| {
                    format!("cannot open {}: {err}", shown(&file.display().to_string()))
                })?,
        )),
    };
    let forward = match &args.forward_to {
        None => None,
        Some(url) => {
            let shown = shown_url(url);
            let url =
                reqwest::Url::parse(url).map_err(|err| format!("--forward-to {shown}: {err}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "--forward-to {shown}: only http:// and https:// URLs are supported"
                ));
            }
            Some((client::client(args.ca_cert.as_deref())?, url))
        }
    };
    let store = match &args.store {
        None => None,
        Some(url) => Some(
            Inbox::open(url)
                .await
                .map_err(|err| format!("cannot open the inbox at {}: {err}", shown_store(url)))?
                .masking_keys_of(&receiver),
        ),
    };
    let metrics = match &args.metrics {
        Some(addr) => Some(metrics::Endpoint::bind(addr, store.clone()).await?),
        None => None,
    };
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", shown(&args.addr)))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot listen on {}: {err}", shown(&args.addr)))?;

    let ui = match &args.ui {
        None => None,
        Some(_) => Some(
            open_ui(
                &args,
                address,
                &path,
                forward.as_ref(),
                store.as_ref(),
                &keys,
                &out,
            )
            .await?,
        ),
    };

    // Before saying it listens: a stop from then on is a clean one.
    let stop = serve::StopSignal::new()?;
    let checking = match keys.len() {
        0 => "NOT checking handshake keys: anyone who can reach it can post".to_owned(),
        1 => "checking the handshake key".to_owned(),
        n => format!("checking the handshake key ({n} keys accepted)"),
    };
    let checking = match args.strict {
        true => format!("{checking}, strict: refusing (400) what does not fit the documentation"),
        false => checking,
    };
    out.say(&format!(
        "listening on http://{address}{}, {checking}",
        shown(&path)
    ));
    if let Some(file) = &args.save {
        out.say(&format!(
            "saving each request to {} (no key is saved)",
            shown(&file.display().to_string())
        ));
    }
    if let Some(url) = &args.store {
        out.say(&format!(
            "storing each delivery in the inbox at {} before answering (no key is stored)",
            shown_store(url)
        ));
    }
    if let Some((_, url)) = &forward {
        out.say(&format!(
            "forwarding accepted deliveries to {}",
            shown_url(url.as_str())
        ));
    }
    if let Some((ui, _, url)) = &ui {
        out.say(&format!(
            "web view at {url} (a one-time link: open it in your browser{}; no key is ever in \
             the page)",
            if ui.is_loopback() {
                ""
            } else {
                "; not on a loopback address, and plain HTTP: only on a network you trust"
            }
        ));
    }
    let metrics_task = match metrics {
        Some(endpoint) => {
            let at = endpoint.address()?;
            out.say(&format!(
                "metrics for Prometheus at http://{at}/metrics{}",
                if at.ip().is_loopback() {
                    ""
                } else {
                    " (not on a loopback address: anyone who can reach it can read them)"
                }
            ));
            Some(tokio::spawn(endpoint.serve()))
        }
        None => None,
    };
    out.say("stop with Ctrl-C");
    let (ui, ui_task) = match ui {
        Some((ui, listener, _)) => (Some(ui.clone()), Some(tokio::spawn(ui.serve(listener)))),
        None => (None, None),
    };

    let state = Arc::new(State {
        receiver,
        strict: args.strict,
        keys,
        path,
        out: out.clone(),
        save,
        store,
        forward,
        seen: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        drifted: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        drain_over: watch::Sender::new(false),
        ui,
    });
    serve::serve(listener, state.clone(), stop).await;
    for task in [ui_task, metrics_task].into_iter().flatten() {
        task.abort();
    }

    if let Some(save) = &state.save {
        if let Ok(mut file) = save.lock() {
            let _ = file.flush();
            let _ = file.sync_all();
        }
    }
    let count = |n: &AtomicUsize| n.load(Ordering::SeqCst);
    let (seen, failed, dropped) = (
        count(&state.seen),
        count(&state.failed),
        count(&state.dropped),
    );
    let drifted = match count(&state.drifted) {
        0 => String::new(),
        n => format!(" ({n} of them drifted)"),
    };
    let mut summary = format!(
        "stopped: {seen} request(s), {} accepted{drifted}, {failed} refused or not answered 2xx",
        seen - failed - dropped
    );
    if dropped > 0 {
        summary += &format!(
            ", {dropped} dropped: still in flight {} s after the stop, answered 503{}",
            DRAIN.as_secs(),
            if state.save.is_some() {
                " and saved for replay"
            } else {
                ""
            }
        );
    }
    out.say(&summary);
    Ok(if failed + dropped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The web view (`--ui`) on its own address, holding the newest requests kept before: those
/// `--save` kept, or else the inbox's. Not serving yet: the view and its listener, and the
/// address to open.
async fn open_ui(
    args: &ListenArgs,
    address: std::net::SocketAddr,
    path: &str,
    forward: Option<&(reqwest::Client, reqwest::Url)>,
    store: Option<&Inbox>,
    keys: &[HandshakeKey],
    out: &Arc<Output>,
) -> Result<(Arc<Ui>, TcpListener, String), String> {
    let mut own = address;
    if own.ip().is_unspecified() {
        own.set_ip(match own {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let receiver_url = reqwest::Url::parse(&format!("http://{own}{path}"))
        .map_err(|err| format!("--path {}: {err}", shown(path)))?;
    let forward_url = forward.map(|(_, url)| shown_url(url.as_str()));
    // Where the page may send: fixed here, so that no one driving the page can aim it (and the
    // key it puts back) elsewhere.
    let mut list = Vec::new();
    if let Some((_, url)) = forward {
        list.push(Target {
            id: "forward".into(),
            name: "the --forward-to app".into(),
            url: url.clone(),
        });
    }
    list.push(Target {
        id: "self".into(),
        name: "this listen".into(),
        url: receiver_url.clone(),
    });
    for (n, url) in args.ui_send_to.iter().enumerate() {
        let shown = shown_url(url);
        let parsed =
            reqwest::Url::parse(url).map_err(|err| format!("--ui-send-to {shown}: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "--ui-send-to {shown}: only http:// and https:// URLs are supported"
            ));
        }
        list.push(Target {
            id: format!("send-to-{}", n + 1),
            name: "--ui-send-to".into(),
            url: parsed,
        });
    }
    let targets = Targets {
        list,
        client: match forward {
            Some((client, _)) => client.clone(),
            None => client::client(args.ca_cert.as_deref())?,
        },
        key: keys.first().cloned(),
    };
    let setup = Setup {
        receiver_url: receiver_url.as_str(),
        forward_url: forward_url.as_deref(),
        // `listen` checks keys whenever it has one.
        verified: !keys.is_empty(),
        strict: args.strict,
        inbox: store.cloned(),
        console_only: false,
    };
    let opened = Ui::open(
        args.ui.as_deref().unwrap_or_default(),
        args.ui_keep,
        setup,
        targets,
        keys.to_vec(),
        out.clone(),
    )
    .await?;
    let ui = opened.ui;
    // The newest requests kept before: those `--save` kept, or else the inbox's.
    if let Some(file) = &args.save {
        let (records, unread) = history::from_capture(file, args.ui_keep).map_err(|err| {
            format!(
                "--ui: cannot read {}: {err}",
                shown(&file.display().to_string())
            )
        })?;
        records
            .into_iter()
            .for_each(|record| ui.push(Source::Saved, record));
        if unread > 0 {
            out.warn(&format!(
                "--ui: {unread} line(s) of {} are not requests; not shown",
                shown(&file.display().to_string())
            ));
        }
    } else if let (Some(inbox), Some(url)) = (store, &args.store) {
        let records = history::from_inbox(inbox, args.ui_keep, path)
            .await
            .map_err(|err| format!("--ui: cannot read the inbox at {}: {err}", shown_store(url)))?;
        records
            .into_iter()
            .for_each(|record| ui.push(Source::Stored, record));
    }
    Ok((ui, opened.listener, opened.url))
}
