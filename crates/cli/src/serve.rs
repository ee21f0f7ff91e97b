//! Wiring of the server: store, service, verifier, router, listener, the webhook deliverer, and
//! shutdown on Ctrl-C or SIGTERM (in-flight requests finish, the deliverer ends its pass; the
//! store's writer stops when the last handle drops).

use std::sync::Arc;

use anyhow::Context;
use deconflict_api::auth::{AuthConfig, Verifier};
use deconflict_api::request_metrics::{REQUEST_DURATION, REQUEST_DURATION_BUCKETS_S};
use deconflict_api::{AppState, router};
use deconflict_service::{
    AuditSigner, DisclosurePolicy, RandomOvns, Service, ServiceConfig, SystemClock,
};
use deconflict_store::Store;
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::postgres::{PostgresOptions, PostgresStore};
use tokio::net::TcpListener;

use crate::config::ServeConfig;

/// The service over whichever store the settings name (the `Store` trait has generic methods, so
/// the choice is made here once and everything above is generic).
pub enum Opened {
    /// The embedded store in the data directory.
    Embedded(Arc<Service<EmbeddedStore>>),
    /// A PostgreSQL-compatible database.
    Postgres(Arc<Service<PostgresStore>>),
}

/// Opens the store and builds the service over it.
///
/// The audit log's signing key is the data directory's `audit-key.pem` (made on first start),
/// with either store; a store whose log another key signed is refused.
pub fn open_service(config: &ServeConfig) -> anyhow::Result<Opened> {
    let key = crate::commands::audit::load_or_create_key(&config.data)
        .context("loading the audit signing key")?;
    let signer = Arc::new(AuditSigner::new(key));
    if let Some(url) = &config.store {
        let store = PostgresStore::open(url, PostgresOptions::default())
            .context("opening the PostgreSQL store")?;
        return Ok(Opened::Postgres(checked(service_over(
            store, config, signer,
        ))?));
    }
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating the data directory {}", config.data.display()))?;
    let store = EmbeddedStore::open(&config.data)
        .with_context(|| format!("opening the store in {}", config.data.display()))?;
    Ok(Opened::Embedded(checked(service_over(
        store, config, signer,
    ))?))
}

fn checked<S: Store>(service: Arc<Service<S>>) -> anyhow::Result<Arc<Service<S>>> {
    service
        .check_audit_key()
        .context("checking the audit signing key")?;
    Ok(service)
}

fn service_over<S: Store>(
    store: S,
    config: &ServeConfig,
    signer: Arc<AuditSigner>,
) -> Arc<Service<S>> {
    let lease = chrono::Duration::from_std(config.delivery_lease)
        .unwrap_or_else(|_| chrono::Duration::seconds(60));
    Arc::new(Service::new(
        store,
        ServiceConfig {
            disclosure: DisclosurePolicy {
                h3_resolution: config.h3_resolution,
                ..DisclosurePolicy::default()
            },
            delivery_lease: lease,
            ack_deadline: chrono::Duration::from_std(config.ack_deadline)
                .unwrap_or_else(|_| chrono::Duration::hours(24)),
            dss: deconflict_service::dss::DssConfig {
                allow_http_base_urls: !config.dss_require_https,
                native_base_url: config.public_url.clone(),
                max_subscriptions_per_area: config.dss_max_subscriptions_per_area,
                key_scope: config.dss_key_scope,
                notification_token_file: config.dss_notification_token_file.clone(),
                ..deconflict_service::dss::DssConfig::default()
            },
            audit: Some(signer),
            protected: config.protected.service_config(),
            ..ServiceConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(RandomOvns),
    ))
}

/// Builds the token verifier from the merged settings.
pub fn verifier(config: &ServeConfig) -> anyhow::Result<Verifier> {
    if config.jwt_public_keys.is_empty() && config.jwks.is_none() {
        anyhow::bail!(
            "no token keys: give --jwt-public-key FILE (repeatable) or --jwks FILE; for a local \
             trial, `deconflict demo` makes and uses a development key"
        );
    }
    Verifier::new(&AuthConfig {
        audience: config.audience.clone(),
        public_key_files: config.jwt_public_keys.clone(),
        jwks_file: config.jwks.clone(),
        leeway_s: 30,
    })
    .context("loading the token keys")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed the server simply runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// How often overdue acknowledgements are looked for.
const ESCALATION_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Escalates overdue acknowledgements until `shutdown` (every node may: each escalation is one
/// transaction, so it happens once).
async fn escalate<S: Store>(
    service: Arc<Service<S>>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let s = Arc::clone(&service);
        match tokio::task::spawn_blocking(move || s.escalate_overdue(100)).await {
            Ok(Ok(n)) if n > 0 => {
                tracing::info!(escalated = n, "overdue acknowledgements escalated");
                continue;
            }
            Ok(Err(e)) => tracing::warn!("escalating overdue acknowledgements: {e}"),
            _ => {}
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(ESCALATION_POLL) => {}
        }
    }
}

/// Asks for reconfirmations and announces lapses of protected sites every `every` until
/// `shutdown` (every node may: each notice is handled in one transaction, so once).
async fn lapse<S: Store>(
    service: Arc<Service<S>>,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let s = Arc::clone(&service);
        match tokio::task::spawn_blocking(move || s.process_validity()).await {
            Ok(Ok(p)) if p != deconflict_service::ValidityPass::default() => tracing::info!(
                reconfirmations_requested = p.reconfirmations_requested,
                lapses_announced = p.lapses_announced,
                "protected sites: validity processed"
            ),
            Ok(Err(e)) => tracing::warn!("processing protected sites' validity: {e}"),
            _ => {}
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Serves until a shutdown signal: the API, the web UI at `/` (`deconflict-web`), and `extra`
/// (routes only some commands add, such as the demo's tokens). `ready` is called with the bound
/// address once listening. Protected sites' validity is looked at every
/// `validity_every`.
pub async fn serve<S: Store>(
    service: Arc<Service<S>>,
    verifier: Verifier,
    validity_every: std::time::Duration,
    listen: std::net::SocketAddr,
    extra: axum::Router,
    ready: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    // Buckets make the request latency a Prometheus histogram (by default the exporter renders
    // histograms as summaries, which cannot be aggregated across instances).
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(REQUEST_DURATION.to_owned()),
            REQUEST_DURATION_BUCKETS_S,
        )
        .context("configuring the request latency histogram")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    // One shutdown signal for the server and the background work.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let deliverer = tokio::spawn(deconflict_api::webhook::run(Arc::clone(&service), {
        let mut rx = stop_rx.clone();
        async move {
            // An error means the sender is gone: stop as well.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }));
    let escalator = tokio::spawn(escalate(Arc::clone(&service), {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }));
    let lapser = tokio::spawn(lapse(Arc::clone(&service), validity_every, {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }));
    let state = AppState {
        service,
        verifier: Arc::new(verifier),
    };
    let app = router(state, Arc::new(move || prometheus.render()))
        .merge(deconflict_web::routes())
        .merge(extra);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%addr, "listening");
    ready(addr);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .await
        .context("serving HTTP");
    // The deliverer finishes its current pass; undelivered notifications stay in the outbox.
    let _ = deliverer.await;
    let _ = escalator.await;
    let _ = lapser.await;
    served
}
