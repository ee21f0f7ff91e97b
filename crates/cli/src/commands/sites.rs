//! `deconflict sites import|export`: a protected-site list (CSV or GeoJSON) to and from a
//! running server. The file is parsed and checked here first by the server's own parser
//! (`deconflict_api::native::sites_bulk`), so the report names the same line and field the
//! server would; a file with any bad row is not sent. A good file goes in one request, and the
//! server files it all or nothing.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use deconflict_api::native::sites_bulk::{self, Format, RowError};
use deconflict_core::PartyId;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// Exit status of an import refused for row errors (locally or by the server).
pub const EXIT_ROWS: u8 = 1;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1800)))
        .build()
        .into()
}

fn format_of(path: &Path, given: Option<&str>) -> anyhow::Result<Format> {
    match given {
        Some("csv") => Ok(Format::Csv),
        Some("geojson") => Ok(Format::Geojson),
        Some(other) => bail!("--format is csv or geojson, not {other:?}"),
        None => sites_bulk::Format::of_path(&path.to_string_lossy()).with_context(|| {
            format!(
                "{}: say --format csv or --format geojson (the name ends neither in .csv nor \
                 in .geojson/.json)",
                path.display()
            )
        }),
    }
}

fn report(out: &mut dyn Write, file: &Path, errors: &[RowError]) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} row error{}, nothing imported:",
        file.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    )?;
    for e in errors {
        writeln!(out, "{e}")?;
    }
    Ok(())
}

/// Checks `file` and, when every row is good, imports it through the server at `url`.
/// Returns the exit status: 0 imported, [`EXIT_ROWS`] row errors (nothing imported).
///
/// # Errors
/// The file cannot be read, the server cannot be reached or refuses the request as a whole.
pub fn import(file: &Path, url: &str, token: &str, format: Option<&str>) -> anyhow::Result<u8> {
    let format = format_of(file, format)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let started = Instant::now();
    let bar = ProgressBar::new(bytes.len() as u64);
    if let Ok(style) =
        ProgressStyle::with_template("checking [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    // Ids are derived from the real notifier on the server; any party id does for checking.
    let checker = PartyId::new("local-check").context("a party id")?;
    let parsed = sites_bulk::parse(&bytes, format, &checker, &mut |at| bar.set_position(at));
    bar.finish_and_clear();
    let rows = match parsed {
        Ok(rows) => rows.len(),
        Err(errors) => {
            report(&mut std::io::stderr().lock(), file, &errors)?;
            return Ok(EXIT_ROWS);
        }
    };
    let checked = started.elapsed();
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("{rows} sites checked; sending them in one request"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let endpoint = format!("{}/v1/protected-sites/import", url.trim_end_matches('/'));
    let sent = Instant::now();
    let mut resp = agent()
        .post(&endpoint)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", format.content_type())
        .send(&bytes[..])
        .with_context(|| format!("sending to {endpoint}"))?;
    spinner.finish_and_clear();
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match status {
        201 => {
            writeln!(
                std::io::stdout(),
                "imported {} sites ({} new, {} new versions) as batch {}; {} parties notified \
                 (one acknowledgement each); checked in {:.2} s, filed in {:.2} s",
                body["count"],
                body["created"],
                body["updated"],
                body["batch"].as_str().unwrap_or("?"),
                body["notified_parties"],
                checked.as_secs_f64(),
                sent.elapsed().as_secs_f64(),
            )?;
            Ok(0)
        }
        422 if body["errors"].is_array() => {
            let errors: Vec<RowError> =
                serde_json::from_value(body["errors"].clone()).unwrap_or_default();
            report(&mut std::io::stderr().lock(), file, &errors)?;
            Ok(EXIT_ROWS)
        }
        _ => bail!(
            "the server refused the import ({status}): {}",
            body["detail"].as_str().unwrap_or(&text)
        ),
    }
}

/// Writes the sites the caller may see, from the server at `url`, to `out` (standard output
/// without one).
///
/// # Errors
/// The server cannot be reached or refuses; the output cannot be written.
pub fn export(url: &str, token: &str, format: &str, out: Option<&Path>) -> anyhow::Result<()> {
    if !["csv", "geojson"].contains(&format) {
        bail!("--format is csv or geojson, not {format:?}");
    }
    let endpoint = format!(
        "{}/v1/protected-sites/export?format={format}",
        url.trim_end_matches('/')
    );
    let mut resp = agent()
        .get(&endpoint)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .with_context(|| format!("reading {endpoint}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(512 * 1024 * 1024)
        .read_to_string()
        .context("reading the export")?;
    if status != 200 {
        bail!("the server refused the export ({status}): {text}");
    }
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("writing the export"),
    }
}
