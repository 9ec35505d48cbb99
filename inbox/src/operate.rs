//! What an operator does with an inbox, beside storing and processing: count and list by
//! [`Filter`], retry and purge in bulk, keep done deliveries only so long, pause and resume
//! processing, and ask whether the database is ready.

use std::time::Duration;

use crate::clock::millis;
use crate::entry::{Entry, State};
use crate::error::InboxError;
use crate::filter::{Counts, Filter, Pause, Paused};
use crate::inbox::Inbox;

impl Inbox {
    /// How many deliveries `filter` takes: what a bulk operation would change, first.
    pub async fn count(&self, filter: &Filter) -> Result<u64, InboxError> {
        self.db().count(filter).await
    }

    /// The deliveries `filter` takes, the latest first, at most `limit`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use clinchpad_webhook_inbox::{Filter, Inbox, State};
    ///
    /// # let dir = std::env::temp_dir().join(format!("inbox-filter-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let url = format!("sqlite://{}/inbox.db", dir.display());
    /// let inbox = Inbox::open(&url).await?;
    /// let dead = Filter::new().state(State::Dead).activity_type("lead:moved");
    /// for entry in inbox.list_matching(&dead, 50).await? {
    ///     println!("{}: {:?}", entry.key, entry.last_error);
    /// }
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn list_matching(
        &self,
        filter: &Filter,
        limit: u32,
    ) -> Result<Vec<Entry>, InboxError> {
        self.db().list_matching(filter, limit).await
    }

    /// How many deliveries are in each state, and when the oldest pending one was received:
    /// for a dashboard or an alert.
    pub async fn counts(&self) -> Result<Counts, InboxError> {
        self.db().counts().await
    }

    /// Reads [`counts`](Inbox::counts) and sets the gauges `clinchpad.inbox.deliveries` (by
    /// `state`) and `clinchpad.inbox.oldest_pending_age` (seconds) from them: for a metrics
    /// endpoint to call before it renders. Workers do it every 15 s on their own.
    pub async fn sample_gauges(&self) -> Result<Counts, InboxError> {
        let counts = self.counts().await?;
        crate::signal::gauges(&counts, crate::clock::system_now_ms());
        Ok(counts)
    }

    /// Makes the deliveries `filter` takes pending again, their attempts counted afresh, each
    /// due at a time drawn at random between now and `spread` from now, so that thousands
    /// retried together do not all come due at once (`Duration::ZERO`: all due now). One
    /// statement; deliveries a worker has now are left to it. How many were changed.
    ///
    /// A filter without a state takes done deliveries too, which run again: name the states.
    pub async fn retry_matching(
        &self,
        filter: &Filter,
        spread: Duration,
    ) -> Result<u64, InboxError> {
        self.db().retry_matching(filter, millis(spread)).await
    }

    /// Removes the done and dead deliveries `filter` takes, in batches of a few thousand rows,
    /// each its own short transaction, so that stores go on meanwhile. A pending or running
    /// delivery is never removed, whatever the filter says: it has not been processed yet.
    /// How many were removed.
    pub async fn purge(&self, filter: &Filter) -> Result<u64, InboxError> {
        self.db().purge(filter).await
    }

    /// Removes now the done deliveries older than the inbox keeps them
    /// ([`InboxOptions::keep_done`](crate::InboxOptions::keep_done), 30 days by default), as
    /// workers do about once an hour. How many were removed; none when they are kept for ever.
    pub async fn prune(&self) -> Result<u64, InboxError> {
        match self.keep_done_for() {
            Some(keep) => {
                let filter = Filter::new().state(State::Done).finished_before(keep);
                self.purge(&filter).await
            }
            None => Ok(0),
        }
    }

    /// Pauses processing: workers leave the deliveries `pause` takes, due or not, until it is
    /// resumed, from their next claim on (each reads the pauses at most every half second;
    /// an idle one looks again after its poll interval, 1 s by default); one they have in
    /// hand is finished. Deliveries are still stored meanwhile.
    /// Recorded in the database, so every worker of every process sharing it pauses. Whether
    /// it was not paused already.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use clinchpad_webhook_inbox::{Inbox, Pause};
    ///
    /// # let dir = std::env::temp_dir().join(format!("inbox-pause-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let url = format!("sqlite://{}/inbox.db", dir.display());
    /// let inbox = Inbox::open(&url).await?;
    /// // The CRM sync is being deployed: hold its deliveries, keep taking them.
    /// assert!(inbox.pause(Pause::Type("lead:moved".into())).await?);
    /// assert_eq!(inbox.paused().await?.len(), 1);
    /// assert!(inbox.resume(Pause::Type("lead:moved".into())).await?);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn pause(&self, pause: Pause) -> Result<bool, InboxError> {
        self.db().pause(&pause).await
    }

    /// Lifts a pause: whether it was in force. Lifting one type's pause leaves a pause of
    /// all in force, and the other way round.
    pub async fn resume(&self, pause: Pause) -> Result<bool, InboxError> {
        self.db().resume(&pause).await
    }

    /// The pauses in force, the oldest first.
    pub async fn paused(&self) -> Result<Vec<Paused>, InboxError> {
        self.db().paused().await
    }

    /// Whether the inbox can take deliveries now: its database answers, its schema is this
    /// version's, and (on SQLite) its file is still the one opened. What a readiness probe
    /// (`/readyz`) asks; `Err` says why not.
    pub async fn ready(&self) -> Result<(), InboxError> {
        self.db().check_file()?;
        self.db().check_schema().await
    }
}
