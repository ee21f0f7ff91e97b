//! What a use case can answer instead of success. Each API maps every variant, in one place, to
//! its own shape (problem+json for the native API, F3548 error bodies for the DSS adapter).

use deconflict_core::{EntityId, ValidationError};
use deconflict_store::StoreError;

use crate::disclosure::ConflictView;

/// Why a use case did not succeed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is invalid; the field is named.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// The caller lacks a scope the use case needs.
    #[error("this needs the scope {0}")]
    MissingScope(&'static str),
    /// The caller may not act on this resource (another party's entity, say).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (or none the caller may see).
    #[error("{0} not found")]
    NotFound(String),
    /// A create of something that exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// Compare-and-swap failed: the resource changed since the caller read it.
    #[error(
        "{what} has changed since it was read: read it again and retry with its current version"
    )]
    VersionMismatch {
        /// Which resource.
        what: String,
    },
    /// An operation may not become a zone or the reverse.
    #[error("entity {0} cannot change between operation and zone")]
    KindChanged(EntityId),
    /// The key rule: the caller has not seen the current version of these intersecting entities.
    #[error("the key lacks the current OVN of {} intersecting entities", .0.len())]
    MissingOvns(Vec<ConflictView>),
    /// The ceasefire rule: the operation breaches agreements in force that bind its party.
    #[error("ceasefire conflict: {detail}")]
    CeasefireConflict {
        /// What is wrong and what would be allowed.
        detail: String,
        /// The agreements breached.
        agreements: Vec<crate::ceasefires::CeasefireBreach>,
    },
    /// The operation meets protected sites or movements whose notifiers refuse operations
    /// there; each is shown as the caller may see it (`conflict-only` ones: category, notifier,
    /// reference id and the caller's own footprint, never the site's).
    #[error("the operation meets {} protected sites or movements", .0.len())]
    ProtectedSiteConflict(Vec<ConflictView>),
    /// The caller checked operations near a `conflict-only` protected site more often than the
    /// probing limit allows in its period; retry after `retry_after_s` seconds.
    #[error("{detail}")]
    TooManyChecks {
        /// What was limited.
        detail: String,
        /// Seconds until the period ends.
        retry_after_s: u64,
    },
    /// The act does not fit the resource's current state (accepting an agreement in force).
    #[error("{0}")]
    InvalidState(String),
    /// The store failed; the request may be retried.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}
