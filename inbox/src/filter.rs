//! [`Filter`]: which deliveries an operator's operation is about (listing, counting, retrying
//! and purging in bulk), and [`Pause`], whose processing is paused.

use std::time::Duration;

use crate::entry::State;

/// Which deliveries a bulk operation takes: each condition set narrows it, none set is every
/// delivery. Conditions of one kind (several states, several types) are alternatives.
///
/// ```
/// use std::time::Duration;
/// use clinchpad_webhook_inbox::{Filter, State};
///
/// // The dead `lead:moved` deliveries whose last error mentions a timeout.
/// let filter = Filter::new()
///     .state(State::Dead)
///     .activity_type("lead:moved")
///     .error_contains("timeout");
/// assert_eq!(filter.states, [State::Dead]);
///
/// // What retention removes: done, finished more than 30 days ago.
/// let old = Filter::new().state(State::Done).finished_before(Duration::from_secs(30 * 86_400));
/// # let _ = old;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    /// In one of these states (any, when empty).
    pub states: Vec<State>,
    /// Of one of these activity types, as stored (any, when empty). A delivery whose type could
    /// not be read has none, and matches no type.
    pub types: Vec<String>,
    /// Of this lead.
    pub lead: Option<String>,
    /// Whose last error holds this text, ASCII letters in either case.
    pub error_contains: Option<String>,
    /// Received at or after this time (milliseconds since the Unix epoch).
    pub received_from: Option<i64>,
    /// Received before this time (milliseconds since the Unix epoch).
    pub received_before: Option<i64>,
    /// Finished (done or dead) longer ago than this, by the database's clock.
    pub finished_longer_ago: Option<Duration>,
}

impl Filter {
    /// Every delivery: narrow it with the methods below.
    pub fn new() -> Filter {
        Filter::default()
    }

    /// In `state`, or in any of the states given before.
    pub fn state(mut self, state: State) -> Filter {
        if !self.states.contains(&state) {
            self.states.push(state);
        }
        self
    }

    /// Of `activity_type` (`"lead:moved"`), or of any of the types given before.
    pub fn activity_type(mut self, activity_type: impl Into<String>) -> Filter {
        let activity_type = activity_type.into();
        if !self.types.contains(&activity_type) {
            self.types.push(activity_type);
        }
        self
    }

    /// Of the lead with this `_id`.
    pub fn lead(mut self, lead: impl Into<String>) -> Filter {
        self.lead = Some(lead.into());
        self
    }

    /// Whose last error holds `text`, ASCII letters in either case.
    pub fn error_contains(mut self, text: impl Into<String>) -> Filter {
        self.error_contains = Some(text.into());
        self
    }

    /// Received at or after `from` and before `to` (milliseconds since the Unix epoch;
    /// `None` leaves that end open).
    pub fn received_between(mut self, from: Option<i64>, to: Option<i64>) -> Filter {
        self.received_from = from;
        self.received_before = to;
        self
    }

    /// Finished (done or dead) longer ago than `age`, by the database's clock.
    pub fn finished_before(mut self, age: Duration) -> Filter {
        self.finished_longer_ago = Some(age);
        self
    }
}

/// What [`Inbox::pause`](crate::Inbox::pause) pauses: every delivery's processing, or one
/// activity type's. Deliveries are still stored while paused; workers leave them until
/// resumed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pause {
    /// Every delivery, whatever its type (one whose type could not be read too).
    All,
    /// The deliveries of one activity type, as stored (`"lead:moved"`).
    Type(String),
}

impl Pause {
    /// How the database records it: the type, or `*` for all.
    pub(crate) fn as_db(&self) -> &str {
        match self {
            Pause::All => "*",
            Pause::Type(activity_type) => activity_type,
        }
    }

    pub(crate) fn from_db(name: String) -> Pause {
        match name.as_str() {
            "*" => Pause::All,
            _ => Pause::Type(name),
        }
    }
}

impl std::fmt::Display for Pause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pause::All => f.write_str("all"),
            Pause::Type(activity_type) => {
                f.write_str(&clinchpad_webhook::escape_text(activity_type))
            }
        }
    }
}

/// A pause in force: what is paused, and since when (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paused {
    /// What is paused.
    pub pause: Pause,
    /// Since when.
    pub since: i64,
}

/// How many deliveries are in each state, and how long the oldest pending one has waited:
/// what an operator watches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Waiting for a worker (due now or later).
    pub pending: u64,
    /// Held by a worker.
    pub running: u64,
    /// Processed.
    pub done: u64,
    /// Given up, kept until retried or purged.
    pub dead: u64,
    /// When the oldest pending delivery was received (milliseconds since the Unix epoch).
    pub oldest_pending_received_at: Option<i64>,
}
