//! Parties: registered by an administrator; each may grant others full disclosure of its
//! operations.

use std::collections::BTreeSet;

use deconflict_core::{Party, PartyId};
use deconflict_store::Store;

use crate::Service;
use crate::caller::{Caller, SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE};
use crate::error::ServiceError;

impl<S: Store> Service<S> {
    /// Registers or renames a party (administrators only). Existing grants are kept.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], [`ServiceError::Invalid`] for an empty or long name.
    pub fn put_party(
        &self,
        caller: &Caller,
        id: PartyId,
        name: String,
    ) -> Result<Party, ServiceError> {
        caller.require(SCOPE_ADMIN)?;
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::Invalid(
                deconflict_core::ValidationError::new(
                    "name",
                    deconflict_core::Reason::Malformed(
                        "a name of 1 to 200 characters is required".into(),
                    ),
                ),
            ));
        }
        self.transact(caller.party.as_str(), &mut |tx| {
            let full_disclosure_to = tx
                .party(&id)?
                .map(|p| p.full_disclosure_to)
                .unwrap_or_default();
            let party = Party {
                id: id.clone(),
                name: name.clone(),
                full_disclosure_to,
            };
            tx.put_party(party.clone())?;
            Ok(party)
        })
    }

    /// Every party.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn parties(&self, caller: &Caller) -> Result<Vec<Party>, ServiceError> {
        caller.require(SCOPE_READ)?;
        Ok(self.store.read(&mut |v| v.parties())?)
    }

    /// Sets which parties see the caller's operations in full.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] if the caller or a named party is not registered.
    pub fn grant_disclosure(
        &self,
        caller: &Caller,
        to: BTreeSet<PartyId>,
    ) -> Result<Party, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(mut me) = tx.party(&caller.party)? else {
                return Err(ServiceError::NotFound(format!("party {}", caller.party)));
            };
            for p in &to {
                if tx.party(p)?.is_none() {
                    return Err(ServiceError::NotFound(format!("party {p}")));
                }
            }
            me.full_disclosure_to = to.clone();
            tx.put_party(me.clone())?;
            Ok(me)
        })
    }
}
