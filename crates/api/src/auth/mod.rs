//! Authentication of API callers by bearer JWTs: the settings ([`AuthConfig`]),
//! the authenticated caller ([`Principal`]), the errors shown to clients
//! ([`AuthError`]) and to operators ([`AuthSetupError`]), the token
//! [`Verifier`], and the development-only signing key [`DevKey`].
//!
//! Only RS256 and ES256 tokens are accepted. Every token must carry `exp`,
//! `aud` (equal to, or an array containing, the configured audience) and a
//! non-empty `sub`; `nbf` is checked when present. Scopes come from the
//! space-separated `scope` claim and from an `scp` claim (array or string).

mod dev_key;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use dev_key::DevKey;
pub use verify::Verifier;

/// Authentication settings, merged by the CLI from flags, environment and TOML
/// and handed to [`Verifier::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// The audience this service answers to: a token's `aud` must equal it, or
    /// be an array that contains it.
    pub audience: String,
    /// PEM files, one public key each: an RSA public key (SPKI `PUBLIC KEY` or
    /// PKCS#1 `RSA PUBLIC KEY`), an EC P-256 SPKI public key, or an X.509
    /// `CERTIFICATE` whose public key is one of those (only the key is used: the
    /// certificate's validity period and chain are not checked).
    #[serde(default)]
    pub public_key_files: Vec<PathBuf>,
    /// A JWKS JSON file (`{"keys":[...]}`) with RSA keys and EC P-256 keys. Keys
    /// the verifier cannot use for RS256/ES256 signatures (encryption keys,
    /// symmetric keys, other curves and algorithms) are skipped and reported by
    /// [`Verifier::setup_warnings`].
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Clock skew, in seconds, allowed when checking `exp` and `nbf`; at most
    /// [`AuthConfig::MAX_LEEWAY_S`].
    #[serde(default = "default_leeway_s")]
    pub leeway_s: u64,
}

impl AuthConfig {
    /// The default clock-skew allowance for `exp` and `nbf`, in seconds.
    pub const DEFAULT_LEEWAY_S: u64 = 30;
    /// The largest clock-skew allowance [`Verifier::new`] accepts, in seconds.
    pub const MAX_LEEWAY_S: u64 = 3600;
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            audience: String::new(),
            public_key_files: Vec::new(),
            jwks_file: None,
            leeway_s: AuthConfig::DEFAULT_LEEWAY_S,
        }
    }
}

fn default_leeway_s() -> u64 {
    AuthConfig::DEFAULT_LEEWAY_S
}

/// The authenticated caller of a request, taken from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub` claim (never empty): the party making the request.
    pub subject: String,
    /// The scopes granted: the `scope` claim split on spaces, together with the
    /// entries of an `scp` claim when present.
    pub scopes: BTreeSet<String>,
    /// The token's `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
    /// The token's `nbf`, if it has one.
    pub not_before: Option<i64>,
}

impl Principal {
    /// Whether the token granted scope `scope` (exact, case-sensitive match).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

/// Why a request's credentials were refused. The `Display` text is meant for
/// the client (a 401 problem body): it says what is wrong without echoing the
/// token or anything about the configured keys.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum AuthError {
    /// No `Authorization` header, or an empty one.
    #[error("missing credentials: send the header `Authorization: Bearer <token>`")]
    Missing,
    /// The `Authorization` header uses a scheme other than `Bearer`.
    #[error("unsupported authorization scheme: send the header `Authorization: Bearer <token>`")]
    WrongScheme,
    /// The header or token is not well-formed; the text says which part.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The token's `alg` is not RS256 or ES256 (`none` and HMAC are never accepted).
    #[error("token algorithm `{0}` is not accepted; only RS256 and ES256 are")]
    UnsupportedAlgorithm(String),
    /// No configured key matches the token's `kid` and algorithm.
    #[error("token was signed with a key this service does not trust")]
    UnknownKey,
    /// The signature does not verify with any candidate key.
    #[error("token signature is invalid")]
    BadSignature,
    /// The token's `exp` has passed (beyond the allowed clock skew).
    #[error("token has expired")]
    Expired,
    /// The token's `nbf` is in the future (beyond the allowed clock skew).
    #[error("token is not valid yet (`nbf` is in the future)")]
    NotYetValid,
    /// The token has no `exp` claim, or one that is not a number.
    #[error("token has no valid expiry (`exp` claim missing or not a number)")]
    MissingExpiry,
    /// The token's `aud` is missing, not a string or array of strings, or does
    /// not name this service.
    #[error("token is not intended for this service (`aud` claim missing or wrong)")]
    WrongAudience,
    /// The token's `sub` is missing or empty.
    #[error("token has no subject (`sub` claim missing or empty)")]
    MissingSubject,
}

impl AuthError {
    /// The RFC 6750 `error` code to put in a `WWW-Authenticate: Bearer` response
    /// header: `None` when the request carried no bearer token at all (the
    /// header should then carry no error code), `invalid_token` otherwise.
    pub fn bearer_error_code(&self) -> Option<&'static str> {
        match self {
            AuthError::Missing | AuthError::WrongScheme => None,
            _ => Some("invalid_token"),
        }
    }
}

/// Why authentication could not be set up (bad settings or key files), or why
/// a development key could not be created or used. Meant for operators: names
/// the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// The configured audience is empty.
    #[error("auth audience is empty: set the audience that tokens must carry in their `aud` claim")]
    EmptyAudience,
    /// Neither public key files nor a JWKS file were configured.
    #[error(
        "no token verification keys configured: give at least one public key file or a JWKS file"
    )]
    NoKeys,
    /// A setting or argument is out of range; the text says which.
    #[error("{0}")]
    InvalidSetting(String),
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file or directory could not be written or created.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key file does not hold a usable key.
    #[error("key file {}: {reason}", .path.display())]
    InvalidKey {
        /// The file (or `(in-memory PEM #N)` for keys given to [`Verifier::with_keys`]).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A JWKS file is not valid or holds no usable key.
    #[error("JWKS file {}: {reason}", .path.display())]
    InvalidJwks {
        /// The file (or `(in-memory JWKS)` for [`Verifier::with_keys`]).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The `jsonwebtoken` crate was built without exactly one crypto backend.
    #[error(
        "no JWT crypto backend: build `jsonwebtoken` with exactly one of its `rust_crypto` or `aws_lc_rs` features"
    )]
    NoCryptoBackend,
    /// A development key could not be generated, encoded or used to sign.
    #[error("development key: {0}")]
    DevKey(String),
}
