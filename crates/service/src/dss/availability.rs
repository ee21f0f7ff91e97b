//! USS availability (`/dss/v1/uss_availability/{uss_id}`) and DSS reports (`/dss/v1/reports`),
//! kept as store documents.

use chrono::{DateTime, Utc};
use deconflict_store::{Store, StoreError, View};
use serde::{Deserialize, Serialize};

use super::{
    AVAILABILITY_READ_SCOPES, AVAILABILITY_WRITE_SCOPES, DssError, REPORT_SCOPES, require_any,
};
use crate::Service;
use crate::caller::Caller;
use crate::records;

/// Document kind of availability records (id: the USS id).
pub const AVAILABILITY_DOCUMENT: &str = "dss.uss_availability";
/// Document kind of archived reports (id: the report id).
pub const REPORT_DOCUMENT: &str = "dss.report";

/// A USS's availability as arbitrated (F3548 `UssAvailabilityState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Availability {
    /// Nothing declared: as capable as Normal.
    #[default]
    Unknown,
    /// Declared available.
    Normal,
    /// Declared down: may not plan, activate or delete operational intents (412), and its
    /// Accepted operational intents need not be named in keys.
    Down,
}

/// A USS's availability with its version (`""` while never set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityStatus {
    /// The USS (a token `sub`).
    pub uss: String,
    /// Its availability.
    pub availability: Availability,
    /// The version to present to change it.
    pub version: String,
}

#[derive(Serialize, Deserialize)]
struct AvailabilityRecord {
    availability: Availability,
    version: String,
}

fn check_uss(uss: &str) -> Result<(), DssError> {
    if uss.is_empty() || uss.len() > 256 || uss.contains('\0') {
        return Err(DssError::BadRequest(
            "uss_id must be 1 to 256 bytes of text".into(),
        ));
    }
    Ok(())
}

/// The availability of `uss` as stored (Unknown, version `""`, when never set).
pub(crate) fn read(view: &dyn View, uss: &str) -> Result<AvailabilityStatus, StoreError> {
    let record: Option<AvailabilityRecord> = records::get(view, AVAILABILITY_DOCUMENT, uss)?;
    Ok(record.map_or_else(
        || AvailabilityStatus {
            uss: uss.to_owned(),
            availability: Availability::Unknown,
            version: String::new(),
        },
        |r| AvailabilityStatus {
            uss: uss.to_owned(),
            availability: r.availability,
            version: r.version,
        },
    ))
}

/// An archived report: what was received, from whom, when.
#[derive(Serialize)]
struct ReportRecord<'a> {
    reporter: &'a str,
    received_at: DateTime<Utc>,
    report: &'a serde_json::Value,
}

impl<S: Store> Service<S> {
    /// A USS's availability.
    ///
    /// # Errors
    /// [`DssError::BadRequest`], [`DssError::MissingScope`].
    pub fn dss_get_availability(
        &self,
        caller: &Caller,
        uss: &str,
    ) -> Result<AvailabilityStatus, DssError> {
        require_any(caller, &AVAILABILITY_READ_SCOPES)?;
        check_uss(uss)?;
        Ok(self.store.read(&mut |v| read(v, uss))?)
    }

    /// Sets a USS's availability, compare-and-swap on its version (`""` the first time).
    ///
    /// # Errors
    /// [`DssError::Conflict`] when `old_version` is not the current version,
    /// [`DssError::BadRequest`], [`DssError::MissingScope`].
    pub fn dss_set_availability(
        &self,
        caller: &Caller,
        uss: &str,
        old_version: &str,
        availability: Availability,
    ) -> Result<AvailabilityStatus, DssError> {
        require_any(caller, &AVAILABILITY_WRITE_SCOPES)?;
        check_uss(uss)?;
        let version = self.ovns.next().0;
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = read(&*tx, uss)?;
            if current.version != old_version {
                return Err(DssError::Conflict(format!(
                    "the availability of USS {uss} is at version {:?}, not {old_version:?}",
                    current.version
                )));
            }
            let record = AvailabilityRecord {
                availability,
                version: version.clone(),
            };
            records::put(tx, AVAILABILITY_DOCUMENT, uss, &record)?;
            Ok(AvailabilityStatus {
                uss: uss.to_owned(),
                availability,
                version: version.clone(),
            })
        })
    }

    /// Archives a report of a communication problem (F3548 `POST /dss/v1/reports`): it must be
    /// an object with an `exchange` object; it is kept as received, with its reporter and time,
    /// under a new id, which is returned.
    ///
    /// # Errors
    /// [`DssError::BadRequest`], [`DssError::MissingScope`].
    pub fn dss_make_report(
        &self,
        caller: &Caller,
        report: &serde_json::Value,
    ) -> Result<String, DssError> {
        require_any(caller, &REPORT_SCOPES)?;
        if !report
            .get("exchange")
            .is_some_and(serde_json::Value::is_object)
        {
            return Err(DssError::BadRequest(
                "a report must be an object with an `exchange` object".into(),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let record = ReportRecord {
            reporter: caller.party.as_str(),
            received_at: self.clock.now(),
            report,
        };
        let body =
            serde_json::to_vec(&record).map_err(|e| records::corrupt(REPORT_DOCUMENT, &id, e))?;
        self.transact(caller.party.as_str(), &mut |tx| {
            tx.put_document(REPORT_DOCUMENT, &id, body.clone())?;
            Ok::<_, DssError>(())
        })?;
        Ok(id)
    }
}
