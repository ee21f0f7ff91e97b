//! The audit log's pure parts: the entry, its canonical form, its hash and signature, and the
//! check of a chain. The service appends entries inside the transaction of each change; the CLI
//! exports and verifies them; no I/O here.
//!
//! # An entry
//! Each [`AuditEntry`] records one change of state (`action` on `subject`, by `actor`, at `at`)
//! with a small `detail` — never geometry: every party may read the log — and carries
//! `prev_hash`, the hash of the entry before it ([`GENESIS_HASH`], 64 zeros, for entry 1). Its
//! `hash` is the hex SHA-256 of its canonical form, and its `signature` the base64 Ed25519
//! signature, by the server's key, of the 32 bytes of that hash.
//!
//! # The canonical form
//! The compact JSON (no whitespace) that `serde_json` writes for the object
//! `{"seq","at","actor","action","subject","detail","prev_hash"}` in exactly that field order
//! ([`AuditEntry::canonical_bytes`]): `seq` a number; `at` RFC 3339 in UTC as chrono writes it
//! (`Z`, and 0, 3, 6 or 9 fraction digits); strings with serde_json's escaping; `detail` with
//! the keys of every object sorted bytewise (whatever order the entry's JSON had them in).
//! Entries carry no floating-point numbers. `hash` and `signature` are not part of it.
//!
//! # Verification
//! [`ChainVerifier`] (and [`verify_chain`]) checks, for each entry in turn: that `seq` is one more
//! than the previous (1 first), that `hash` is the hash of the entry's canonical form, that
//! `prev_hash` is the previous entry's `hash`, and that `signature` is the canonical base64 of a
//! valid (strict) Ed25519 signature of the hash by the given key. The first failure is an
//! [`AuditBreak`] naming the entry. A change to any field of an entry therefore breaks that very
//! entry (its hash no longer matches, or its signature no longer verifies); the chain makes
//! removing, inserting or reordering entries visible at the first entry out of place, and the
//! signature makes rewriting the whole tail impossible without the server's key. Truncating
//! the tail is visible only against a head known from elsewhere (the head a verifier last
//! printed, say).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The `prev_hash` of entry 1: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit log (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Its position, from 1.
    pub seq: u64,
    /// When the change was made (the transaction's time).
    pub at: DateTime<Utc>,
    /// Who made it: a party id, or `system`.
    pub actor: String,
    /// What was done: `entity.put`, `entity.delete`, `subscription.put`, `subscription.delete`,
    /// `party.put`, `notification`, `notification.ack`, `document.put`, `document.delete`.
    pub action: String,
    /// The id of what changed.
    pub subject: String,
    /// A small summary of the change (never geometry).
    pub detail: serde_json::Value,
    /// The hash of the previous entry ([`GENESIS_HASH`] for entry 1).
    pub prev_hash: String,
    /// Hex SHA-256 of the canonical form.
    pub hash: String,
    /// Base64 Ed25519 signature of the 32 bytes of `hash`.
    pub signature: String,
}

/// The canonical form: the entry without `hash` and `signature`, fields in this order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    at: &'a DateTime<Utc>,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    detail: &'a serde_json::Value,
    prev_hash: &'a str,
}

/// `v` with the keys of every object sorted bytewise (serde_json's map keeps insertion order
/// when its `preserve_order` feature is on, which another crate of a build may turn on; sorting
/// makes the form the same either way).
fn sorted(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), sorted(x));
                }
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// What an entry records, before it is chained and signed.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Who.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Summary.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// The entry `seq` recording `record` at `at` after the entry whose hash is `prev_hash`,
    /// hashed and signed with `key`.
    pub fn signed(
        seq: u64,
        at: DateTime<Utc>,
        record: AuditRecord,
        prev_hash: String,
        key: &SigningKey,
    ) -> Self {
        let mut entry = Self {
            seq,
            at,
            actor: record.actor,
            action: record.action,
            subject: record.subject,
            detail: sorted(&record.detail),
            prev_hash,
            hash: String::new(),
            signature: String::new(),
        };
        let digest = entry.digest();
        entry.hash = hex::encode(digest);
        entry.signature = BASE64.encode(key.sign(&digest).to_bytes());
        entry
    }

    /// The canonical form (see the [module docs](self)).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let detail = sorted(&self.detail);
        let c = Canonical {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            detail: &detail,
            prev_hash: &self.prev_hash,
        };
        // Serializing these types to a Vec cannot fail (string keys, no floats that could be
        // non-finite); an empty form would only make the hash check fail.
        serde_json::to_vec(&c).unwrap_or_default()
    }

    fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// The hex SHA-256 of the canonical form: what `hash` must be.
    pub fn compute_hash(&self) -> String {
        hex::encode(self.digest())
    }
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("broken at entry {seq}: {reason}")]
pub struct AuditBreak {
    /// The first entry that fails (for an entry out of place, the position it should have had).
    pub seq: u64,
    /// Why.
    pub reason: String,
}

/// Checks a chain one entry at a time (see the [module docs](self)), so that a reader of a
/// file can name the line as well.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    key: VerifyingKey,
    count: u64,
    head: String,
}

impl ChainVerifier {
    /// A verifier of a chain from entry 1, signed by `key`.
    pub fn new(key: VerifyingKey) -> Self {
        Self {
            key,
            count: 0,
            head: GENESIS_HASH.to_owned(),
        }
    }

    /// The seq the next entry must have.
    pub fn next_seq(&self) -> u64 {
        self.count + 1
    }

    /// Entries checked so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The hash of the last entry checked ([`GENESIS_HASH`] before any).
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Checks the next entry.
    ///
    /// # Errors
    /// [`AuditBreak`] naming the entry (by the seq it should have) and the reason.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), AuditBreak> {
        let expected = self.next_seq();
        let fail = |reason: String| AuditBreak {
            seq: expected,
            reason,
        };
        if e.seq != expected {
            return Err(fail(format!("its seq is {}, expected {expected}", e.seq)));
        }
        let digest = e.digest();
        if e.hash != hex::encode(digest) {
            return Err(fail(
                "its hash does not match its content (the entry was altered)".into(),
            ));
        }
        if e.prev_hash != self.head {
            return Err(fail(format!(
                "its prev_hash is not the hash of entry {} (an entry is missing, added or \
                 reordered)",
                self.count
            )));
        }
        let sig = BASE64
            .decode(&e.signature)
            .ok()
            .filter(|b| BASE64.encode(b) == e.signature)
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or_else(|| fail("its signature is not a base64 Ed25519 signature".into()))?;
        self.key
            .verify_strict(&digest, &sig)
            .map_err(|_| fail("its signature is not the server key's signature".into()))?;
        self.count = expected;
        self.head.clone_from(&e.hash);
        Ok(())
    }
}

/// Checks a whole chain from entry 1: seq continuity, linkage, hashes and signatures.
///
/// # Errors
/// [`AuditBreak`] naming the first broken entry.
pub fn verify_chain(
    entries: impl IntoIterator<Item = AuditEntry>,
    key: &VerifyingKey,
) -> Result<u64, AuditBreak> {
    let mut v = ChainVerifier::new(*key);
    for e in entries {
        v.push(&e)?;
    }
    Ok(v.count())
}

/// A key file that cannot be read as what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

/// The signing key of a PKCS#8 PEM private key.
///
/// # Errors
/// Not a PKCS#8 PEM Ed25519 private key.
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem)
        .map_err(|e| KeyError(format!("not a PKCS#8 PEM Ed25519 private key ({e})")))
}

/// A signing key as PKCS#8 PEM.
///
/// # Errors
/// Encoding failed (not expected).
pub fn signing_key_to_pem(key: &SigningKey) -> Result<String, KeyError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| KeyError(format!("cannot encode the key ({e})")))
}

/// A public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
///
/// # Errors
/// Encoding failed (not expected).
pub fn public_key_to_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError(format!("cannot encode the public key ({e})")))
}

/// The public key of SPKI PEM, or of a PKCS#8 PEM private key (so that a verifier can be given
/// either file).
///
/// # Errors
/// Neither.
pub fn public_key_from_pem(pem: &str) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_public_key_pem(pem)
        .or_else(|_| signing_key_from_pem(pem).map(|k| k.verifying_key()))
        .map_err(|_| KeyError("not a PEM Ed25519 public key (nor a private key)".into()))
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
