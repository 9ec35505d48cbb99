//! A local double of ClinchPad's REST API, for testing a backfill without an account:
//! [`ApiDouble`] serves `GET /activities`, `/activities/:id` and `/leads/:id` on 127.0.0.1 in
//! the documented shapes, and [`rest_activity`] and [`rest_lead`] turn a webhook payload into
//! what the API would list.
//!
//! **Available with the crate feature `testing` only**, as a dev-dependency.
//!
//! What the documentation leaves open is a setting here, so that a test can cover each way
//! ClinchPad might behave: whether pages count from 0 or 1 ([`ApiDouble::first_page`]), the
//! most activities a page holds ([`ApiDouble::max_page_size`]), an hourly limit
//! ([`ApiDouble::hourly_limit`]), failures to inject ([`ApiDouble::fail_next`]), and a request
//! held until the test lets it go ([`ApiDouble::hold_next`]), to act while a backfill waits.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use clinchpad_webhook::{ActivityType, Payload};
//! use clinchpad_webhook_api::testing::ApiDouble;
//! use clinchpad_webhook_api::{ActivitiesQuery, ApiKey, Client};
//!
//! let double = ApiDouble::start("test-api-key").await;
//! double.add(&Payload::sample(ActivityType::NoteCreated));
//! let client = Client::builder().base_url(double.url()).build(ApiKey::new("test-api-key")?)?;
//! let listed = client.activities(&ActivitiesQuery::first_page()).await?;
//! assert_eq!(listed[0].type_name(), Some("note:created"));
//! assert_eq!(double.activity_list_calls(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clinchpad_webhook::Payload;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::model::RestActivity;

/// The REST activity of a webhook payload: its activity's fields, with `lead_name`,
/// `user_name` and `pipeline_name`, and `lead {_id, name}` and `pipeline {_id, name}`, as
/// the API's documented example has them.
pub fn rest_activity(payload: &Payload) -> Value {
    let wire = wire(payload);
    let mut activity = wire["activity"].as_object().cloned().unwrap_or_default();
    let lead = &wire["lead"];
    activity.insert("lead_name".to_owned(), lead["name"].clone());
    if let Some(name) = activity
        .get("user")
        .and_then(|user| user.get("name"))
        .cloned()
    {
        activity.insert("user_name".to_owned(), name);
    }
    activity.insert(
        "lead".to_owned(),
        json!({"_id": lead["_id"], "name": lead["name"]}),
    );
    if let Some(pipe) = lead.get("pipe").filter(|pipe| pipe.is_object()) {
        activity.insert("pipeline_name".to_owned(), pipe["name"].clone());
        activity.insert("pipeline".to_owned(), pipe.clone());
    }
    Value::Object(activity)
}

/// The REST lead of a webhook payload, as `GET /leads/:id` answers: the lead's fields, its
/// stage among them, without its pipe (which the API's lead does not have).
pub fn rest_lead(payload: &Payload) -> Value {
    let wire = wire(payload);
    let mut lead = wire["lead"].as_object().cloned().unwrap_or_default();
    lead.remove("pipe");
    Value::Object(lead)
}

fn wire(payload: &Payload) -> Value {
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

/// ClinchPad's REST API on 127.0.0.1, on a port of its own, for as long as it lives: the
/// activities and leads it was given, behind Basic auth with user `api-key` and its key.
///
/// Activities are listed newest first (by `created_at`, then `_id`), as the documentation's
/// example has them; `size` defaults to 25.
pub struct ApiDouble {
    address: SocketAddr,
    state: Arc<Mutex<Double>>,
    _stop: oneshot::Sender<()>,
}

#[derive(Default)]
struct Double {
    key: String,
    /// Newest first.
    activities: Vec<Value>,
    leads: HashMap<String, Value>,
    first_page: u32,
    max_page_size: Option<u32>,
    hourly_limit: Option<u64>,
    failures: Vec<u16>,
    holds: Vec<Hold>,
    counts: Counts,
}

struct Hold {
    path: String,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    calls: u64,
    lists: u64,
    activity_gets: u64,
    lead_gets: u64,
    refused: u64,
}

/// A request held by [`ApiDouble::hold_next`]: [`reached`](Held::reached) when it comes,
/// answered once [`release`](Held::release)d (or dropped).
pub struct Held {
    reached: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl Held {
    /// Waits until the request comes.
    pub async fn reached(&mut self) {
        let _ = (&mut self.reached).await;
    }

    /// Lets it be answered.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl ApiDouble {
    /// Starts a double that takes `key` as the API key, on 127.0.0.1 and a port of its own.
    ///
    /// # Panics
    ///
    /// When no port can be had on 127.0.0.1.
    pub async fn start(key: &str) -> ApiDouble {
        let state = Arc::new(Mutex::new(Double {
            key: key.to_owned(),
            ..Double::default()
        }));
        let app = Router::new()
            .route("/api/v1/activities", get(list))
            .route("/api/v1/activities/{id}", get(activity))
            .route("/api/v1/leads/{id}", get(lead))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let address = listener.local_addr().expect("the port's address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        ApiDouble {
            address,
            state,
            _stop: stop,
        }
    }

    /// Its base URL, for [`ClientBuilder::base_url`](crate::ClientBuilder::base_url):
    /// `http://127.0.0.1:PORT/api/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/api/v1", self.address)
    }

    fn state(&self) -> MutexGuard<'_, Double> {
        self.state.lock().unwrap_or_else(|err| err.into_inner())
    }

    /// Adds the activity of `payload` ([`rest_activity`]) and sets its lead ([`rest_lead`]).
    pub fn add(&self, payload: &Payload) {
        self.add_raw(rest_activity(payload));
        self.set_lead(rest_lead(payload));
    }

    /// Adds an activity as it is, whatever it holds: for bodies that drift.
    pub fn add_raw(&self, activity: Value) {
        let mut state = self.state();
        let order = |value: &Value| {
            let activity = RestActivity::new(value.clone());
            (activity.created_at(), activity.id().map(str::to_owned))
        };
        let place = order(&activity);
        let at = state
            .activities
            .partition_point(|listed| order(listed) > place);
        state.activities.insert(at, activity);
    }

    /// Sets the lead `GET /leads/:id` answers for its `_id`.
    pub fn set_lead(&self, lead: Value) {
        if let Some(id) = lead.get("_id").and_then(Value::as_str) {
            let id = id.to_owned();
            self.state().leads.insert(id, lead);
        }
    }

    /// Removes a lead: `GET /leads/:id` answers 404, as for a deleted one.
    pub fn remove_lead(&self, id: &str) {
        self.state().leads.remove(id);
    }

    /// Counts pages from `first` (0 or 1): `page=first` is the newest page. By default 0.
    pub fn first_page(&self, first: u32) {
        self.state().first_page = first;
    }

    /// Holds at most `size` activities a page, whatever `size` asks.
    pub fn max_page_size(&self, size: u32) {
        self.state().max_page_size = Some(size);
    }

    /// Answers 429 to every call past `calls`, as ClinchPad does past its 1,200 an hour.
    pub fn hourly_limit(&self, calls: u64) {
        self.state().hourly_limit = Some(calls);
    }

    /// Answers the next `times` calls with `status` (429 or a 5xx), `Retry-After: 0` on a 429.
    pub fn fail_next(&self, status: u16, times: usize) {
        self.state()
            .failures
            .extend(std::iter::repeat(status).take(times));
    }

    /// Holds the next request whose path starts with `path` (e.g. `/api/v1/leads/`) until
    /// the returned [`Held`] is released.
    pub fn hold_next(&self, path: &str) -> Held {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        self.state().holds.push(Hold {
            path: path.to_owned(),
            reached: reached_tx,
            release: release_rx,
        });
        Held {
            reached: reached_rx,
            release: release_tx,
        }
    }

    /// Every call it answered, refused and failed ones included.
    pub fn calls(&self) -> u64 {
        self.state().counts.calls
    }

    /// Calls to `GET /activities` it answered with a page.
    pub fn activity_list_calls(&self) -> u64 {
        self.state().counts.lists
    }

    /// Calls to `GET /activities/:id` it answered.
    pub fn activity_calls(&self) -> u64 {
        self.state().counts.activity_gets
    }

    /// Calls to `GET /leads/:id` it answered.
    pub fn lead_calls(&self) -> u64 {
        self.state().counts.lead_gets
    }

    /// Calls refused for their key (401).
    pub fn refused(&self) -> u64 {
        self.state().counts.refused
    }
}

type Shared = Arc<Mutex<Double>>;

/// Counts a call and answers what every route answers before its own work: 401 for a wrong
/// key, 429 past the hourly limit, an injected failure; then waits while it is held.
async fn gate(state: &Shared, headers: &HeaderMap, path: &str) -> Result<(), Response> {
    let held = {
        let mut state = state.lock().unwrap_or_else(|err| err.into_inner());
        state.counts.calls += 1;
        if !authorized(headers, &state.key) {
            state.counts.refused += 1;
            return Err((StatusCode::UNAUTHORIZED, "Unauthorized").into_response());
        }
        if state
            .hourly_limit
            .is_some_and(|limit| state.counts.calls > limit)
        {
            return Err(too_many());
        }
        if !state.failures.is_empty() {
            let status = state.failures.remove(0);
            return Err(match status {
                429 => too_many(),
                status => (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    Json(json!({"error": "the double failed as asked"})),
                )
                    .into_response(),
            });
        }
        let at = state
            .holds
            .iter()
            .position(|hold| path.starts_with(&hold.path));
        at.map(|at| state.holds.remove(at))
    };
    if let Some(hold) = held {
        let _ = hold.reached.send(());
        let _ = hold.release.await;
    }
    Ok(())
}

fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "0")],
        Json(json!({"error": "Too many requests"})),
    )
        .into_response()
}

/// Basic auth with user `api-key` and the key as password.
fn authorized(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    decode_base64(encoded.trim())
        .is_some_and(|decoded| decoded == format!("api-key:{key}").into_bytes())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut held = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|&byte| byte != b'=') {
        let value = ALPHABET.iter().position(|&c| c == byte)? as u32;
        bits = (bits << 6) | value;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    Some(out)
}

async fn list(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = gate(&state, &headers, "/api/v1/activities").await {
        return refused;
    }
    let mut state = state.lock().unwrap_or_else(|err| err.into_inner());
    state.counts.lists += 1;
    let number = |name: &str| query.get(name).and_then(|text| text.parse::<u32>().ok());
    let mut size = number("size").unwrap_or(25).max(1);
    if let Some(max) = state.max_page_size {
        size = size.min(max);
    }
    let page = number("page")
        .unwrap_or(state.first_page)
        .saturating_sub(state.first_page);
    let types: Vec<&str> = query
        .get("filter_type")
        .map(|types| types.split(',').collect())
        .unwrap_or_default();
    let listed: Vec<Value> = state
        .activities
        .iter()
        .filter(|activity| {
            types.is_empty()
                || activity
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|name| types.contains(&name))
        })
        .skip(page as usize * size as usize)
        .take(size as usize)
        .cloned()
        .collect();
    Json(Value::Array(listed)).into_response()
}

async fn activity(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = gate(&state, &headers, &format!("/api/v1/activities/{id}")).await {
        return refused;
    }
    let mut state = state.lock().unwrap_or_else(|err| err.into_inner());
    state.counts.activity_gets += 1;
    let found = state
        .activities
        .iter()
        .find(|activity| activity.get("_id").and_then(Value::as_str) == Some(id.as_str()));
    match found {
        Some(activity) => Json(activity.clone()).into_response(),
        None => not_found(),
    }
}

async fn lead(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(refused) = gate(&state, &headers, &format!("/api/v1/leads/{id}")).await {
        return refused;
    }
    let mut state = state.lock().unwrap_or_else(|err| err.into_inner());
    state.counts.lead_gets += 1;
    match state.leads.get(&id) {
        Some(lead) => Json(lead.clone()).into_response(),
        None => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"}))).into_response()
}
