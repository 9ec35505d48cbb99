//! What the inbox keeps of a delivery: [`Entry`] and its [`State`], and what storing said,
//! [`Stored`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// What [`Inbox::store`](crate::Inbox::store) did with a delivery. Whichever it is, the
/// delivery is in the inbox: answer 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stored {
    /// It was not there: stored, to be processed.
    New,
    /// The same delivery was there already (the same key, and the same body without its
    /// key): nothing changed. Or the same activity, recovered from ClinchPad's API by a
    /// backfill: a verified delivery takes its place while no worker has taken it.
    Duplicate,
    /// A delivery with the same key but another body was there: this one is kept too, as a
    /// row of its own whose [`conflict_of`](Entry::conflict_of) names the first, and processed
    /// like any other. Two bodies under one activity id are worth a look: ClinchPad sending
    /// an activity again as it stands now, or, where keys are not checked, someone sending
    /// its id first.
    Conflict,
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
    /// The key it is stored under: its activity `_id`; `id-sha256:` and the hash of the id
    /// for an id that a database index cannot hold (over 200 bytes, or with a control
    /// character); `sha256:` and the hash of its body without its key when the body has no
    /// readable id; for a conflicting delivery ([`Stored::Conflict`]), the first's key, `~`,
    /// and the start of the hash of its own body.
    pub key: String,
    /// The activity's `_id`, when it could be read (a NUL in it written `\u{0}`, which
    /// PostgreSQL's text cannot hold; the body has it as it came).
    pub activity_id: Option<String>,
    /// The activity's `type`, when it could be read (a NUL written as in `activity_id`).
    pub activity_type: Option<String>,
    /// The lead's `_id`, when it could be read (a NUL written as in `activity_id`).
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
    /// For a delivery that came under the key of one stored before, with another body: the
    /// key of that one. See [`Stored::Conflict`].
    pub conflict_of: Option<String>,
    /// Whether the receiver that took it checked its handshake key (`false`: it was taken
    /// unverified); `None` for a delivery stored before the inbox kept this. A delivery
    /// recovered from ClinchPad's API is verified: it came over HTTPS, asked for with the
    /// account's API key.
    pub verified: Option<bool>,
    /// When it was recovered from ClinchPad's REST API by a backfill, in milliseconds since
    /// the epoch; `None` for a delivery the webhook sent (and for a recovered one whose
    /// webhook delivery came later, before any worker took it: the sent body replaced the
    /// recovered one).
    pub recovered_at: Option<i64>,
}
