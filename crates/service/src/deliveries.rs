//! The webhook outbox's policy: which deliveries are due, and what a failure means (exponential
//! backoff, then giving up — the notification stays in the inbox either way). The HTTP itself is
//! the API layer's.

use chrono::Duration;
use deconflict_store::{Attempt, Delivery, Store, StoreError};

use crate::Service;
use crate::audit::SYSTEM_ACTOR;
use crate::error::ServiceError;

/// Attempts before a delivery is given up (the inbox keeps the notification).
pub const MAX_ATTEMPTS: u32 = 10;

/// The wait before attempt `n + 1` after `n` failures: 1 s doubling, at most 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    Duration::seconds((1i64 << failures.min(9)).min(300))
}

impl<S: Store> Service<S> {
    /// Deliveries due now, oldest first, at most `limit`, claimed for this node: none of them is
    /// due again for the delivery lease, so that other nodes sharing the store leave them alone
    /// — unless this node dies before recording the outcome, when another posts them after the
    /// lease (at least once; receivers drop duplicates by `Idempotency-Key`).
    ///
    /// # Errors
    /// The store's.
    pub fn claim_due_deliveries(&self, limit: usize) -> Result<Vec<Delivery>, ServiceError> {
        let now = self.clock.now();
        let until = now + self.config.delivery_lease;
        Ok(self.transact_unchecked(SYSTEM_ACTOR, &mut |tx| {
            let due = tx.due_deliveries(now, limit)?;
            for d in &due {
                tx.record_attempt(d.notification.id, Attempt::Claimed { until })?;
            }
            Ok::<_, StoreError>(due)
        })?)
    }

    /// Records the outcome of posting `delivery`: delivered, retried later, or given up; returns
    /// which.
    ///
    /// # Errors
    /// The store's.
    pub fn record_delivery(
        &self,
        delivery: &Delivery,
        delivered: bool,
    ) -> Result<Attempt, ServiceError> {
        let attempt = if delivered {
            Attempt::Delivered
        } else if delivery.attempts + 1 >= MAX_ATTEMPTS {
            Attempt::GaveUp
        } else {
            Attempt::Retry {
                at: self.clock.now() + backoff(delivery.attempts),
            }
        };
        let id = delivery.notification.id;
        self.transact_unchecked(SYSTEM_ACTOR, &mut |tx| {
            tx.record_attempt(id, attempt.clone())
        })?;
        Ok(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let secs: Vec<i64> = (0..12).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }
}
