//! [`ApiError`]: what can go wrong with a call to ClinchPad's REST API.

/// A call to ClinchPad's REST API failed. Its `Display` is one escaped line of at most a few
/// hundred bytes and never holds the API key: safe to log and to print.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 401: ClinchPad refused the API key.
    #[error("ClinchPad refused the API key (401 Unauthorized): check it in ClinchPad under Settings → API")]
    Unauthorized,
    /// 429 on every attempt: the account's calls for the hour are spent (by this client or
    /// anything else using its key).
    #[error("ClinchPad answered 429 Too Many Requests {attempts} times in a row: the account's 1,200 calls an hour are spent; try again later")]
    RateLimited {
        /// How many times it was asked.
        attempts: u32,
    },
    /// 5xx on every attempt.
    #[error("ClinchPad answered {status} {attempts} times in a row: {message}")]
    Server {
        /// The last status.
        status: u16,
        /// How many times it was asked.
        attempts: u32,
        /// What its last answer said, shortened and escaped.
        message: String,
    },
    /// Another status that is not success: the request itself was refused.
    #[error("ClinchPad answered {status} to {what}: {message}")]
    Status {
        /// The status.
        status: u16,
        /// What was asked, e.g. `GET /activities`.
        what: String,
        /// What its answer said, shortened and escaped.
        message: String,
    },
    /// This client's own budget of calls for the hour is spent (see
    /// [`ClientBuilder::budget_per_hour`](crate::ClientBuilder::budget_per_hour)); a call is
    /// free again in `free_in_secs`.
    #[error("this client's budget of {per_hour} calls an hour is spent: the next is free in {free_in_secs} s")]
    BudgetSpent {
        /// The budget.
        per_hour: u32,
        /// Seconds until a call is free again.
        free_in_secs: u64,
    },
    /// No answer: the connection failed or timed out.
    #[error("no answer from ClinchPad's API: {0}")]
    Transport(String),
    /// An answer that is not the documented JSON: where it went wrong.
    #[error("ClinchPad's answer to {what} is not the documented JSON: {error}")]
    Decode {
        /// What was asked, e.g. `GET /activities`.
        what: String,
        /// serde_json's error, with its line and column.
        error: String,
    },
    /// A base URL the client will not send the key to: not `https://`, or plain `http://`
    /// to anything but this machine (for a test double).
    #[error("not a URL to send the API key to ({0}): use https://, or http:// on 127.0.0.1, [::1] or localhost")]
    Url(String),
}

/// `text` as one escaped line of at most `max` characters (and `…`).
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let text = clinchpad_webhook::escape_text(text).into_owned();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
