//! The webhook deliverer: a background task that POSTs due notifications to their subscribers'
//! callback URLs, at least once, with an `Idempotency-Key` header (the notification id) so that
//! receivers can drop duplicates. Outcomes go back through the service, which keeps the outbox in
//! the store: nothing is lost on restart. It stops when `shutdown` completes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deconflict_service::Service;
use deconflict_store::{Delivery, Store};

/// How often the outbox is polled when idle.
const POLL: Duration = Duration::from_millis(250);

fn post(agent: &ureq::Agent, d: &Delivery) -> bool {
    let body = match serde_json::to_value(&d.notification) {
        Ok(b) => b,
        Err(_) => return false,
    };
    match agent
        .post(&d.url)
        .header("Idempotency-Key", &d.notification.id.to_string())
        .send_json(&body)
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
        let ok = post(agent, d);
        if let Err(e) = service.record_delivery(d, ok) {
            tracing::warn!(error = %e, id = d.notification.id, "recording a delivery");
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
