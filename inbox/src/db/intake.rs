//! Group commit: the stores that wait at one moment share one statement, so that a burst of
//! deliveries costs the database a few commits rather than one each, and every store is still
//! answered only once its row is committed.
//!
//! No task of its own: the first store to find no commit under way leads one, taking every
//! store waiting then (its own among them); those arriving meanwhile wait for the next. The
//! statement runs on a task of its own, so that a leader whose request is dropped (its client
//! hung up) does not drop the others' rows half stored. A lone store leads at once: it waits
//! for no one.

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::deliveries::Insert;
use super::Db;
use crate::error::InboxError;

/// The most rows one statement stores (11 parameters each, well within the databases'
/// bounds); a leader leaves the rest for the next.
const MOST_AT_ONCE: usize = 256;

/// The stores waiting for a commit, and the turn to lead one.
#[derive(Default)]
pub(crate) struct Intake {
    waiting: Mutex<Vec<Waiting>>,
    leading: tokio::sync::Mutex<()>,
}

/// A store waiting for a commit: its row, and where to say whether it was stored (`None`), or
/// to give it back when its key was taken.
struct Waiting {
    insert: Insert,
    answer: oneshot::Sender<Answer>,
}

type Answer = Result<Option<Insert>, String>;

impl Db {
    /// [`insert`](Db::insert), sharing one statement with the stores waiting at the same
    /// moment in this process: `None` when stored, the row given back when its key was taken.
    pub async fn insert_grouped(&self, insert: Insert) -> Result<Option<Insert>, InboxError> {
        let (answer, mut answered) = oneshot::channel();
        self.intake
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Waiting { insert, answer });
        loop {
            let _leading = tokio::select! {
                biased;
                answer = &mut answered => return taken(answer),
                leading = self.intake.leading.lock() => leading,
            };
            // Answered by the leader before, while this one waited for its turn.
            if let Ok(answer) = answered.try_recv() {
                return taken(Ok(answer));
            }
            let batch: Vec<Waiting> = {
                let mut waiting = self
                    .intake
                    .waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let most = waiting.len().min(MOST_AT_ONCE);
                let rest = waiting.split_off(most);
                std::mem::replace(&mut *waiting, rest)
            };
            let db = self.clone();
            // Past a dropped leader, the commit goes on: its rows are others' too.
            let _ = tokio::spawn(async move { db.commit(batch).await }).await;
        }
    }

    /// Stores `batch` in one statement and answers each; each of a key twice in it is given
    /// back, as taken, once the first's row is committed.
    async fn commit(&self, batch: Vec<Waiting>) {
        let mut keys = HashSet::new();
        let (first, again): (Vec<Waiting>, Vec<Waiting>) = batch
            .into_iter()
            .partition(|waiting| keys.insert(waiting.insert.key.clone()));
        let mut inserts = Vec::with_capacity(first.len());
        let mut answers = Vec::with_capacity(first.len());
        for waiting in first {
            inserts.push(waiting.insert);
            answers.push(waiting.answer);
        }
        let result = self
            .insert_rows(&inserts)
            .await
            .map_err(|err| err.to_string());
        for (insert, answer) in inserts.into_iter().zip(answers) {
            let _ = answer.send(match &result {
                Ok(stored) if stored.contains(&insert.key) => Ok(None),
                Ok(_) => Ok(Some(insert)),
                Err(err) => Err(err.clone()),
            });
        }
        for waiting in again {
            let answer = match &result {
                Ok(_) => Ok(Some(waiting.insert)),
                Err(err) => Err(err.clone()),
            };
            let _ = waiting.answer.send(answer);
        }
    }
}

/// A store's answer from the leader; none when the leader's task was lost (its runtime shut
/// down), which may or may not have stored it.
fn taken(answer: Result<Answer, oneshot::error::RecvError>) -> Result<Option<Insert>, InboxError> {
    match answer {
        Ok(Ok(taken)) => Ok(taken),
        Ok(Err(why)) => Err(InboxError::Shared(why)),
        Err(_) => Err(InboxError::Shared(
            "the statement storing it stopped before it was answered".to_owned(),
        )),
    }
}
