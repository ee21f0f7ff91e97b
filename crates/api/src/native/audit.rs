//! The audit log: its entries, a page at a time, and the public key that verifies them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use deconflict_core::AuditEntry;
use deconflict_service::ServiceError;
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ProblemJson};
use super::responses::{BadRequest, Forbidden, InternalError, Unauthenticated, Unavailable};
use super::run;
use super::schema::AuditEntrySchema;
use crate::{AppState, Authenticated};

/// Entries in a page unless `?limit=` says otherwise.
pub const DEFAULT_LIMIT: usize = 500;
/// Most entries in a page.
pub const MAX_LIMIT: usize = deconflict_service::audit::MAX_PAGE;

/// `?after=&limit=` of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries with a greater seq (default 0: from the start).
    #[serde(default)]
    pub after: u64,
    /// Most entries to return: 1 to 1000 (default 500; larger values count as 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditPage)]
pub struct AuditPageJson {
    /// Entries in increasing seq order.
    #[schema(value_type = Vec<AuditEntrySchema>)]
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page; null when this page is the last (it was not full).
    #[schema(required = true)]
    pub next_after: Option<u64>,
}

/// The key that verifies the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditKey)]
pub struct AuditKeyJson {
    /// Always `Ed25519`.
    pub algorithm: &'static str,
    /// The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key_pem: String,
}

/// Read the audit log.
///
/// Every change of state — operations and zones, subscriptions, parties, notifications and
/// their acknowledgements, DSS records — in the order committed, one page at a time: ask again
/// with `after` = `next_after`. Each entry carries the hash of the one before and the server's
/// Ed25519 signature; `deconflict audit verify` checks them. Entries carry no geometry, so every
/// party may read the whole log.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    params(AuditParams),
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "A page of entries", body = AuditPageJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn audit_page<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditPageJson>, ApiError> {
    let Query(AuditParams { after, limit }) = q?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let entries = run(&state.service, move |s| s.audit_page(&caller, after, limit)).await?;
    let next_after = if entries.len() == limit {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AuditPageJson {
        entries,
        next_after,
    }))
}

/// The audit log's public key.
///
/// The Ed25519 key whose signatures the entries of `/v1/audit` carry, for
/// `deconflict audit verify --public-key`. Compare it with the key the operator published: a
/// log verifies only against the key it was signed with.
#[utoipa::path(
    get,
    path = "/v1/audit/key",
    tag = "audit",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The public key", body = AuditKeyJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, description = "This server keeps no audit log",
            body = ProblemJson, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn audit_key<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Json<AuditKeyJson>, ApiError> {
    caller.require(deconflict_service::SCOPE_READ)?;
    let Some(key) = state.service.audit_public_key() else {
        return Err(ApiError::Service(ServiceError::NotFound(
            "the audit log".into(),
        )));
    };
    let public_key_pem = deconflict_core::audit::public_key_to_pem(&key)
        .map_err(|e| ApiError::Internal(format!("the audit key: {e}")))?;
    Ok(Json(AuditKeyJson {
        algorithm: "Ed25519",
        public_key_pem,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::{Method, StatusCode};
    use serde_json::Value;

    use crate::test_support::{TestApp, text};

    #[tokio::test]
    async fn pages_the_log_and_serves_the_key() {
        let app = TestApp::new("");
        let admin = app.token("admin", &["deconflict.admin"]);
        for i in 0..3 {
            let r = app
                .send(
                    Method::PUT,
                    &format!("/v1/parties/p{i}"),
                    &admin,
                    br#"{"name": "P"}"#.to_vec(),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let reader = app.token("p0", &["deconflict.read"]);
        let page = |uri: &'static str| {
            let (app, reader) = (&app, &reader);
            async move {
                let r = app.send(Method::GET, uri, reader, Vec::new()).await;
                assert_eq!(r.status(), StatusCode::OK);
                serde_json::from_str::<Value>(&text(r).await).unwrap()
            }
        };
        let first = page("/v1/audit?limit=2").await;
        let seqs: Vec<u64> = first["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!((seqs, first["next_after"].as_u64()), (vec![1, 2], Some(2)));
        let rest = page("/v1/audit?after=2").await;
        assert_eq!(rest["entries"][0]["seq"], 3);
        assert_eq!(rest["entries"][0]["action"], "party.put");
        assert_eq!(rest["entries"][0]["actor"], "admin");
        assert!(rest["next_after"].is_null());

        let key = page("/v1/audit/key").await;
        assert_eq!(key["algorithm"], "Ed25519");
        let pem = key["public_key_pem"].as_str().unwrap();
        let vk = deconflict_core::audit::public_key_from_pem(pem).unwrap();
        let entries: Vec<deconflict_core::AuditEntry> =
            serde_json::from_value(page("/v1/audit").await["entries"].clone()).unwrap();
        assert_eq!(deconflict_core::verify_chain(entries, &vk), Ok(3));

        // A token without a read scope is refused.
        let r = app.send(Method::GET, "/v1/audit", &admin, Vec::new()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}
