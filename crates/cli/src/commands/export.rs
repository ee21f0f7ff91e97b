//! `deconflict export --data DIR`: every live entity of a data directory as a GeoJSON
//! `FeatureCollection` (the shape of [`crate::geojson`]), which `import` and `check` read back.
//! Offline: the server must not be running on the directory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use deconflict_core::{EntityKind, ZoneKind};
use deconflict_store::Store;
use deconflict_store::embedded::EmbeddedStore;

use crate::geojson::collection_of;

/// Writes every live entity of `data`, sorted by id, to `out` (standard output when `None`);
/// a line on standard error says how many. The zones of protected sites notified conflict-only
/// are left out (and counted) unless `include_confidential`.
///
/// # Errors
/// `data` is not a directory or cannot be opened (the server running on it, say), the store
/// fails, or the output cannot be written.
pub fn run(data: &Path, out: Option<&Path>, include_confidential: bool) -> anyhow::Result<()> {
    if !data.is_dir() {
        anyhow::bail!("there is no data directory at {}", data.display());
    }
    let store = EmbeddedStore::open(data)
        .with_context(|| format!("opening the data directory {}", data.display()))?;
    let mut entities = store
        .read(&mut |v| v.entities())
        .context("reading the entities")?;
    let confidential = EntityKind::Zone(ZoneKind::Confidential);
    let withheld = entities.iter().filter(|e| e.kind == confidential).count();
    if !include_confidential {
        entities.retain(|e| e.kind != confidential);
    }
    let collection = collection_of(&entities);
    match out {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            write_collection(file, &collection)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            write_collection(std::io::stdout().lock(), &collection).context("writing the export")?
        }
    }
    writeln!(
        std::io::stderr(),
        "exported {} entities from {}",
        entities.len(),
        data.display()
    )
    .context("writing the summary")?;
    if withheld > 0 && !include_confidential {
        writeln!(
            std::io::stderr(),
            "left out {withheld} protected sites notified conflict-only (their geometry is for \
             their notifier and the service only; --include-confidential writes them)"
        )
        .context("writing the summary")?;
    }
    Ok(())
}

fn write_collection(
    out: impl Write,
    collection: &::geojson::FeatureCollection,
) -> anyhow::Result<()> {
    let mut w = BufWriter::new(out);
    serde_json::to_writer_pretty(&mut w, collection)?;
    writeln!(w)?;
    w.flush()?;
    Ok(())
}
