//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' `#[utoipa::path]`
//! attributes and the DTOs' schemas, served at `GET /v1/openapi.json`; and `GET /docs`, a
//! self-contained page (no external requests) that renders it. Both need no token.
//!
//! The document is committed as `docs/openapi.json`; the tests here fail when it is stale
//! (`UPDATE_OPENAPI=1 cargo test -p deconflict-api openapi` rewrites it) and when a route of
//! [`crate::native::routes`] is missing from it.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::native::error::ApiError;
use crate::native::{dto, error, responses, schema};

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

/// Adds the bearer JWT security scheme.
struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT signed RS256 or ES256 by a key the service trusts, with `sub` (the \
                         party), `aud` (the service's audience), `exp`, and the scopes in `scope` \
                         (space-separated): `deconflict.read` (queries, entities as disclosed, \
                         one's inbox and subscriptions), `deconflict.write` (file, change and \
                         withdraw one's operations, zones and subscriptions; implies read), \
                         `deconflict.admin` (register parties), `deconflict.review` (review \
                         violation reports). Each operation lists the scopes it accepts as \
                         alternatives.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "deconflict",
        description = "A neutral airspace-deconfliction service: parties file their planned \
            operations and zones as 4D volumes and learn of every conflict before anything \
            moves. Writes are compare-and-swap on the entity's OVN, and an operation must name in \
            its key the current OVN of everything it intersects. Other parties' operations are \
            disclosed coarsely (H3 cells) unless their owner grants full disclosure. Errors are \
            `application/problem+json` (RFC 9457).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::native::entities::put_operation,
        crate::native::entities::get_operation,
        crate::native::entities::delete_operation,
        crate::native::entities::operation_conflicts,
        crate::native::entities::query_operations,
        crate::native::entities::put_zone,
        crate::native::entities::get_zone,
        crate::native::entities::delete_zone,
        crate::native::entities::zone_conflicts,
        crate::native::entities::query_zones,
        crate::native::parties::list_parties,
        crate::native::parties::put_party,
        crate::native::parties::put_disclosure,
        crate::native::withdrawal::get_party,
        crate::native::withdrawal::withdraw_party,
        crate::native::withdrawal::rejoin_party,
        crate::native::subscriptions::list_subscriptions,
        crate::native::subscriptions::put_subscription,
        crate::native::subscriptions::get_subscription,
        crate::native::subscriptions::delete_subscription,
        crate::native::subscriptions::inbox,
        crate::native::subscriptions::ack,
        crate::native::subscriptions::my_overdue,
        crate::native::subscriptions::all_overdue,
        crate::native::events::events,
        crate::native::ceasefires::propose_ceasefire,
        crate::native::ceasefires::list_ceasefires,
        crate::native::ceasefires::get_ceasefire,
        crate::native::ceasefires::accept_ceasefire,
        crate::native::ceasefires::denounce_ceasefire,
        crate::native::ceasefires::end_ceasefire,
        crate::native::protected::put_protected,
        crate::native::protected::get_protected,
        crate::native::protected::reconfirm_protected,
        crate::native::protected::list_protected,
        crate::native::sites_http::import_protected,
        crate::native::sites_http::export_protected,
        crate::native::protected::put_separation,
        crate::native::protected::list_separations,
        crate::native::reports::file_report,
        crate::native::reports::list_reports,
        crate::native::reports::get_report,
        crate::native::reports::review_report,
        crate::native::reports::report_tallies,
        crate::native::audit::audit_page,
        crate::native::audit::audit_key,
        crate::healthz,
        crate::readyz,
        crate::metrics,
        openapi_json,
        docs,
    ),
    components(
        schemas(dto::EntityType, dto::Disclosure, schema::ChangeSchema, error::ProblemJson),
        responses(
            responses::BadRequest,
            responses::Unauthenticated,
            responses::Forbidden,
            responses::NotFound,
            responses::WriteConflict,
            responses::UnreadableBody,
            responses::InternalError,
            responses::Unavailable,
        ),
    ),
    modifiers(&BearerJwt),
    tags(
        (name = "operations", description = "Planned and live operations: file them under the \
            key rule, read them as disclosed, find them, see their conflicts."),
        (name = "zones", description = "Restricted areas, protected sites, ceasefire and \
            separation areas: always disclosed in full; operations must name them in their key."),
        (name = "parties", description = "Who the parties are, and whom each lets see its \
            operations in full."),
        (name = "subscriptions", description = "Standing requests to hear of every change in an \
            area and window."),
        (name = "reports", description = "Violation reports: claims on record of what was \
            observed where and when, with their provenance; matched to the agreements in force, \
            grouped by incident, reviewed, tallied. The service records claims; it takes no \
            side."),
        (name = "inbox", description = "The notifications of the caller's subscriptions."),
        (name = "audit", description = "The tamper-evident record of every change: hash-chained \
            entries signed by the server's Ed25519 key, without geometry."),
        (name = "service", description = "Health, readiness, metrics and this documentation; \
            no token needed."),
    ),
)]
struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The OpenAPI document as pretty-printed JSON, as committed in `docs/openapi.json`.
///
/// # Errors
/// If it does not serialize (a bug).
pub fn document_json() -> Result<String, serde_json::Error> {
    document().to_pretty_json().map(|mut s| {
        s.push('\n');
        s
    })
}

/// The OpenAPI document.
///
/// This document: every path, its parameters, bodies, answers and the scopes it needs.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object,
        content_type = "application/json")),
)]
pub async fn openapi_json() -> Response {
    // Built once: it depends on nothing but the code.
    static DOCUMENT: OnceLock<Result<String, String>> = OnceLock::new();
    match DOCUMENT.get_or_init(|| document_json().map_err(|e| e.to_string())) {
        Ok(json) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json.clone(),
        )
            .into_response(),
        Err(e) => ApiError::Internal(format!("the OpenAPI document: {e}")).into_response(),
    }
}

/// The page at `/docs`: plain HTML, CSS and script, all inline.
const DOCS_PAGE: &str = include_str!("docs.html");

/// What the page may load: nothing but itself and the document (no CDN, no fonts).
const DOCS_CSP: &str = "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; \
                        style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
                        frame-ancestors 'none'";

/// The API documentation page.
///
/// A self-contained page that renders `/v1/openapi.json`: each path and method, its summary,
/// parameters, request body, answers and scopes.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "service",
    responses((status = 200, description = "The page", body = String, content_type = "text/html")),
)]
pub async fn docs() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ),
        ],
        DOCS_PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
