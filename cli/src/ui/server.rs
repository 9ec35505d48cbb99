//! The web view's HTTP server: the page and its assets, the event stream, and the API.
//!
//! Every answer forbids framing, sniffing and caching, and carries a Content-Security-Policy
//! that lets the page run its own script and styles only, and talk to this server only.
//! The page, its events and its API need a session, which only the one-time link `listen`
//! printed opens (`/open?token=...`: a cookie that the page's script cannot read and that no
//! other site's request carries); what sends needs, beside it, the page's own `Origin` and a
//! header of the page's, so that no other page can make it send.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::{console, send, Ui};
use crate::connections::{Connections, HEAD_TIMEOUT};

const PAGE: &str = include_str!("index.html");
const CONSOLE: &str = include_str!("console.html");
const STYLES: &str = include_str!("app.css");

/// The page's script, each file at its path: the entry, `app.js`, and the ES modules it
/// imports, served as they are written (a browser loads modules with no build step).
const SCRIPTS: [(&str, &str); 12] = [
    ("/app.js", include_str!("app.js")),
    ("/js/actions.js", include_str!("js/actions.js")),
    ("/js/console.js", include_str!("js/console.js")),
    ("/js/detail.js", include_str!("js/detail.js")),
    ("/js/diff.js", include_str!("js/diff.js")),
    ("/js/dom.js", include_str!("js/dom.js")),
    ("/js/format.js", include_str!("js/format.js")),
    ("/js/list.js", include_str!("js/list.js")),
    ("/js/live.js", include_str!("js/live.js")),
    ("/js/paths.js", include_str!("js/paths.js")),
    ("/js/state.js", include_str!("js/state.js")),
    ("/js/tree.js", include_str!("js/tree.js")),
];

/// The policy: this server's script, styles and connections only; nothing inline, no
/// frames, no forms, no base.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The header the page sends with what it posts: a request from another site cannot carry a
/// header of its own without asking first (CORS), which this server never grants.
const PAGE_HEADER: &str = "x-clinchpad-page";

/// What a request without a session is answered.
const NO_SESSION: &str = "open the one-time link `clinchpad-webhook listen` printed (web view at \
    http://.../open?token=...) in this browser first; listen prints a fresh one each time one \
    is used";

/// How often an idle event stream says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The largest request the API reads: an edited body can be as large as the receiver's
/// limit, and JSON's escapes can double it.
const API_BODY_LIMIT: usize = 64 * 1024 * 1024;

type Answer = Response<BoxBody<Bytes, Infallible>>;

/// The most connections the view keeps open: a browser needs a handful (the page, its
/// assets, an event stream), and the rest of the process's files are the receiver's.
const MOST_CONNECTIONS: usize = 32;

pub async fn serve(listener: TcpListener, ui: Arc<Ui>) {
    let connections = Connections::new(MOST_CONNECTIONS);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let admitted = connections.admit();
        let slot = admitted.slot();
        let ui = ui.clone();
        let service = service_fn(move |request| {
            let (ui, slot) = (ui.clone(), slot.clone());
            async move {
                // An answer being made (an event stream, a send) keeps its connection.
                let _in_hand = slot.in_hand();
                Ok::<_, Infallible>(secured(route(&ui, request).await))
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                () = admitted.closed() => {}
            }
        });
    }
}

async fn route(ui: &Arc<Ui>, request: Request<Incoming>) -> Answer {
    let headers = request.headers();
    if !host_allowed(ui, headers) {
        return text(
            StatusCode::MISDIRECTED_REQUEST,
            "the web view answers to its own address only",
        );
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    // Any cookie of that name: another server of 127.0.0.1 can set one for this port too, and
    // must not hide the session behind it.
    let session = cookies(headers, &ui.cookie_name()).any(|given| ui.has_session(given));
    // The script's files, as the styles, need no session: they hold nothing of the requests.
    let script = SCRIPTS.iter().find(|(at, _)| *at == path);
    if let (&Method::GET, Some(&(_, script))) = (request.method(), script) {
        return asset("text/javascript; charset=utf-8", script);
    }
    match (request.method(), path.as_str()) {
        (&Method::GET, "/app.css") => asset("text/css; charset=utf-8", STYLES),
        (&Method::GET, "/favicon.ico") => empty(StatusCode::NO_CONTENT),
        (&Method::GET, "/open") => open(ui, &query, session),
        (_, _) if !session => text(StatusCode::FORBIDDEN, NO_SESSION),
        (&Method::GET, "/") if ui.console_only => with_initial(ui, CONSOLE, false),
        (&Method::GET, "/") => with_initial(ui, PAGE, true),
        (_, at) if at == "/inbox" || at.starts_with("/api/inbox/") => {
            inbox_console(ui, request, &path, &query).await
        }
        (&Method::GET, "/events") => {
            let after = headers
                .get("last-event-id")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .or_else(|| param(&query, "after"))
                .and_then(|id| id.parse().ok())
                .unwrap_or(0);
            events(ui.clone(), after)
        }
        (&Method::GET, "/api/deliveries") => {
            let items = ui.after(0);
            let list: Vec<&str> = items.iter().map(|item| item.json.as_str()).collect();
            json_text(
                StatusCode::OK,
                format!("{{\"entries\":[{}]}}", list.join(",")),
            )
        }
        (&Method::GET, path) if path.starts_with("/api/deliveries/") => {
            match path["/api/deliveries/".len()..].strip_suffix("/fixture") {
                Some(id) => fixture(ui, id),
                None => text(StatusCode::NOT_FOUND, "no such page"),
            }
        }
        (&Method::POST, "/api/send") => {
            if !from_page(headers) {
                return json_text(
                    StatusCode::FORBIDDEN,
                    json!({"error": "refused: only the web view's own page can send"}).to_string(),
                );
            }
            let body = match Limited::new(request.into_body(), API_BODY_LIMIT)
                .collect()
                .await
            {
                Ok(body) => body.to_bytes(),
                Err(_) => return text(StatusCode::PAYLOAD_TOO_LARGE, "too large"),
            };
            let (status, answer) = match serde_json::from_slice(&body) {
                Ok(asked) => send::send(ui, asked).await,
                Err(err) => (
                    StatusCode::BAD_REQUEST,
                    json!({ "error": format!("not a send request: {err}") }),
                ),
            };
            let answer = ui.out.redact_json(answer);
            json_text(status, answer.to_string())
        }
        (_, "/" | "/open" | "/events" | "/api/deliveries" | "/api/send") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => text(StatusCode::NOT_FOUND, "no such page"),
    }
}

/// On loopback, the `Host` must name this address (or `localhost`), so that a page served
/// elsewhere under a name that resolves to 127.0.0.1 cannot read this one as its own.
fn host_allowed(ui: &Ui, headers: &HeaderMap) -> bool {
    if !ui.loopback {
        return true;
    }
    let port = ui.address.port();
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let allowed = [
        format!("{}:{port}", ui.address.ip()),
        format!("[{}]:{port}", ui.address.ip()),
        format!("localhost:{port}"),
    ];
    allowed.iter().any(|name| name.eq_ignore_ascii_case(host))
}

/// The one-time link: with the link's secret, a new session, its cookie set, and on to the
/// page; with a session already, on to the page; else refused, with nothing secret in the
/// answer.
fn open(ui: &Ui, query: &str, session: bool) -> Answer {
    let given = param(query, "token").unwrap_or_default();
    let opened = ui.open_session(&given);
    if opened.is_none() && !session {
        return text(
            StatusCode::FORBIDDEN,
            "this link was used already, or is not one listen printed: open the newest link \
             listen printed on its standard error",
        );
    }
    let mut answer = empty(StatusCode::SEE_OTHER);
    let headers = answer.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_static("/"));
    if let Some(opened) = opened {
        // HttpOnly: the page's script never holds it; SameSite=Strict: no request another site
        // starts carries it.
        let cookie = format!(
            "{}={opened}; HttpOnly; SameSite=Strict; Path=/",
            ui.cookie_name()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::SET_COOKIE, value);
        }
    }
    answer
}

/// The values of the cookies named `name`, from every `Cookie` header of the request.
fn cookies<'h>(headers: &'h HeaderMap, name: &'h str) -> impl Iterator<Item = &'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A request that sends must come from the page itself: an `Origin` naming the `Host` it
/// was sent to (browsers send it with every POST, and a page cannot forge it), and, where
/// the browser says, from the same site; with JSON, and the page's own header.
fn from_page(headers: &HeaderMap) -> bool {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = get(header::HOST).unwrap_or_default();
    let origin = get(header::ORIGIN).unwrap_or_default();
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok());
    let from_page = !host.is_empty()
        && origin.eq_ignore_ascii_case(&format!("http://{host}"))
        && fetch_site.map_or(true, |site| site == "same-origin");
    let json = get(header::CONTENT_TYPE).is_some_and(|t| t.starts_with("application/json"));
    let marked = headers
        .get(PAGE_HEADER)
        .is_some_and(|value| value.as_bytes() == b"1");
    from_page && json && marked
}

/// The inbox's console: its page, and its API (reading with a session; changing, beside it,
/// from the page itself only). Every answer within [`console::BOUND`], masked.
async fn inbox_console(ui: &Ui, request: Request<Incoming>, path: &str, query: &str) -> Answer {
    let Some(inbox) = &ui.inbox else {
        return text(
            StatusCode::NOT_FOUND,
            "no inbox here: start listen with --store URL, or use `clinchpad-webhook inbox ui`",
        );
    };
    let reads = matches!(path, "/api/inbox/stats" | "/api/inbox/list");
    let changes = matches!(
        path,
        "/api/inbox/retry" | "/api/inbox/purge" | "/api/inbox/pause" | "/api/inbox/resume"
    );
    match (request.method(), path) {
        (&Method::GET, "/inbox") => return with_initial(ui, CONSOLE, false),
        (&Method::GET, _) if reads => {}
        (&Method::POST, _) if changes => {
            if !from_page(request.headers()) {
                return json_text(
                    StatusCode::FORBIDDEN,
                    json!({"error": "refused: only the web view's own page can change the inbox"})
                        .to_string(),
                );
            }
        }
        _ if reads || changes || path == "/inbox" => {
            return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => return text(StatusCode::NOT_FOUND, "no such page"),
    }
    let body = match changes {
        true => match Limited::new(request.into_body(), 64 * 1024).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return text(StatusCode::PAYLOAD_TOO_LARGE, "too large"),
        },
        false => Bytes::new(),
    };
    let work = async {
        match path {
            "/api/inbox/stats" => console::stats(inbox).await,
            "/api/inbox/list" => console::list(inbox, query).await,
            "/api/inbox/retry" => match serde_json::from_slice(&body) {
                Ok(asked) => console::retry(inbox, asked).await,
                Err(err) => console::not_asked(&err),
            },
            "/api/inbox/purge" => match serde_json::from_slice(&body) {
                Ok(asked) => console::purge(inbox, asked).await,
                Err(err) => console::not_asked(&err),
            },
            _ => match serde_json::from_slice(&body) {
                Ok(asked) => console::pause(inbox, asked, path.ends_with("resume")).await,
                Err(err) => console::not_asked(&err),
            },
        }
    };
    let (status, value) = tokio::time::timeout(console::BOUND, work)
        .await
        .unwrap_or_else(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "the inbox's database did not answer in time"}),
            )
        });
    json_text(status, ui.out.redact_json(value).to_string())
}

/// A page, with what it starts from in it: the command's settings and, for the requests'
/// page (`entries`), the requests held now, so that the first view needs no other request.
fn with_initial(ui: &Ui, page: &str, entries: bool) -> Answer {
    let mut initial = format!("{{\"config\":{},\"entries\":[", ui.config);
    if entries {
        for (n, item) in ui.after(0).iter().enumerate() {
            if n > 0 {
                initial.push(',');
            }
            initial.push_str(&item.json);
        }
    }
    initial.push_str("]}");
    let html = page.replace("__INITIAL__", &script_safe(&initial));
    let mut answer = Response::new(Full::new(Bytes::from(html)).boxed());
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    answer
}

/// JSON that can stand inside a `<script>` element: no `<`, `>` or `&` (so no `</script>`
/// and no comment opener), and no line separators, all as JSON's escapes, which only
/// strings can hold.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The body of request `id`, without its key, as a file to save among a project's fixtures.
fn fixture(ui: &Ui, id: &str) -> Answer {
    let Some(item) = id.parse().ok().and_then(|id| ui.get(id)) else {
        return text(StatusCode::NOT_FOUND, "no such request in the view");
    };
    let Some(body) = &item.record.body else {
        return text(StatusCode::CONFLICT, "this request's body was not kept");
    };
    // As it came, but for its key: a test reads what ClinchPad sent, in its order and with
    // its numbers as written. It ends with a newline, as committed files do.
    let mut body = ui.out.redact(body);
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let name = item
        .record
        .activity_type
        .as_deref()
        .unwrap_or("delivery")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>();
    let mut answer = Response::new(Full::new(Bytes::from(body)).boxed());
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}-{}.json\"", item.id))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    answer
}

/// The event stream: each request held after `after`, then each new one as it comes, and a
/// comment now and then so that an idle connection is seen to be alive.
fn events(ui: Arc<Ui>, after: u64) -> Answer {
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    let mut latest = ui.latest.subscribe();
    tokio::spawn(async move {
        let mut last = after;
        if sender
            .send(Bytes::from_static(b"retry: 1000\n\n"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            for item in ui.after(last) {
                let event = format!("id: {}\nevent: delivery\ndata: {}\n\n", item.id, item.json);
                if sender.send(Bytes::from(event)).await.is_err() {
                    return;
                }
                last = item.id;
            }
            tokio::select! {
                changed = latest.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(HEARTBEAT) => {
                    if sender.send(Bytes::from_static(b": alive\n\n")).await.is_err() {
                        return;
                    }
                }
                () = sender.closed() => return,
            }
        }
    });
    let mut answer = Response::new(EventStream(receiver).boxed());
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    answer
}

/// A body that is each chunk sent to it, until its sender goes.
struct EventStream(mpsc::Receiver<Bytes>);

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

fn asset(content_type: &'static str, text: &'static str) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    answer
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    answer
}

fn text(status: StatusCode, text: &'static str) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    answer
}

fn json_text(status: StatusCode, json: String) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(json)).boxed());
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    answer
}

fn empty(status: StatusCode) -> Answer {
    let mut answer = Response::new(Full::default().boxed());
    *answer.status_mut() = status;
    answer
}

/// Every answer: the policy, and no sniffing, framing, caching or referrer.
fn secured(mut answer: Answer) -> Answer {
    let headers = answer.headers_mut();
    for (name, value) in [
        ("content-security-policy", POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    answer
}

/// The value of the query parameter `name`, decoded.
fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_the_page_cannot_close_its_script_element() {
        let json =
            serde_json::to_string(&json!({"lead": "</script><script>alert(1)</script>&\u{2028}"}))
                .unwrap();
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        assert!(!safe.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["lead"], "</script><script>alert(1)</script>&\u{2028}");
    }

    #[test]
    fn every_module_the_script_imports_is_served() {
        for (at, text) in SCRIPTS {
            let folder = &at[..at.rfind('/').unwrap_or(0)];
            for imported in text.split("from './").skip(1) {
                let file = imported.split('\'').next().unwrap_or_default();
                let path = format!("{folder}/{file}");
                assert!(
                    SCRIPTS.iter().any(|(served, _)| *served == path),
                    "{at} imports {path}, which is not served"
                );
            }
        }
    }

    #[test]
    fn cookies_are_read_by_their_whole_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; view_2=x; view=w"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("view=y;other=z"));
        let named = |name| cookies(&headers, name).collect::<Vec<_>>();
        assert_eq!(named("view"), ["w", "y"]);
        assert_eq!(named("view_2"), ["x"]);
        assert!(named("vie").is_empty());
    }
}
