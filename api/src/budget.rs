//! [`Budget`]: how many calls this client may make in any hour.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// ClinchPad's documented limit: 1,200 calls an hour per account, then 429.
pub const HOURLY_LIMIT: u32 = 1_200;

/// The calls a client makes by default in any hour: 80 % of [`HOURLY_LIMIT`], leaving the
/// rest to whatever else uses the account's key.
pub const DEFAULT_BUDGET: u32 = HOURLY_LIMIT / 5 * 4;

const HOUR: Duration = Duration::from_secs(3600);

/// A sliding hour of calls: each call takes one of `per_hour`, given back an hour after it
/// was made.
#[derive(Debug)]
pub(crate) struct Budget {
    per_hour: u32,
    made: VecDeque<Instant>,
}

impl Budget {
    pub(crate) fn new(per_hour: u32) -> Budget {
        Budget {
            per_hour,
            made: VecDeque::new(),
        }
    }

    /// Takes one call, or says how long until one is free.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        while self
            .made
            .front()
            .is_some_and(|&made| now.duration_since(made) >= HOUR)
        {
            self.made.pop_front();
        }
        if self.made.len() >= self.per_hour as usize {
            let oldest = self.made.front().copied().unwrap_or(now);
            return Err(HOUR.saturating_sub(now.duration_since(oldest)));
        }
        self.made.push_back(now);
        Ok(())
    }

    pub(crate) fn per_hour(&self) -> u32 {
        self.per_hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_frees_a_call_an_hour_after_the_oldest() {
        let start = Instant::now();
        let mut budget = Budget::new(2);
        assert_eq!(budget.take(start), Ok(()));
        assert_eq!(budget.take(start + Duration::from_secs(10)), Ok(()));
        let wait = budget.take(start + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(3580));
        assert_eq!(budget.take(start + HOUR), Ok(()));
        assert!(budget.take(start + HOUR).is_err());
    }

    #[test]
    fn the_default_is_four_fifths_of_the_documented_limit() {
        assert_eq!(DEFAULT_BUDGET, 960);
    }
}
