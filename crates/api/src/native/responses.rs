//! The failure answers shared by the endpoints of the native API, as reusable OpenAPI responses
//! (`#/components/responses/...`). Each is a `Problem` ([`ProblemJson`]) with the status it is
//! listed under; [`super::error`] is where they are made.

// Documentation only: these name responses for the OpenAPI document and are never built.
#![expect(dead_code, reason = "documentation only: described, never built")]

use utoipa::ToResponse;

use super::error::ProblemJson;

/// Invalid input (`field` names the field and the reason is in `detail`), or a path segment,
/// query parameter or JSON body that does not parse.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(ProblemJson);

/// No valid bearer token: missing, malformed, expired, not yet valid, for another audience, or
/// signed by a key the service does not trust. Answered with `WWW-Authenticate: Bearer`.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`"))
)]
pub struct Unauthenticated(ProblemJson);

/// The token lacks the scope this needs ("Missing scope", with `scope`), or the resource
/// belongs to another party ("Forbidden").
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(ProblemJson);

/// No such resource, or none the caller may see.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(ProblemJson);

/// Compare-and-swap refused: "Already exists" (a create, without `ovn` or `version`, of
/// something that exists), "Version mismatch" (it changed since the caller read it: read it
/// again), or "Kind changed" (an operation may not become a zone, nor the reverse).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct WriteConflict(ProblemJson);

/// The body is not the JSON this endpoint takes: 413 too large, 415 not `application/json`,
/// 422 well-formed JSON of the wrong shape (a missing, unknown or mistyped field).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnreadableBody(ProblemJson);

/// A failure of the server (a storage failure or a bug): logged under `error_id`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct InternalError(ProblemJson);

/// Storage busy or unavailable: nothing was changed and the request may be retried. Logged
/// under `error_id`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unavailable(ProblemJson);
