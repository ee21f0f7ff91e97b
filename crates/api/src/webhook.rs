//! The webhook deliverer: a background task that POSTs due notifications to their subscribers'
//! callback URLs, at least once, with an `Idempotency-Key` header (the notification id) so that
//! receivers can drop duplicates. Outcomes go back through the service, which keeps the outbox in
//! the store: nothing is lost on restart. It stops when `shutdown` completes.
//!
//! The same outbox carries the F3548 notifications of natively filed entities to USSs
//! (`Event::UssNotified`): their body is the standard's (`crate::dss::uss::notification_body`),
//! rendered when posted. Each outcome is counted in `deconflict_deliveries_total` by `kind`
//! (`webhook`, `f3548`) and `outcome` (`delivered`, `retry`, `gave_up`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deconflict_service::Service;
use deconflict_store::{Attempt, Delivery, Store};

/// How often the outbox is polled when idle.
const POLL: Duration = Duration::from_millis(250);

/// Deliveries by kind and outcome.
pub const DELIVERIES_TOTAL: &str = "deconflict_deliveries_total";

/// The body to post: the notification itself, or the F3548 notification it stands for.
fn body_of<S: Store>(service: &Service<S>, d: &Delivery) -> Option<(serde_json::Value, bool)> {
    match service.uss_notification(&d.notification) {
        Ok(Some(n)) => Some((crate::dss::uss::notification_body(&n), true)),
        Ok(None) => serde_json::to_value(&d.notification)
            .ok()
            .map(|b| (b, false)),
        Err(e) => {
            tracing::warn!(error = %e, id = d.notification.id, "rendering an F3548 notification");
            None
        }
    }
}

fn post(agent: &ureq::Agent, d: &Delivery, body: &serde_json::Value) -> bool {
    match agent
        .post(&d.url)
        .header("Idempotency-Key", &d.notification.id.to_string())
        .send_json(body)
    {
        Ok(resp) => resp.status().is_success(),
        Err(e) => {
            tracing::debug!(url = %d.url, error = %e, "webhook delivery failed");
            false
        }
    }
}

/// Deliveries claimed per pass: few enough that posting them (10 s timeout each) mostly ends
/// within the claim's lease.
const CLAIM: usize = 16;

/// One pass: claim what is due, deliver it, record the outcomes. Returns how many were
/// attempted.
fn deliver_due<S: Store>(service: &Service<S>, agent: &ureq::Agent) -> usize {
    let due = match service.claim_due_deliveries(CLAIM) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "reading the outbox");
            return 0;
        }
    };
    for d in &due {
        let (ok, f3548) = match body_of(service, d) {
            Some((body, f3548)) => (post(agent, d, &body), f3548),
            None => (false, false),
        };
        match service.record_delivery(d, ok) {
            Ok(attempt) => {
                let outcome = match attempt {
                    Attempt::Delivered => "delivered",
                    Attempt::GaveUp => "gave_up",
                    Attempt::Retry { .. } | Attempt::Claimed { .. } => "retry",
                };
                let kind = if f3548 { "f3548" } else { "webhook" };
                metrics::counter!(DELIVERIES_TOTAL, "kind" => kind, "outcome" => outcome)
                    .increment(1);
            }
            Err(e) => tracing::warn!(error = %e, id = d.notification.id, "recording a delivery"),
        }
    }
    due.len()
}

/// Runs the deliverer until `shutdown` completes.
pub async fn run<S: Store>(service: Arc<Service<S>>, shutdown: impl Future<Output = ()>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    tokio::pin!(shutdown);
    loop {
        let (service, agent2) = (Arc::clone(&service), agent.clone());
        let attempted = tokio::task::spawn_blocking(move || deliver_due(&service, &agent2))
            .await
            .unwrap_or(0);
        if attempted == 0 {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
