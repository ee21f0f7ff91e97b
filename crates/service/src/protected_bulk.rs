//! Bulk notification of protected sites and movements: a whole list in one act.
//!
//! [`Service::import_protected`] validates every row first and reports **every** failing row
//! with its field (never just the first); a batch with any bad row writes nothing. A good batch
//! is one transaction: one `protected_sites_imported` notification per other party (to
//! acknowledge — acknowledging it acknowledges every notice of the batch, since each notice
//! records it as that party's notification), then every notice filed as a single
//! `PUT /v1/protected-sites/{id}` would file it, and a batch record (document
//! [`BATCH_DOCUMENT`]).
//!
//! Re-importing: a row whose id the caller notified before makes a new version of it; an id
//! notified by another party, or taken by another entity, is a row error; an id twice in one
//! batch is a row error on its second row.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use deconflict_core::{EntityId, Event, PartyId};
use deconflict_store::Store;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Service;
use crate::caller::{Caller, SCOPE_WRITE};
use crate::error::ServiceError;
use crate::protected::{PROTECTED_DOCUMENT, ProtectedNotice, PutProtected};
use crate::records;

/// Document kind of import batches (id: the batch id).
pub const BATCH_DOCUMENT: &str = "protected.batch";

/// Most rows in one import.
pub const MAX_ROWS: usize = 50_000;

/// Why one row of an import was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The row's index in the request (0-based).
    pub row: usize,
    /// The field refused.
    pub field: String,
    /// Why.
    pub message: String,
}

/// An import that succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    /// Its id.
    pub batch: Uuid,
    /// Who notified it.
    pub notifier: PartyId,
    /// When.
    pub at: DateTime<Utc>,
    /// The notices filed, in row order.
    pub sites: Vec<EntityId>,
    /// How many were new (the others are new versions).
    pub created: usize,
    /// The batch notification of each other party.
    pub notifications: BTreeMap<PartyId, u64>,
}

/// A row error from a service refusal of one row.
fn row_error(row: usize, e: &ServiceError) -> RowError {
    let (field, message) = match e {
        ServiceError::Invalid(v) => (v.field().to_owned(), v.reason().to_string()),
        other => ("id".to_owned(), other.to_string()),
    };
    RowError {
        row,
        field,
        message,
    }
}

impl<S: Store> Service<S> {
    /// Checks rows as [`Self::import_protected`] does before touching the store (no I/O):
    /// every row's refusal, with its field. For reporting every bad row of a list at once,
    /// beside those its parser refused.
    pub fn check_protected(&self, rows: &[PutProtected]) -> Vec<RowError> {
        rows.iter()
            .enumerate()
            .filter_map(|(i, req)| {
                self.prepare_protected(req.clone())
                    .err()
                    .map(|e| row_error(i, &e))
            })
            .collect()
    }

    /// Notifies every row's site or movement in one act, or none (see the module docs).
    /// Returns `Ok(Err(errors))`, every bad row with its field, when any row is refused.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], [`ServiceError::Invalid`] (no row, or more than
    /// [`MAX_ROWS`]), or the store's.
    pub fn import_protected(
        &self,
        caller: &Caller,
        rows: Vec<PutProtected>,
    ) -> Result<Result<ImportBatch, Vec<RowError>>, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        if rows.is_empty() || rows.len() > MAX_ROWS {
            return Err(ServiceError::Invalid(
                deconflict_core::ValidationError::new(
                    "rows",
                    deconflict_core::Reason::Malformed(format!(
                        "an import holds 1 to {MAX_ROWS} sites, got {}",
                        rows.len()
                    )),
                ),
            ));
        }
        let mut errors = Vec::new();
        let mut prepared = Vec::with_capacity(rows.len());
        let mut seen: HashMap<EntityId, usize> = HashMap::new();
        for (i, req) in rows.into_iter().enumerate() {
            if let Some(first) = seen.insert(req.id, i) {
                errors.push(RowError {
                    row: i,
                    field: "id".into(),
                    message: format!("{} is also the id of row {first}", req.id),
                });
                continue;
            }
            match self.prepare_protected(req) {
                Ok(p) => prepared.push((i, p)),
                Err(e) => errors.push(row_error(i, &e)),
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let now = self.clock.now();
        let batch = Uuid::new_v4();
        self.transact(caller.party.as_str(), &mut |tx| {
            // Every row against the store first: nothing is written unless all pass.
            let mut errors = Vec::new();
            let mut created = 0;
            for (i, p) in &prepared {
                let id = p.req.id;
                let previous: Option<ProtectedNotice> =
                    records::get(&*tx, PROTECTED_DOCUMENT, &id.to_string())?;
                match (previous, tx.entity(&id)?) {
                    (Some(n), _) if n.notifier != caller.party => errors.push(RowError {
                        row: *i,
                        field: "id".into(),
                        message: format!("protected site {id} was notified by {}", n.notifier),
                    }),
                    (None, Some(_)) => errors.push(RowError {
                        row: *i,
                        field: "id".into(),
                        message: format!("{id} is the id of another entity"),
                    }),
                    (None, None) => created += 1,
                    _ => {}
                }
            }
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            let others = crate::hotline::parties_but(&*tx, Some(&caller.party))?;
            let notifications = crate::hotline::notify_each(
                tx,
                others,
                &Event::ProtectedSitesImported {
                    batch,
                    count: prepared.len() as u64,
                    notifier: caller.party.clone(),
                },
                true,
                now,
                self.config.ack_deadline,
            )?;
            let mut sites = Vec::with_capacity(prepared.len());
            for (_, p) in &prepared {
                self.file_protected(tx, caller, p, now, Some(&notifications))?;
                sites.push(p.req.id);
            }
            let record = ImportBatch {
                batch,
                notifier: caller.party.clone(),
                at: now,
                sites,
                created,
                notifications: notifications.clone(),
            };
            records::put(tx, BATCH_DOCUMENT, &batch.to_string(), &record)?;
            Ok(Ok(record))
        })
    }
}
