//! What a worker may take now: nothing that is paused (the pauses read from the database at
//! most every half second), and no delivery of a type past its [`Limit`] (a rate, a number at
//! once), which a worker and the workers made from it with
//! [`Worker::another`](crate::Worker::another) share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::entry::Entry;
use crate::error::InboxError;
use crate::filter::Pause;

/// How long a worker goes by the pauses it read before it reads them again: a pause or a
/// resume takes effect within this (and the poll interval).
const PAUSES_READ_EVERY: Duration = Duration::from_millis(500);

/// How the deliveries of one activity type are processed at most: so many in a time, so many
/// at once, or both. Set with [`Worker::limit`](crate::Worker::limit); held by a worker and
/// the workers made from it with [`another`](crate::Worker::another), in one process (workers
/// in several processes each hold their own: give each its share).
///
/// ```
/// use std::time::Duration;
/// use clinchpad_webhook_inbox::Limit;
///
/// // The CRM takes 600 calls a minute, and 4 at once.
/// let limit = Limit::rate(600, Duration::from_secs(60)).at_once(4);
/// # let _ = limit;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Deliveries begun per second, at most; `None` for no rate.
    per_second: Option<f64>,
    /// Deliveries in hand at once, at most.
    at_once: Option<u32>,
}

impl Limit {
    /// At most `count` deliveries begun every `per` (a `count` of 0 is taken as 1). They are
    /// spread evenly, one every `per / count`; turns missed (a worker busy, or late) are made
    /// up, at most 50 ms of the rate's worth (and at least one) at once.
    pub fn rate(count: u32, per: Duration) -> Limit {
        let per = per.max(Duration::from_millis(1)).as_secs_f64();
        Limit {
            per_second: Some(f64::from(count.max(1)) / per),
            at_once: None,
        }
    }

    /// At most `count` deliveries in hand at once (at least 1).
    pub fn concurrency(count: u32) -> Limit {
        Limit {
            per_second: None,
            at_once: Some(count.max(1)),
        }
    }

    /// This limit, and at most `count` deliveries in hand at once (at least 1).
    pub fn at_once(mut self, count: u32) -> Limit {
        self.at_once = Some(count.max(1));
        self
    }

    /// The turns of the rate that may be taken at once: 50 ms of it, at least one.
    fn burst(&self) -> f64 {
        self.per_second.map_or(1.0, |per_second| {
            (per_second * BURST.as_secs_f64()).max(1.0)
        })
    }
}

/// How much of a rate's turns a worker late for them may make up at once.
const BURST: Duration = Duration::from_millis(50);

/// One type's limit and where it stands.
struct Limited {
    limit: Limit,
    stand: Mutex<Stand>,
}

struct Stand {
    /// Deliveries that may begin now (at most one: no burst).
    turns: f64,
    refilled: Instant,
    in_hand: u32,
}

impl Limited {
    /// Whether a delivery may begin now; and, when not for its rate, in how long.
    fn open(&self, stand: &mut Stand) -> (bool, Option<Duration>) {
        if let Some(per_second) = self.limit.per_second {
            let now = Instant::now();
            let earned = now.duration_since(stand.refilled).as_secs_f64() * per_second;
            stand.turns = (stand.turns + earned).min(self.limit.burst());
            stand.refilled = now;
            if stand.turns < 1.0 {
                let wait = Duration::from_secs_f64((1.0 - stand.turns) / per_second);
                return (false, Some(wait));
            }
        }
        let room = self.limit.at_once.map_or(true, |most| stand.in_hand < most);
        (room, None)
    }
}

impl Limited {
    /// Takes a place: a turn of its rate, and one of those at once.
    fn take(&self, stand: &mut Stand) {
        if self.limit.per_second.is_some() {
            stand.turns -= 1.0;
        }
        stand.in_hand += 1;
    }

    /// Gives back a place taken and not used: its turn too.
    fn give_back(&self) {
        if let Ok(mut stand) = self.stand.lock() {
            if self.limit.per_second.is_some() {
                stand.turns = (stand.turns + 1.0).min(self.limit.burst());
            }
            stand.in_hand = stand.in_hand.saturating_sub(1);
        }
    }
}

/// A delivery of a limited type in hand: its place at once is given back when dropped (its
/// turn of the rate is spent).
pub(crate) struct Permit(Arc<Limited>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut stand) = self.0.stand.lock() {
            stand.in_hand = stand.in_hand.saturating_sub(1);
        }
    }
}

/// What a worker may take in its next claim: a place held for each limited type that is open
/// (so that two workers of a family never both count on the last turn), and what is closed.
pub(crate) struct Reserved {
    pub closed: Closed,
    held: Vec<(String, Arc<Limited>)>,
}

impl Reserved {
    /// The place of `claimed`'s type, if it has a limit; every other place given back.
    pub fn settle(mut self, claimed: Option<&Entry>) -> Option<Permit> {
        let kind = claimed.and_then(|entry| entry.activity_type.as_deref());
        let mut permit = None;
        for (activity_type, limited) in self.held.drain(..) {
            match permit.is_none() && kind == Some(activity_type.as_str()) {
                true => permit = Some(Permit(limited)),
                false => limited.give_back(),
            }
        }
        permit
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        for (_, limited) in self.held.drain(..) {
            limited.give_back();
        }
    }
}

/// What a worker may not take now.
#[derive(Default)]
pub(crate) struct Closed {
    /// Nothing at all: everything is paused.
    pub all: bool,
    /// The deliveries of these types: paused, or at their limit.
    pub types: Vec<String>,
    /// When a type closed by its rate opens again, the soonest.
    pub opens_in: Option<Duration>,
}

/// What the pauses were when last read.
#[derive(Default)]
struct Paused {
    all: bool,
    types: Vec<String>,
}

/// A worker's gate: its pauses as last read, and the limits its family shares.
#[derive(Default)]
pub(crate) struct Gate {
    pauses: Mutex<Option<(Instant, Arc<Paused>)>>,
    limits: Arc<HashMap<String, Arc<Limited>>>,
}

impl Gate {
    /// A gate for another worker of the same family: its own pauses read, the same limits.
    pub fn another(&self) -> Gate {
        Gate {
            pauses: Mutex::new(None),
            limits: self.limits.clone(),
        }
    }

    /// Whether any type is limited.
    pub fn has_limits(&self) -> bool {
        !self.limits.is_empty()
    }

    /// This gate with `limit` on `activity_type` too.
    pub fn with_limit(&self, activity_type: String, limit: Limit) -> Gate {
        let mut limits: HashMap<String, Arc<Limited>> = (*self.limits).clone();
        limits.insert(
            activity_type,
            Arc::new(Limited {
                limit,
                stand: Mutex::new(Stand {
                    turns: 1.0,
                    refilled: Instant::now(),
                    in_hand: 0,
                }),
            }),
        );
        Gate {
            pauses: Mutex::new(None),
            limits: Arc::new(limits),
        }
    }

    /// What the next claim may take: the pauses in force (read again when older than
    /// [`PAUSES_READ_EVERY`], apart from the claim, so that the claim stays the plain
    /// statement it is without them) closed; each limited type open now held a place, each
    /// at its limit closed.
    pub async fn reserve(&self, db: &Db) -> Result<Reserved, InboxError> {
        let paused = self.paused(db).await?;
        let mut reserved = Reserved {
            closed: Closed {
                all: paused.all,
                types: paused.types.clone(),
                opens_in: None,
            },
            held: Vec::new(),
        };
        if paused.all {
            return Ok(reserved);
        }
        for (activity_type, limited) in self.limits.iter() {
            if paused.types.contains(activity_type) {
                continue;
            }
            let Ok(mut stand) = limited.stand.lock() else {
                continue;
            };
            match limited.open(&mut stand) {
                (true, _) => {
                    limited.take(&mut stand);
                    reserved.held.push((activity_type.clone(), limited.clone()));
                }
                (false, opens_in) => {
                    reserved.closed.types.push(activity_type.clone());
                    // Full at once: look again soon, when one in hand may be done.
                    let opens_in = opens_in.unwrap_or(Duration::from_millis(10));
                    reserved.closed.opens_in = Some(
                        reserved
                            .closed
                            .opens_in
                            .map_or(opens_in, |soonest| soonest.min(opens_in)),
                    );
                }
            }
        }
        Ok(reserved)
    }

    async fn paused(&self, db: &Db) -> Result<Arc<Paused>, InboxError> {
        if let Some((read_at, paused)) = &*self.pauses.lock().unwrap_or_else(|e| e.into_inner()) {
            if read_at.elapsed() < PAUSES_READ_EVERY {
                return Ok(paused.clone());
            }
        }
        let mut paused = Paused::default();
        for pause in db.paused().await? {
            match pause.pause {
                Pause::All => paused.all = true,
                Pause::Type(kind) => paused.types.push(kind),
            }
        }
        let paused = Arc::new(paused);
        *self.pauses.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), paused.clone()));
        Ok(paused)
    }
}
