//! [`Client`]: the calls a backfill makes, each within the hour's budget, with 429 and 5xx
//! tried again after a pause.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};
use serde_json::Value;

use crate::budget::{Budget, DEFAULT_BUDGET};
use crate::error::{one_line, ApiError};
use crate::key::ApiKey;
use crate::model::{RestActivity, RestLead};

/// Where ClinchPad's API answers.
pub const DEFAULT_BASE_URL: &str = "https://www.clinchpad.com/api/v1";

/// The longest answer read: a page of activities is tens of kilobytes; a thousand of them
/// with long notes stays far below this.
const LONGEST_ANSWER: usize = 32 * 1024 * 1024;

/// A client of ClinchPad's REST API, for what a webhook receiver needs of it: the activities,
/// newest first, and a lead's stage.
///
/// Every call counts against a budget of calls in any hour (by default 960, 80 % of the
/// documented 1,200: [`ClientBuilder::budget_per_hour`]); a spent budget is an error
/// ([`ApiError::BudgetSpent`]), not a wait. A 429 or a 5xx is asked again after a pause that
/// doubles (a `Retry-After` in seconds is followed, up to the longest pause), at most
/// [`attempts`](ClientBuilder::attempts) times in all. 401 is [`ApiError::Unauthorized`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use clinchpad_webhook_api::{ActivitiesQuery, ApiKey, Client};
///
/// let key = ApiKey::new(std::env::var("CLINCHPAD_API_KEY")?)?;
/// let client = Client::new(key)?;
/// let newest = client.activities(&ActivitiesQuery::first_page()).await?;
/// for activity in &newest {
///     println!("{:?} {:?}", activity.id(), activity.type_name());
/// }
/// println!("{} calls made", client.calls());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
    budget: Mutex<Budget>,
    calls: AtomicU64,
    attempts: u32,
    first_pause: Duration,
    longest_pause: Duration,
}

/// How a [`Client`] is made: [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    budget: u32,
    attempts: u32,
    first_pause: Duration,
    longest_pause: Duration,
    timeout: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            budget: DEFAULT_BUDGET,
            attempts: 5,
            first_pause: Duration::from_secs(1),
            longest_pause: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

impl ClientBuilder {
    /// Where the API answers (default [`DEFAULT_BASE_URL`]): `https://`, or `http://` on this
    /// machine for a test double.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The most calls made in any hour (default 960). ClinchPad allows 1,200 per account, for
    /// every client of the key together.
    pub fn budget_per_hour(mut self, calls: u32) -> Self {
        self.budget = calls;
        self
    }

    /// How many times one request is made when ClinchPad answers 429 or 5xx (default 5; at
    /// least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The pause before the second attempt, doubled before each next one up to `longest`
    /// (defaults 1 s and 60 s).
    pub fn pauses(mut self, first: Duration, longest: Duration) -> Self {
        self.first_pause = first;
        self.longest_pause = longest.max(first);
        self
    }

    /// How long one request may take (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The client, calling with `key`.
    pub fn build(self, key: ApiKey) -> Result<Client, ApiError> {
        let base = checked_base(&self.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(10))
            // The key goes only where it was meant to: no redirect is followed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("clinchpad-webhook-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| ApiError::Transport(one_line(&err.to_string(), 200)))?;
        Ok(Client {
            http,
            base,
            key,
            budget: Mutex::new(Budget::new(self.budget)),
            calls: AtomicU64::new(0),
            attempts: self.attempts,
            first_pause: self.first_pause,
            longest_pause: self.longest_pause,
        })
    }
}

/// The base URL, with a trailing `/` so that paths join under it; only where a key may go.
fn checked_base(url: &str) -> Result<Url, ApiError> {
    let shown = || one_line(url, 80);
    let mut base = Url::parse(url).map_err(|_| ApiError::Url(shown()))?;
    let host = base.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let allowed = match base.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    if !allowed || !base.username().is_empty() || base.password().is_some() {
        return Err(ApiError::Url(match base.password() {
            Some(_) => "a URL with credentials".to_owned(),
            None => shown(),
        }));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base)
}

/// One page of `GET /activities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivitiesQuery {
    /// `page`: `None` for the first page, as the documentation has it (it does not say
    /// whether pages count from 0 or 1).
    pub page: Option<u32>,
    /// `size`: activities per page (ClinchPad's default 25).
    pub size: Option<u32>,
    /// `filter_type`: only these types (all when empty).
    pub types: Vec<String>,
}

impl ActivitiesQuery {
    /// The newest activities: the first page, ClinchPad's default size, every type.
    pub fn first_page() -> ActivitiesQuery {
        ActivitiesQuery {
            page: None,
            size: None,
            types: Vec::new(),
        }
    }
}

impl Client {
    /// A client of ClinchPad's API with the defaults: see [`ClientBuilder`].
    pub fn new(key: ApiKey) -> Result<Client, ApiError> {
        Client::builder().build(key)
    }

    /// How a client is made: base URL, budget, attempts and pauses.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The calls made so far, each attempt counted.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The most calls this client makes in any hour.
    pub fn budget_per_hour(&self) -> u32 {
        self.budget
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .per_hour()
    }

    /// `GET /activities`: one page, newest first (as ClinchPad's example lists them).
    pub async fn activities(&self, query: &ActivitiesQuery) -> Result<Vec<RestActivity>, ApiError> {
        let mut params = Vec::new();
        if let Some(page) = query.page {
            params.push(("page", page.to_string()));
        }
        if let Some(size) = query.size {
            params.push(("size", size.to_string()));
        }
        if !query.types.is_empty() {
            params.push(("filter_type", query.types.join(",")));
        }
        let what = "GET /activities";
        match self.get("activities", &params, what).await? {
            Some(Value::Array(items)) => Ok(items.into_iter().map(RestActivity::new).collect()),
            Some(other) => Err(ApiError::Decode {
                what: what.to_owned(),
                error: format!("a list of activities was expected, not {}", kind(&other)),
            }),
            None => Err(ApiError::Status {
                status: 404,
                what: what.to_owned(),
                message: "not found".to_owned(),
            }),
        }
    }

    /// `GET /activities/:id`; `None` when ClinchPad has no such activity (404).
    pub async fn activity(&self, id: &str) -> Result<Option<RestActivity>, ApiError> {
        let path = format!("activities/{}", segment(id));
        Ok(self
            .get(&path, &[], "GET /activities/:id")
            .await?
            .map(RestActivity::new))
    }

    /// `GET /leads/:id`, with its stage; `None` when ClinchPad has no such lead (404: deleted
    /// since).
    pub async fn lead(&self, id: &str) -> Result<Option<RestLead>, ApiError> {
        let path = format!("leads/{}", segment(id));
        let what = "GET /leads/:id";
        match self.get(&path, &[], what).await? {
            Some(Value::Object(lead)) => Ok(Some(RestLead::new(lead))),
            Some(other) => Err(ApiError::Decode {
                what: what.to_owned(),
                error: format!("a lead object was expected, not {}", kind(&other)),
            }),
            None => Ok(None),
        }
    }

    /// One GET, asked again on 429 and 5xx: its JSON, or `None` for 404.
    async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<Option<Value>, ApiError> {
        let url = self
            .base
            .join(path)
            .map_err(|_| ApiError::Url(one_line(path, 80)))?;
        let mut pause = self.first_pause;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.take_call()?;
            let sent = self
                .http
                .get(url.clone())
                .query(params)
                .basic_auth("api-key", Some(self.key.expose_secret()))
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(err) => return Err(ApiError::Transport(self.scrubbed(&err.to_string()))),
            };
            let status = response.status();
            let retry_after = retry_after(&response);
            let body = read_bounded(response).await?;
            if status.is_success() {
                return serde_json::from_slice(&body)
                    .map(Some)
                    .map_err(|err| ApiError::Decode {
                        what: what.to_owned(),
                        error: one_line(&err.to_string(), 200),
                    });
            }
            let message = self.scrubbed(&error_message(&body));
            let again = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            if again && attempt < self.attempts {
                let wait = retry_after.unwrap_or(pause).min(self.longest_pause);
                tokio::time::sleep(wait).await;
                pause = (pause * 2).min(self.longest_pause);
                continue;
            }
            return Err(match status {
                StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
                StatusCode::NOT_FOUND => return Ok(None),
                StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited { attempts: attempt },
                status if status.is_server_error() => ApiError::Server {
                    status: status.as_u16(),
                    attempts: attempt,
                    message,
                },
                status => ApiError::Status {
                    status: status.as_u16(),
                    what: what.to_owned(),
                    message,
                },
            });
        }
    }

    fn take_call(&self) -> Result<(), ApiError> {
        let mut budget = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        budget
            .take(Instant::now())
            .map_err(|wait| ApiError::BudgetSpent {
                per_hour: budget.per_hour(),
                free_in_secs: wait.as_secs().max(1),
            })?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// `text` as one short escaped line, with the key masked should an answer echo it.
    fn scrubbed(&self, text: &str) -> String {
        one_line(&text.replace(self.key.expose_secret(), "***"), 200)
    }
}

/// An id as one path segment: what is not a letter, a digit, `-` or `_` percent-encoded, so
/// that an id read from an answer cannot step to another path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `Retry-After` in seconds, when the answer has one.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The answer's body, refused past [`LONGEST_ANSWER`] before it is all held.
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    if response
        .content_length()
        .is_some_and(|length| length > LONGEST_ANSWER as u64)
    {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| ApiError::Transport(one_line(&err.to_string(), 200)))?
    {
        if body.len() + chunk.len() > LONGEST_ANSWER {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_long() -> ApiError {
    ApiError::Transport(format!(
        "an answer longer than {} MiB",
        LONGEST_ANSWER / 1024 / 1024
    ))
}

/// What an error answer says: its JSON's `message` or `error` when it has one (the
/// documentation promises "a descriptive error message ... in JSON" without naming the
/// field), else its text.
fn error_message(body: &[u8]) -> String {
    if let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) {
        for name in ["message", "error", "errors"] {
            match fields.get(name) {
                Some(Value::String(text)) => return text.clone(),
                Some(other @ (Value::Object(_) | Value::Array(_))) => return other.to_string(),
                _ => {}
            }
        }
    }
    String::from_utf8_lossy(body).into_owned()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_over_https_or_to_this_machine_only() {
        assert!(checked_base("https://www.clinchpad.com/api/v1").is_ok());
        assert!(checked_base("http://127.0.0.1:8080/api/v1").is_ok());
        assert!(checked_base("http://[::1]:8080/").is_ok());
        assert!(checked_base("http://localhost:8080/").is_ok());
        for refused in [
            "http://www.clinchpad.com/api/v1",
            "http://10.0.0.2/api",
            "ftp://127.0.0.1/",
            "https://api-key:secret@www.clinchpad.com/",
            "not a url",
        ] {
            let err = checked_base(refused).unwrap_err().to_string();
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn paths_join_under_the_base() {
        let base = checked_base("http://127.0.0.1:1/api/v1").unwrap();
        assert_eq!(
            base.join("activities").unwrap().as_str(),
            "http://127.0.0.1:1/api/v1/activities"
        );
    }

    #[test]
    fn an_id_cannot_step_out_of_its_segment() {
        assert_eq!(
            segment("52d8d8749a21f6518f000015"),
            "52d8d8749a21f6518f000015"
        );
        assert_eq!(segment("../users?x=1"), "%2E%2E%2Fusers%3Fx%3D1");
    }

    #[test]
    fn an_error_answer_says_its_message() {
        assert_eq!(
            error_message(br#"{"message":"Lead not found"}"#),
            "Lead not found"
        );
        assert_eq!(error_message(br#"{"error":"nope"}"#), "nope");
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
    }
}
