//! The connections a listener keeps open, bounded: when it holds as many as it may, a new
//! one is made room for by closing the oldest that holds no delivery in hand (idle, still
//! sending its request head, or still sending its body). So neither idle sockets nor clients
//! that never finish a request can exhaust the process's files or keep a delivery waiting
//! behind them; a request whose body has been read is never closed to make room.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a request's head may take to arrive, from the connection's start or from the
/// end of its previous request.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The connections of one listener.
pub struct Connections {
    /// The most kept open at once, unless every one of them has a delivery in hand.
    most: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next: u64,
    slots: VecDeque<Arc<Slot>>,
}

/// One open connection's place: whether it holds a delivery in hand, and how to close it.
pub struct Slot {
    id: u64,
    in_hand: AtomicUsize,
    close: Notify,
}

/// A connection admitted: its [`Slot`], given up when this is dropped (the connection ended).
pub struct Admitted {
    slot: Arc<Slot>,
    connections: Arc<Connections>,
}

/// A delivery in hand on a connection: that connection is not closed to make room while
/// this lives.
pub struct InHand(Arc<Slot>);

impl Connections {
    /// The connections of a listener that may keep `most` open.
    pub fn new(most: usize) -> Arc<Connections> {
        Arc::new(Connections {
            most: most.max(1),
            open: Mutex::new(Open::default()),
        })
    }

    /// How many connections a receiver may keep open: half of what is left of the files the
    /// process may open (raised first to what the system allows) once its own (the
    /// database's, the forward client's, the web view's) are set aside, between 16 and 4096.
    pub fn budget() -> usize {
        let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        (files.saturating_sub(64) / 2).clamp(16, 4096) as usize
    }

    /// Admits a new connection, closing the oldest with no delivery in hand when the
    /// listener holds as many as it may. (When every one has a delivery in hand, the new one
    /// is admitted all the same: those are work, not a flood.)
    pub fn admit(self: &Arc<Self>) -> Admitted {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if open.slots.len() >= self.most {
            let idle = open
                .slots
                .iter()
                .position(|slot| slot.in_hand.load(Ordering::SeqCst) == 0);
            if let Some(idle) = idle.and_then(|at| open.slots.remove(at)) {
                idle.close.notify_one();
            }
        }
        open.next += 1;
        let slot = Arc::new(Slot {
            id: open.next,
            in_hand: AtomicUsize::new(0),
            close: Notify::new(),
        });
        open.slots.push_back(slot.clone());
        Admitted {
            slot,
            connections: self.clone(),
        }
    }

    /// How many connections are open now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.open.lock().map(|open| open.slots.len()).unwrap_or(0)
    }
}

impl Admitted {
    /// The connection's slot, for its requests to say when a delivery is in hand.
    pub fn slot(&self) -> Arc<Slot> {
        self.slot.clone()
    }

    /// Completes when the connection is to be closed to make room.
    pub async fn closed(&self) {
        self.slot.close.notified().await;
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        open.slots.retain(|slot| slot.id != self.slot.id);
    }
}

impl Slot {
    /// Marks a delivery in hand on this connection until the guard is dropped.
    pub fn in_hand(self: &Arc<Self>) -> InHand {
        self.in_hand.fetch_add(1, Ordering::SeqCst);
        InHand(self.clone())
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        self.0.in_hand.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_oldest_connection_without_a_delivery_in_hand_makes_room() {
        let connections = Connections::new(2);
        let first = connections.admit();
        let second = connections.admit();
        let _busy = first.slot().in_hand();
        let _third = connections.admit();
        // The second, idle, was asked to close; the first, busy, was not.
        tokio::time::timeout(Duration::from_secs(1), second.closed())
            .await
            .expect("the idle connection is closed");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), first.closed())
                .await
                .is_err()
        );
        drop(second);
        assert_eq!(connections.len(), 2);
    }

    #[test]
    fn when_every_connection_has_a_delivery_in_hand_a_new_one_is_admitted_all_the_same() {
        let connections = Connections::new(1);
        let first = connections.admit();
        let _busy = first.slot().in_hand();
        let _second = connections.admit();
        assert_eq!(connections.len(), 2);
    }
}
