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

/// What to post: the body, and the bearer token to present (F3548 notifications only).
struct Post {
    body: serde_json::Value,
    token: Option<String>,
    f3548: bool,
}

/// The access token for F3548 notifications, read from its file now (it may have been
/// refreshed); `None` without a file, or when it cannot be read (logged: the post then goes
/// without one, and a USS that requires one refuses it, so it is retried).
fn notification_token<S: Store>(service: &Service<S>) -> Option<String> {
    let path = service.config().dss.notification_token_file.as_ref()?;
    match std::fs::read_to_string(path) {
        Ok(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
        Ok(_) => {
            tracing::warn!(path = %path.display(), "the notification token file is empty");
            None
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "reading the notification token");
            None
        }
    }
}

/// The body to post: the notification itself, or the F3548 notification it stands for.
fn body_of<S: Store>(service: &Service<S>, d: &Delivery) -> Option<Post> {
    match service.uss_notification(&d.notification) {
        Ok(Some(n)) => Some(Post {
            body: crate::dss::uss::notification_body(&n),
            token: notification_token(service),
            f3548: true,
        }),
        Ok(None) => serde_json::to_value(&d.notification).ok().map(|body| Post {
            body,
            token: None,
            f3548: false,
        }),
        Err(e) => {
            tracing::warn!(error = %e, id = d.notification.id, "rendering an F3548 notification");
            None
        }
    }
}

fn post(agent: &ureq::Agent, d: &Delivery, p: &Post) -> bool {
    let mut request = agent
        .post(&d.url)
        .header("Idempotency-Key", &d.notification.id.to_string());
    if let Some(t) = &p.token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    match request.send_json(&p.body) {
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
            Some(p) => (post(agent, d, &p), p.f3548),
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
