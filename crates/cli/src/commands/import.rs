//! `deconflict import FILE.geojson --data DIR --party P`: files every feature of a file as an
//! operation or zone of party P, through the service (the same use case the API runs), offline on
//! a data directory.
//!
//! - Nothing half-imported: every feature is validated, and every id looked up in the store,
//!   before anything is written; one invalid feature refuses the whole file.
//! - Features are written in file order, one transaction each. The key of each write holds the
//!   current OVN of every entity its volumes intersect, read just before: the importing party
//!   declares that it has seen the airspace it files into. Its conflicts are recorded and counted
//!   as the API would report them.
//! - A failure while writing stops the import and says how many features were written.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use deconflict_core::{Airspace, EntityKind, Ovn, PartyId, WriteRequest};
use deconflict_service::{
    Caller, PutEntity, RandomOvns, SCOPE_WRITE, Service, ServiceConfig, ServiceError, SystemClock,
};
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::{Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, report_invalid};
use crate::geojson::{self, FeatureEntity, FeatureError, ReadError};

/// From this many features on, a progress bar is drawn on standard error (when it is a terminal).
const PROGRESS_FROM: usize = 500;

/// What to import, and where.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions<'a> {
    /// The GeoJSON file.
    pub file: &'a Path,
    /// The data directory (created if absent; the server must not be running on it).
    pub data: &'a Path,
    /// The party that files every entity.
    pub party: &'a str,
    /// Validate and count conflicts without writing.
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    written: usize,
    /// Conflicts recorded: pairs of intersecting entities, each counted once, when the second
    /// of the two is written.
    conflicts: usize,
}

impl Tally {
    fn conflicts_text(&self) -> String {
        match self.conflicts {
            1 => "1 conflict".to_owned(),
            n => format!("{n} conflicts"),
        }
    }
}

/// Runs the command; returns the exit code: 0 when every feature was filed (or, with
/// `dry_run`, would be), 2 when the file or the party is invalid or an id exists already (nothing
/// written), 1 when a write failed (the report says how many were written before it).
///
/// # Errors
/// The data directory cannot be opened (the server running on it, say), the store fails before
/// writing, or a report cannot be written.
pub fn run(opts: &ImportOptions<'_>) -> anyhow::Result<u8> {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let party = match PartyId::new(opts.party) {
        Ok(party) => party,
        Err(e) => {
            writeln!(stderr, "--party: {}", e.reason())?;
            return Ok(EXIT_INVALID);
        }
    };
    let features = match geojson::read_path(opts.file) {
        Ok(features) => features,
        Err(e) => {
            report_invalid(&mut stderr, opts.file, &e)?;
            writeln!(stderr, "nothing was imported")?;
            return Ok(EXIT_INVALID);
        }
    };
    if opts.dry_run && !opts.data.exists() {
        let tally = simulate(Vec::new(), &features, &party)?;
        writeln!(stdout, "{}", dry_run_summary(opts, &features, &tally))?;
        return Ok(EXIT_OK);
    }
    let store = EmbeddedStore::open(opts.data)
        .with_context(|| format!("opening the data directory {}", opts.data.display()))?;
    let existing = existing_ids(&store, &features, opts.data)?;
    if !existing.is_empty() {
        report_invalid(&mut stderr, opts.file, &ReadError::Features(existing))?;
        writeln!(stderr, "nothing was imported")?;
        return Ok(EXIT_INVALID);
    }
    if opts.dry_run {
        let entities = store.read(&mut |v| v.entities())?;
        let tally = simulate(entities, &features, &party)?;
        writeln!(stdout, "{}", dry_run_summary(opts, &features, &tally))?;
        return Ok(EXIT_OK);
    }
    // Imported entities are changes like any other: logged, signed with the directory's key.
    let key = super::audit::load_or_create_key(opts.data).context("loading the audit key")?;
    let service = Service::new(
        store,
        ServiceConfig {
            audit: Some(std::sync::Arc::new(deconflict_service::AuditSigner::new(
                key,
            ))),
            ..ServiceConfig::default()
        },
        std::sync::Arc::new(SystemClock),
        std::sync::Arc::new(RandomOvns),
    );
    let caller = Caller::new(party, [SCOPE_WRITE]);
    let started = Instant::now();
    let bar = progress_bar(features.len());
    let mut tally = Tally::default();
    for f in &features {
        match file_one(&service, &caller, f) {
            Ok(conflicts) => {
                tally.written += 1;
                tally.conflicts += conflicts;
                bar.inc(1);
            }
            Err(e) => {
                bar.abandon();
                writeln!(stderr, "feature {} (id {:?}): {e}", tally.written, f.label)?;
                writeln!(
                    stderr,
                    "import stopped: {} of {} features were written (the first {} in file \
                     order, recording {}); the rest were not",
                    tally.written,
                    features.len(),
                    tally.written,
                    tally.conflicts_text()
                )?;
                return Ok(EXIT_FAILED);
            }
        }
    }
    bar.finish_and_clear();
    writeln!(
        stdout,
        "imported {} as party {} into {}: {} written, {} recorded ({:.1} s)",
        opts.file.display(),
        caller.party,
        opts.data.display(),
        tally.written,
        tally.conflicts_text(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(EXIT_OK)
}

/// Files one feature with the key of everything it intersects; returns its conflicts.
fn file_one<S: Store>(
    service: &Service<S>,
    caller: &Caller,
    f: &FeatureEntity,
) -> Result<usize, ServiceError> {
    let seen = service.query(caller, &f.volumes)?;
    let outcome = service.put_entity(
        caller,
        PutEntity {
            id: f.id,
            kind: f.kind,
            volumes: f.volumes.clone(),
            expected_ovn: None,
            key: seen.into_iter().map(|v| v.ovn).collect(),
            exemption: None,
        },
    )?;
    Ok(outcome.conflicts.len())
}

/// The features whose id is already in the store, as errors on field `id`.
fn existing_ids(
    store: &EmbeddedStore,
    features: &[FeatureEntity],
    data: &Path,
) -> Result<Vec<FeatureError>, StoreError> {
    store.read(&mut |v| {
        let mut found = Vec::new();
        for (index, f) in features.iter().enumerate() {
            if let Some(e) = v.entity(&f.id)? {
                found.push(FeatureError {
                    index,
                    label: Some(f.label.clone()),
                    field: "id".to_owned(),
                    reason: format!(
                        "entity {} already exists in {} (filed by {}): import files new \
                         entities only",
                        f.id,
                        data.display(),
                        e.owner
                    ),
                });
            }
        }
        Ok(found)
    })
}

/// A dry run: the same writes, keys and conflict counts on an in-memory copy of the airspace.
fn simulate(
    entities: Vec<deconflict_core::Entity>,
    features: &[FeatureEntity],
    party: &PartyId,
) -> anyhow::Result<Tally> {
    let policy = ServiceConfig::default().key_policy;
    let mut airspace = Airspace::from_entities(entities, policy);
    let mut tally = Tally::default();
    for (i, f) in features.iter().enumerate() {
        let key = airspace
            .intersecting(&f.validated)
            .iter()
            .map(|e| e.ovn.clone())
            .collect();
        tally.conflicts += airspace.conflicts_of(&f.validated, Some(f.id)).len();
        let request = WriteRequest {
            id: f.id,
            owner: party.clone(),
            kind: f.kind,
            volumes: f.validated.clone().into(),
            expected_ovn: None,
            key,
        };
        airspace
            .put(request, Ovn(format!("dry-run-{i}")))
            .with_context(|| format!("feature {i} (id {:?})", f.label))?;
        tally.written += 1;
    }
    Ok(tally)
}

fn dry_run_summary(opts: &ImportOptions<'_>, features: &[FeatureEntity], tally: &Tally) -> String {
    let zones = features
        .iter()
        .filter(|f| matches!(f.kind, EntityKind::Zone(_)))
        .count();
    format!(
        "dry run: {} features of {} are valid ({} operations, {zones} zones) and would be filed \
         as party {} into {}, recording {}; nothing was written",
        features.len(),
        opts.file.display(),
        features.len() - zones,
        opts.party,
        opts.data.display(),
        tally.conflicts_text()
    )
}

fn progress_bar(len: usize) -> ProgressBar {
    if len < PROGRESS_FROM {
        return ProgressBar::hidden();
    }
    // Drawn on standard error, and hidden by indicatif when that is not a terminal.
    let bar = ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template(
        "importing [{bar:40}] {pos}/{len} ({elapsed} so far, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
