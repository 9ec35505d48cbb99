//! What the inbox keeps of a delivery: [`Entry`] and its [`State`], and what storing said,
//! [`Stored`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// What [`Inbox::store`](crate::Inbox::store) did with a delivery. Either way, the delivery is
/// in the inbox: answer 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// It was not there: stored, to be processed.
    New,
    /// A delivery with the same key was there already: nothing changed.
    Duplicate,
}

/// Where a delivery is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for a worker: new, or failed and due again at `next_attempt_at`.
    Pending,
    /// A worker has it, until `next_attempt_at`; after that, its claim has expired (the worker
    /// stopped or hangs) and another worker may take it.
    Running,
    /// Its handler succeeded.
    Done,
    /// Given up: its handler failed every attempt, or it does not fit the documentation and no
    /// drift handler is set. Kept for inspection; `retry` makes it pending again.
    Dead,
}

impl State {
    /// The state's name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Done => "done",
            State::Dead => "dead",
        }
    }

    pub(crate) fn from_db(name: &str) -> Option<State> {
        [State::Pending, State::Running, State::Done, State::Dead]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery as the inbox keeps it: never with its handshake key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// The key it is stored under: its activity `_id`, or `sha256:` and the hash of its body
    /// without its key when the body has no readable id.
    pub key: String,
    /// The activity's `_id`, when it could be read.
    pub activity_id: Option<String>,
    /// The activity's `type`, when it could be read.
    pub activity_type: Option<String>,
    /// The lead's `_id`, when it could be read.
    pub lead_id: Option<String>,
    /// The activity's time, in milliseconds since the epoch, when it could be read.
    pub created_at: Option<i64>,
    /// When it was stored, in milliseconds since the epoch.
    pub received_at: i64,
    /// Whether it fits the documentation (else see `drift`).
    pub typed: bool,
    /// Why it does not fit: the error, with its path, line and column.
    pub drift: Option<String>,
    /// The body as it came, without its `handshake_key` (and with any configured key quoted
    /// elsewhere in it masked, when the inbox masks keys).
    pub body: String,
    /// Where it is in its processing.
    pub state: State,
    /// How many times a worker has taken it.
    pub attempts: i64,
    /// When it is next due (pending), or when its worker's claim expires (running).
    pub next_attempt_at: i64,
    /// Why its last attempt failed.
    pub last_error: Option<String>,
    /// When it was done, or given up.
    pub finished_at: Option<i64>,
}
