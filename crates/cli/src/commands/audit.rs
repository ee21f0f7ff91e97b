//! The audit log offline: the server's signing key in the data directory (`audit-key.pem`),
//! `deconflict audit export` (the log as JSON lines) and `deconflict audit verify` (its chain and
//! signatures, from a data directory or an export). The format and the checks are in
//! `docs/audit.md` and `deconflict_core::audit`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use deconflict_core::audit::{self, AuditEntry, ChainVerifier};
use deconflict_core::ed25519_dalek::{SigningKey, VerifyingKey};
use deconflict_service::audit::{ENTRY_KIND, Head, entry_id, read_head};
use deconflict_store::Store;
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::postgres::{PostgresOptions, PostgresStore};
use serde::{Deserialize, Serialize};

use super::{EXIT_FAILED, EXIT_OK};

/// The signing key's file in a data directory.
pub const KEY_FILE: &str = "audit-key.pem";

/// The path of the signing key of `data`.
pub fn key_path(data: &Path) -> PathBuf {
    data.join(KEY_FILE)
}

/// Loads the audit signing key of `data` (PKCS#8 PEM), or, if there is none, makes one from the
/// operating system's CSPRNG and saves it there with mode 0600 (the directory created). Several
/// nodes of one database must be given the same file.
///
/// # Errors
/// The file cannot be read or written, or is not an Ed25519 PKCS#8 PEM key.
pub fn load_or_create_key(data: &Path) -> anyhow::Result<SigningKey> {
    let path = key_path(data);
    match std::fs::read_to_string(&path) {
        Ok(pem) => return parse_key(&pem, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| anyhow::anyhow!("the OS random number generator failed ({e})"))?;
    let key = SigningKey::from_bytes(&secret);
    let pem = audit::signing_key_to_pem(&key)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = match options.open(&path) {
        Ok(file) => file,
        // Another process created it meanwhile: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let pem = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            return parse_key(&pem, &path);
        }
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    if let Err(e) = file
        .write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
    {
        drop(file);
        // Leave no half-written key behind for the next start to choke on.
        let _ = std::fs::remove_file(&path);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(key)
}

fn parse_key(pem: &str, path: &Path) -> anyhow::Result<SigningKey> {
    audit::signing_key_from_pem(pem).with_context(|| format!("reading the key {}", path.display()))
}

/// The first line of an export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    public_key_pem: String,
}

/// Where the log is read from.
pub struct Source<'a> {
    /// The data directory (its key, and the embedded store unless `store`).
    pub data: &'a Path,
    /// A PostgreSQL-compatible store's URL.
    pub store: Option<&'a str>,
}

/// The log's documents as stored, in seq order, and the head.
type Raw = (Vec<(String, Vec<u8>)>, Option<Head>);

fn read_raw<S: Store>(store: &S) -> anyhow::Result<Raw> {
    // The head first: entries appended after it (a PostgreSQL store in use) are left out, so
    // that a running server does not make the log look broken; a log shorter than its head
    // still does.
    let head = store
        .read(&mut |v| read_head(v))
        .context("reading the audit head")?;
    let last = head.as_ref().map(|h| entry_id(h.seq));
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    loop {
        let after = out.last().map(|(id, _)| id.clone());
        let page = store
            .read(&mut |v| v.documents(ENTRY_KIND, after.as_deref(), 1000))
            .context("reading the audit log")?;
        if page.is_empty() {
            break;
        }
        out.extend(page);
    }
    if let Some(last) = &last {
        out.retain(|(id, _)| id <= last);
    }
    Ok((out, head))
}

fn open_raw(src: &Source<'_>) -> anyhow::Result<Raw> {
    match src.store {
        Some(url) => {
            crate::config::check_store_url(url)?;
            let store = PostgresStore::open(url, PostgresOptions::default())
                .context("opening the PostgreSQL store")?;
            read_raw(&store)
        }
        None => {
            if !src.data.is_dir() {
                anyhow::bail!("there is no data directory at {}", src.data.display());
            }
            // Refuses a directory a running server holds, as `export` does.
            let store = EmbeddedStore::open(src.data)
                .with_context(|| format!("opening the data directory {}", src.data.display()))?;
            read_raw(&store)
        }
    }
}

fn public_key_of_data(data: &Path) -> anyhow::Result<VerifyingKey> {
    let path = key_path(data);
    let pem = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading the audit key {} (give --public-key FILE instead)",
            path.display()
        )
    })?;
    Ok(parse_key(&pem, &path)?.verifying_key())
}

fn read_public_key(path: &Path) -> anyhow::Result<VerifyingKey> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    audit::public_key_from_pem(&pem).with_context(|| format!("reading {}", path.display()))
}

/// `deconflict audit export`: a header line `{"public_key_pem": ...}`, then each entry as stored,
/// one per line; a line on standard error says how many.
///
/// # Errors
/// The source cannot be opened or read, or the output written.
pub fn export(src: &Source<'_>, out: Option<&Path>) -> anyhow::Result<()> {
    let key = public_key_of_data(src.data)?;
    let (entries, _) = open_raw(src)?;
    let header = Header {
        public_key_pem: audit::public_key_to_pem(&key)?,
    };
    let write = |w: &mut dyn Write| -> anyhow::Result<()> {
        let mut w = BufWriter::new(w);
        serde_json::to_writer(&mut w, &header)?;
        writeln!(w)?;
        for (_, body) in &entries {
            // Stored entries are compact JSON: one line each. Written as stored, not re-encoded,
            // so that the export shows exactly what the store holds.
            w.write_all(body)?;
            writeln!(w)?;
        }
        w.flush()?;
        Ok(())
    };
    match out {
        Some(path) => {
            let mut file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            write(&mut file).with_context(|| format!("writing {}", path.display()))?;
        }
        None => write(&mut std::io::stdout().lock()).context("writing the export")?,
    }
    writeln!(
        std::io::stderr(),
        "exported {} audit entries",
        entries.len()
    )
    .context("writing the summary")
}

/// What was checked, or where it broke.
enum Verdict {
    Ok { count: u64, head: String },
    Broken { seq: u64, reason: String },
}

fn check_entry(
    v: &mut ChainVerifier,
    body: &[u8],
    stored_id: Option<&str>,
) -> Result<(), (u64, String)> {
    let seq = v.next_seq();
    let entry: AuditEntry = serde_json::from_slice(body)
        .map_err(|e| (seq, format!("it does not read as an audit entry ({e})")))?;
    if let Some(id) = stored_id
        && id != entry_id(entry.seq)
    {
        return Err((
            seq,
            format!("it is stored as {id} but its seq is {}", entry.seq),
        ));
    }
    v.push(&entry).map_err(|b| (b.seq, b.reason))
}

fn verify_stored(src: &Source<'_>, key: VerifyingKey) -> anyhow::Result<Verdict> {
    let (entries, head) = open_raw(src)?;
    let mut v = ChainVerifier::new(key);
    for (id, body) in &entries {
        if let Err((seq, reason)) = check_entry(&mut v, body, Some(id)) {
            return Ok(Verdict::Broken { seq, reason });
        }
    }
    let (head_seq, head_hash) =
        head.map_or((0, audit::GENESIS_HASH.to_owned()), |h| (h.seq, h.hash));
    if head_seq != v.count() || head_hash != v.head() {
        return Ok(Verdict::Broken {
            seq: v.next_seq(),
            reason: format!(
                "the log ends at entry {} but its head names entry {head_seq} (hash {head_hash})",
                v.count()
            ),
        });
    }
    Ok(Verdict::Ok {
        count: v.count(),
        head: v.head().to_owned(),
    })
}

fn verify_file(file: &Path, key: Option<VerifyingKey>) -> anyhow::Result<Verdict> {
    let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut lines = BufReader::new(f).split(b'\n');
    let first = lines
        .next()
        .transpose()
        .with_context(|| format!("reading {}", file.display()))?
        .unwrap_or_default();
    let header: Result<Header, _> = serde_json::from_slice(&first);
    let key = match (key, header) {
        (Some(k), _) => k,
        (None, Ok(h)) => audit::public_key_from_pem(&h.public_key_pem)
            .with_context(|| format!("line 1 of {}: the public key", file.display()))?,
        (None, Err(e)) => anyhow::bail!(
            "line 1 of {} is not an export header ({e}); give --public-key",
            file.display()
        ),
    };
    let mut v = ChainVerifier::new(key);
    for (i, line) in lines.enumerate() {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        if line.is_empty() {
            continue;
        }
        if let Err((seq, reason)) = check_entry(&mut v, &line, None) {
            return Ok(Verdict::Broken {
                seq,
                reason: format!("{reason} (line {} of {})", i + 2, file.display()),
            });
        }
    }
    Ok(Verdict::Ok {
        count: v.count(),
        head: v.head().to_owned(),
    })
}

/// `deconflict audit verify`: prints `ok: N entries, head <hash>` (exit 0) or
/// `broken at entry <seq>: <reason>` (exit 1). The key is `public_key` if given (the safe
/// choice: the key published by the operator), else the data directory's, else the export's
/// header.
///
/// # Errors
/// The source or the key cannot be read (then nothing was verified).
pub fn verify(
    src: Option<&Source<'_>>,
    file: Option<&Path>,
    public_key: Option<&Path>,
) -> anyhow::Result<u8> {
    let given = public_key.map(read_public_key).transpose()?;
    let verdict = match (src, file) {
        (_, Some(file)) => verify_file(file, given)?,
        (Some(src), None) => {
            let key = match given {
                Some(k) => k,
                None => public_key_of_data(src.data)?,
            };
            verify_stored(src, key)?
        }
        (None, None) => anyhow::bail!("give --data DIR (and --store URL) or --file EXPORT"),
    };
    let mut out = std::io::stdout().lock();
    match verdict {
        Verdict::Ok { count, head } => {
            writeln!(out, "ok: {count} entries, head {head}").context("writing the report")?;
            Ok(EXIT_OK)
        }
        Verdict::Broken { seq, reason } => {
            writeln!(out, "broken at entry {seq}: {reason}").context("writing the report")?;
            Ok(EXIT_FAILED)
        }
    }
}
