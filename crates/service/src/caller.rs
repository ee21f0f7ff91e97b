//! Who is calling: a party and the scopes its token grants. Authentication happens in the API;
//! authorisation happens here, once for every API.

use std::collections::BTreeSet;

use deconflict_core::PartyId;

use crate::error::ServiceError;

/// Scope to read the airspace (queries, entities as disclosed, own inbox and subscriptions).
pub const SCOPE_READ: &str = "deconflict.read";
/// Scope to file, change and withdraw one's own operations, zones and subscriptions.
pub const SCOPE_WRITE: &str = "deconflict.write";
/// Scope to manage parties.
pub const SCOPE_ADMIN: &str = "deconflict.admin";
/// Scope to review violation reports (move them through `under_review` to `confirmed`,
/// `unconfirmed` or `dismissed`, with a reason). Granted to observers, not to parties to the
/// conflict.
pub const SCOPE_REVIEW: &str = "deconflict.review";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The party (the token's `sub`).
    pub party: PartyId,
    /// The scopes granted.
    pub scopes: BTreeSet<String>,
}

impl Caller {
    /// A caller with these scopes.
    pub fn new(party: PartyId, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            party,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// Refuses unless the caller holds `scope` (write implies read).
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`].
    pub fn require(&self, scope: &'static str) -> Result<(), ServiceError> {
        let held = self.scopes.contains(scope)
            || (scope == SCOPE_READ && self.scopes.contains(SCOPE_WRITE));
        if held {
            Ok(())
        } else {
            Err(ServiceError::MissingScope(scope))
        }
    }
}
