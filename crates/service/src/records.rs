//! Service records kept as JSON store documents (agreements, protected sites, separation claims,
//! reports, pending acknowledgements, availability): one way to read, write and list them, and
//! one error naming a record that does not parse (`documents/<kind>/<id>`).

use deconflict_store::{StoreError, Tx, View};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A record `documents/<kind>/<id>` that cannot be encoded or decoded.
pub(crate) fn corrupt(kind: &str, id: &str, e: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key: format!("documents/{kind}/{id}"),
        detail: e.to_string(),
    }
}

/// The record `(kind, id)`, if any.
pub(crate) fn get<T: DeserializeOwned>(
    view: &dyn View,
    kind: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    view.document(kind, id)?
        .map(|b| serde_json::from_slice(&b).map_err(|e| corrupt(kind, id, e)))
        .transpose()
}

/// Creates or replaces the record `(kind, id)`.
pub(crate) fn put<T: Serialize>(
    tx: &mut dyn Tx,
    kind: &str,
    id: &str,
    record: &T,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec(record).map_err(|e| corrupt(kind, id, e))?;
    tx.put_document(kind, id, body)
}

/// The records of `kind` with id after `after`, by id, with their ids: one store page of at
/// most `limit`.
pub(crate) fn page<T: DeserializeOwned>(
    view: &dyn View,
    kind: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, T)>, StoreError> {
    view.documents(kind, after, limit)?
        .into_iter()
        .map(|(id, body)| {
            let record = serde_json::from_slice(&body).map_err(|e| corrupt(kind, &id, e))?;
            Ok((id, record))
        })
        .collect()
}

/// Every record of `kind`, by id (read in pages of 500).
pub(crate) fn all<T: DeserializeOwned>(view: &dyn View, kind: &str) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let next = page(view, kind, after.as_deref(), 500)?;
        let Some((last, _)) = next.last() else {
            return Ok(out);
        };
        after = Some(last.clone());
        out.extend(next.into_iter().map(|(_, record)| record));
    }
}
