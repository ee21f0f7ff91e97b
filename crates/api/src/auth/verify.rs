//! Token verification: loads the trusted public keys (PEM files and a JWKS
//! file) into a [`Verifier`], and checks bearer JWTs against them (algorithm,
//! key, signature, `exp`/`nbf`/`aud`/`sub`), producing a [`Principal`].

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE_NO_PAD, URL_SAFE_NO_PAD_INDIFFERENT};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::sec1::ToSec1Point as _;
use p256::pkcs8::DecodePublicKey as _;
use p256::pkcs8::der::{Decode as _, Encode as _};
use p256::pkcs8::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::traits::PublicKeyParts as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{AuthConfig, AuthError, AuthSetupError, Principal};

/// Longest token accepted, in bytes; longer ones are refused unparsed.
const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The two signature algorithms this service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyAlg {
    Rs256,
    Es256,
}

impl KeyAlg {
    fn name(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::Es256 => "ES256",
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::Es256 => Algorithm::ES256,
        }
    }
}

/// One trusted public key.
#[derive(Debug, Clone)]
struct TrustedKey {
    alg: KeyAlg,
    /// The `kid` given by a JWKS entry, if any.
    kid: Option<String>,
    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): every key also answers
    /// to this as a `kid`, which is what [`super::DevKey`] puts in its tokens.
    thumbprint: String,
    /// Where the key came from, for [`Verifier::key_summaries`].
    source: String,
    key: DecodingKey,
}

impl TrustedKey {
    fn answers_to(&self, kid: &str) -> bool {
        self.kid.as_deref() == Some(kid) || self.thumbprint == kid
    }
}

/// Checks bearer JWTs against a fixed set of trusted public keys.
///
/// Build it once at startup ([`Verifier::new`]) and share it (it is `Clone`,
/// `Send` and `Sync`); [`Verifier::verify_header`] is then called per request.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Vec<TrustedKey>,
    rs256: Validation,
    es256: Validation,
    warnings: Vec<String>,
    leeway_s: u64,
    /// Tokens already verified, by the SHA-256 of their text: a signature check costs 70 µs
    /// (RS256) to 210 µs (ES256), most of a request, and a client sends the same token many
    /// times. A hit still checks `exp` and `nbf` against the clock; the cache is bounded and
    /// emptied when full.
    verified: Arc<Mutex<HashMap<[u8; 32], Principal>>>,
}

/// Most tokens remembered by [`Verifier`].
const VERIFIED_CACHE: usize = 10_000;

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Verifier {
    /// Loads the keys named in `config`.
    ///
    /// Fails, naming the file and the problem, when the audience is empty, no
    /// key source is configured, the leeway is above
    /// [`AuthConfig::MAX_LEEWAY_S`], a file cannot be read, a PEM file does not
    /// hold exactly one supported public key (RSA of at least 2048 bits, or EC
    /// P-256), or the JWKS file is invalid or holds no usable key.
    pub fn new(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        check_settings(&config.audience, config.leeway_s)?;
        if config.public_key_files.is_empty() && config.jwks_file.is_none() {
            return Err(AuthSetupError::NoKeys);
        }
        let mut pems = Vec::with_capacity(config.public_key_files.len());
        for path in &config.public_key_files {
            let text = read_text(path).map_err(|e| match e {
                ReadError::Io(source) => AuthSetupError::Read {
                    path: path.clone(),
                    source,
                },
                ReadError::NotText => AuthSetupError::InvalidKey {
                    path: path.clone(),
                    reason: "not a text file; expected a PEM public key".to_owned(),
                },
            })?;
            pems.push((path.clone(), text));
        }
        let jwks = match &config.jwks_file {
            None => None,
            Some(path) => {
                let text = read_text(path).map_err(|e| match e {
                    ReadError::Io(source) => AuthSetupError::Read {
                        path: path.clone(),
                        source,
                    },
                    ReadError::NotText => AuthSetupError::InvalidJwks {
                        path: path.clone(),
                        reason: "not a text file; expected JWKS JSON".to_owned(),
                    },
                })?;
                Some((path.clone(), text))
            }
        };
        Self::build(&config.audience, config.leeway_s, pems, jwks)
    }

    /// Builds a verifier from keys held in memory rather than files: PEM texts
    /// (same formats as [`AuthConfig::public_key_files`]) and an optional JWKS
    /// JSON text. Errors name the PEM as `(in-memory PEM #N)`, counting from 1.
    pub fn with_keys(
        audience: &str,
        leeway_s: u64,
        public_key_pems: &[&str],
        jwks_json: Option<&str>,
    ) -> Result<Self, AuthSetupError> {
        check_settings(audience, leeway_s)?;
        let pems = public_key_pems
            .iter()
            .enumerate()
            .map(|(i, pem)| {
                (
                    PathBuf::from(format!("(in-memory PEM #{})", i + 1)),
                    (*pem).to_owned(),
                )
            })
            .collect();
        let jwks = jwks_json.map(|j| (PathBuf::from("(in-memory JWKS)"), j.to_owned()));
        Self::build(audience, leeway_s, pems, jwks)
    }

    fn build(
        audience: &str,
        leeway_s: u64,
        pems: Vec<(PathBuf, String)>,
        jwks: Option<(PathBuf, String)>,
    ) -> Result<Self, AuthSetupError> {
        if CryptoProvider::try_get_default().is_none() {
            return Err(AuthSetupError::NoCryptoBackend);
        }
        let mut keys = Vec::new();
        let mut warnings = Vec::new();
        for (path, text) in pems {
            let key = key_from_pem(&text, path.display().to_string())
                .map_err(|reason| AuthSetupError::InvalidKey { path, reason })?;
            keys.push(key);
        }
        if let Some((path, text)) = jwks {
            let (jwks_keys, skipped) = keys_from_jwks(&text, &path.display().to_string())
                .map_err(|reason| AuthSetupError::InvalidJwks { path, reason })?;
            keys.extend(jwks_keys);
            warnings.extend(skipped);
        }
        if keys.is_empty() {
            return Err(AuthSetupError::NoKeys);
        }
        Ok(Self {
            keys,
            rs256: validation(KeyAlg::Rs256, audience, leeway_s),
            es256: validation(KeyAlg::Es256, audience, leeway_s),
            leeway_s,
            verified: Arc::new(Mutex::new(HashMap::new())),
            warnings,
        })
    }

    /// One line per trusted key — algorithm, identifiers and origin — for
    /// logging at startup. Contains no secrets.
    pub fn key_summaries(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| match &k.kid {
                Some(kid) => format!(
                    "{} kid={kid} thumbprint={} from {}",
                    k.alg.name(),
                    k.thumbprint,
                    k.source
                ),
                None => format!(
                    "{} thumbprint={} from {}",
                    k.alg.name(),
                    k.thumbprint,
                    k.source
                ),
            })
            .collect()
    }

    /// JWKS entries skipped at setup (e.g. encryption keys, HMAC secrets, other
    /// algorithms or curves), one line each with the reason, for logging.
    pub fn setup_warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Verifies a raw JWT (the part after `Bearer `) and returns its caller.
    ///
    /// Order of checks: shape and header, then the algorithm (only RS256 and
    /// ES256; refused before any key lookup), then the key (the one whose `kid`
    /// or thumbprint equals the token's `kid` and whose algorithm matches; with
    /// no `kid`, every key of that algorithm is tried), then the signature,
    /// then `exp` (required), `nbf` (if present), `aud` (required), `sub`.
    pub fn verify(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        let token = bearer_token.trim();
        if token.is_empty() {
            return Err(malformed("the token is empty"));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("the token is too long"));
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(p) = self.cached(&digest) {
            return p;
        }
        let principal = self.verify_uncached(token)?;
        let mut cache = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= VERIFIED_CACHE {
            cache.clear();
        }
        cache.insert(digest, principal.clone());
        Ok(principal)
    }

    /// A cached verification of the token with this digest, its times checked again now.
    fn cached(&self, digest: &[u8; 32]) -> Option<Result<Principal, AuthError>> {
        let p = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .cloned()?;
        let (now, leeway) = (now_s(), i64::try_from(self.leeway_s).unwrap_or(0));
        if now - leeway >= p.expires_at {
            return Some(Err(AuthError::Expired));
        }
        if p.not_before.is_some_and(|nbf| now + leeway < nbf) {
            return Some(Err(AuthError::NotYetValid));
        }
        Some(Ok(p))
    }

    fn verify_uncached(&self, token: &str) -> Result<Principal, AuthError> {
        let header = parse_header(token)?;
        let validation = match header.alg {
            KeyAlg::Rs256 => &self.rs256,
            KeyAlg::Es256 => &self.es256,
        };
        let mut candidates = self
            .keys
            .iter()
            .filter(|k| k.alg == header.alg)
            .filter(|k| header.kid.as_deref().is_none_or(|kid| k.answers_to(kid)))
            .peekable();
        if candidates.peek().is_none() {
            return Err(AuthError::UnknownKey);
        }
        for candidate in candidates {
            match jsonwebtoken::decode::<Value>(token, &candidate.key, validation) {
                Ok(data) => return principal_from_claims(data.claims),
                Err(err) => match classify(err.kind()) {
                    Outcome::TryNextKey => continue,
                    Outcome::Refuse(e) => return Err(e),
                },
            }
        }
        Err(AuthError::BadSignature)
    }

    /// Verifies the value of an HTTP `Authorization` header: `Bearer <token>`,
    /// the scheme matched case-insensitively. `None` (or a blank value) gives
    /// [`AuthError::Missing`], another scheme [`AuthError::WrongScheme`].
    pub fn verify_header(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let Some(value) = authorization else {
            return Err(AuthError::Missing);
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(AuthError::Missing);
        }
        let (scheme, token) = match value.split_once([' ', '\t']) {
            Some((scheme, rest)) => (scheme, rest.trim()),
            None => (value, ""),
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::WrongScheme);
        }
        if token.is_empty() {
            return Err(malformed("no token after `Bearer`"));
        }
        if token.contains(char::is_whitespace) {
            return Err(malformed("the bearer token must not contain spaces"));
        }
        self.verify(token)
    }
}

fn check_settings(audience: &str, leeway_s: u64) -> Result<(), AuthSetupError> {
    if audience.trim().is_empty() {
        return Err(AuthSetupError::EmptyAudience);
    }
    if leeway_s > AuthConfig::MAX_LEEWAY_S {
        return Err(AuthSetupError::InvalidSetting(format!(
            "auth leeway of {leeway_s} s is too large; at most {} s of clock skew is allowed",
            AuthConfig::MAX_LEEWAY_S
        )));
    }
    Ok(())
}

fn validation(alg: KeyAlg, audience: &str, leeway_s: u64) -> Validation {
    let mut v = Validation::new(alg.jwt());
    v.leeway = leeway_s;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "aud"]);
    v
}

enum ReadError {
    Io(std::io::Error),
    NotText,
}

fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotText)
}

fn malformed(what: &str) -> AuthError {
    AuthError::Malformed(what.to_owned())
}

// ---------------------------------------------------------------------------
// Tokens

struct TokenHeader {
    alg: KeyAlg,
    kid: Option<String>,
}

/// Reads the JOSE header ourselves, so that `none`, HMAC and every other
/// algorithm are refused by name before any key is looked at.
fn parse_header(token: &str) -> Result<TokenHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "not a JWT (expected three dot-separated base64url parts)",
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| malformed("the token header is not base64url"))?;
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(malformed("the token header is not a JSON object"));
    };
    let alg = match fields.get("alg") {
        Some(Value::String(alg)) => alg,
        Some(_) => return Err(malformed("the token header's `alg` is not a string")),
        None => return Err(malformed("the token header has no `alg`")),
    };
    let alg = match alg.as_str() {
        "RS256" => KeyAlg::Rs256,
        "ES256" => KeyAlg::Es256,
        other => return Err(AuthError::UnsupportedAlgorithm(printable_alg(other))),
    };
    if fields.contains_key("crit") {
        return Err(malformed(
            "critical header extensions (`crit`) are not supported",
        ));
    }
    let kid = match fields.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(malformed("the token header's `kid` is not a string")),
    };
    Ok(TokenHeader { alg, kid })
}

/// The client's `alg`, safe to echo back: short and plain, or a placeholder.
fn printable_alg(alg: &str) -> String {
    let plain = !alg.is_empty()
        && alg.len() <= 16
        && alg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.'));
    if plain {
        alg.to_owned()
    } else {
        "(unrecognised)".to_owned()
    }
}

enum Outcome {
    /// The signature did not verify with this key; another may match.
    TryNextKey,
    /// The token is refused whatever the key.
    Refuse(AuthError),
}

fn classify(kind: &ErrorKind) -> Outcome {
    let refuse = match kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => AuthError::MissingExpiry,
            "aud" => AuthError::WrongAudience,
            _ => malformed("a required claim is missing"),
        },
        ErrorKind::InvalidClaimFormat(claim) => match claim.as_str() {
            "exp" => malformed("the `exp` claim is not a number"),
            "nbf" => malformed("the `nbf` claim is not a number"),
            "aud" => malformed("the `aud` claim is not a string or array of strings"),
            _ => malformed("a claim has the wrong type"),
        },
        ErrorKind::Base64(_) => malformed("a token part is not base64url"),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            malformed("the token header or claims are not valid JSON")
        }
        // Shape errors, and header parameters `jsonwebtoken` refuses (`b64`).
        ErrorKind::InvalidToken => malformed("the token is not a well-formed JWT"),
        // InvalidSignature, and key or provider trouble with this one key (the
        // keys are checked at setup, so this should not happen): try the next.
        _ => return Outcome::TryNextKey,
    };
    Outcome::Refuse(refuse)
}

fn principal_from_claims(claims: Value) -> Result<Principal, AuthError> {
    let Value::Object(claims) = claims else {
        return Err(malformed("the token claims are not a JSON object"));
    };
    let subject = match claims.get("sub") {
        None | Some(Value::Null) => return Err(AuthError::MissingSubject),
        Some(Value::String(sub)) => sub,
        Some(_) => return Err(malformed("the `sub` claim is not a string")),
    };
    if subject.trim().is_empty() {
        return Err(AuthError::MissingSubject);
    }
    if subject.chars().any(char::is_control) {
        return Err(malformed("the `sub` claim contains control characters"));
    }
    let mut scopes = BTreeSet::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(list)) => add_scopes(&mut scopes, list),
            Some(Value::Array(items)) => {
                for item in items {
                    let Value::String(list) = item else {
                        return Err(AuthError::Malformed(format!(
                            "the `{name}` claim holds a value that is not a string"
                        )));
                    };
                    add_scopes(&mut scopes, list);
                }
            }
            Some(_) => {
                return Err(AuthError::Malformed(format!(
                    "the `{name}` claim is not a string or array of strings"
                )));
            }
        }
    }
    // `exp` was validated as present and numeric by jsonwebtoken; `nbf` only when present.
    let expires_at = claims
        .get("exp")
        .and_then(Value::as_f64)
        .ok_or(AuthError::MissingExpiry)? as i64;
    let not_before = claims.get("nbf").and_then(Value::as_f64).map(|n| n as i64);
    Ok(Principal {
        subject: subject.clone(),
        scopes,
        expires_at,
        not_before,
    })
}

fn add_scopes(scopes: &mut BTreeSet<String>, list: &str) {
    scopes.extend(list.split_whitespace().map(str::to_owned));
}

// ---------------------------------------------------------------------------
// Keys

/// Reads one public key from a PEM text; the error is the reason, without the
/// file name (the caller adds it).
fn key_from_pem(text: &str, source: String) -> Result<TrustedKey, String> {
    let block = single_pem_block(text)?;
    let (label, der) = p256::pkcs8::der::pem::decode_vec(block.as_bytes())
        .map_err(|e| format!("the PEM block is not valid PEM ({e})"))?;
    match label {
        "PUBLIC KEY" => key_from_spki(&der, source),
        "RSA PUBLIC KEY" => {
            let key = rsa::PublicKey::from_pkcs1_der(&der)
                .map_err(|e| format!("not a valid PKCS#1 RSA public key ({e})"))?;
            rsa_key(&key, None, source)
        }
        "CERTIFICATE" => {
            let cert = x509_cert::Certificate::from_der(&der)
                .map_err(|e| format!("not a valid X.509 certificate ({e})"))?;
            let spki = cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .map_err(|e| format!("cannot read the certificate's public key ({e})"))?;
            key_from_spki(&spki, source)
        }
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
            Err(format!(
                "holds a private key (`{label}`); give the verifier only the public key, and keep private keys off the server"
            ))
        }
        other => Err(format!(
            "unsupported PEM type `{other}`; expected `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`"
        )),
    }
}

/// The one PEM block in `text` (text around it, such as comments, is ignored).
fn single_pem_block(text: &str) -> Result<&str, String> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    match text.matches(BEGIN).count() {
        0 => {
            return Err(
                "no PEM block found; expected a `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE` PEM"
                    .to_owned(),
            );
        }
        1 => {}
        n => {
            return Err(format!(
                "holds {n} PEM blocks; put exactly one public key in each file"
            ));
        }
    }
    let start = text.find(BEGIN).unwrap_or(0);
    let rest = &text[start..];
    let end_line = rest
        .find(END)
        .ok_or_else(|| "the PEM block has no `-----END` line".to_owned())?;
    let after_end = &rest[end_line + END.len()..];
    let close = after_end
        .find("-----")
        .ok_or_else(|| "the PEM `-----END` line is not closed".to_owned())?;
    Ok(&rest[..end_line + END.len() + close + "-----".len()])
}

fn key_from_spki(der: &[u8], source: String) -> Result<TrustedKey, String> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| format!("not a valid SubjectPublicKeyInfo public key ({e})"))?;
    let oid = spki.algorithm.oid;
    if oid == OID_RSA_ENCRYPTION {
        let key = rsa::PublicKey::from_public_key_der(der)
            .map_err(|e| format!("not a valid RSA public key ({e})"))?;
        rsa_key(&key, None, source)
    } else if oid == OID_EC_PUBLIC_KEY {
        match spki.algorithm.parameters_oid() {
            Ok(curve) if curve == OID_P256 => {}
            Ok(curve) => {
                return Err(format!(
                    "EC key on curve {curve} is not supported; only P-256 (ES256) is"
                ));
            }
            Err(_) => return Err("EC key without a named curve".to_owned()),
        }
        let key = p256::PublicKey::from_public_key_der(der)
            .map_err(|e| format!("not a valid EC P-256 public key ({e})"))?;
        Ok(ec_key(&key, None, source))
    } else if oid == OID_ED25519 {
        Err("Ed25519 keys are not supported; use RSA (RS256) or EC P-256 (ES256)".to_owned())
    } else {
        Err(format!(
            "key algorithm {oid} is not supported; use RSA (RS256) or EC P-256 (ES256)"
        ))
    }
}

fn rsa_key(
    key: &rsa::PublicKey,
    kid: Option<String>,
    source: String,
) -> Result<TrustedKey, String> {
    let n = key.n_bytes();
    let e = key.e_bytes();
    let bits = key.n().bit_width_vartime() as usize;
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "RSA key of {bits} bits is too small; at least {MIN_RSA_BITS} bits are required"
        ));
    }
    let thumbprint = jwk_thumbprint(&format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(&e),
        URL_SAFE_NO_PAD.encode(&n)
    ));
    Ok(TrustedKey {
        alg: KeyAlg::Rs256,
        kid,
        thumbprint,
        source,
        key: DecodingKey::from_rsa_raw_components(&n, &e),
    })
}

fn ec_key(key: &p256::PublicKey, kid: Option<String>, source: String) -> TrustedKey {
    let point = key.to_sec1_point(false);
    TrustedKey {
        alg: KeyAlg::Es256,
        kid,
        thumbprint: ec_thumbprint(key),
        source,
        // For EC keys `jsonwebtoken` wants the SEC1 point (its `from_ec_der`
        // feeds `VerifyingKey::from_sec1_bytes`), not an SPKI document.
        key: DecodingKey::from_ec_der(point.as_bytes()),
    }
}

/// The RFC 7638 JWK thumbprint of a P-256 public key (SHA-256, base64url):
/// the `kid` that [`super::DevKey`] puts in its tokens.
pub(super) fn ec_thumbprint(key: &p256::PublicKey) -> String {
    let point = key.to_sec1_point(false);
    let (x, y) = match (point.x(), point.y()) {
        (Some(x), Some(y)) => (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y)),
        // Unreachable for a valid public key (never the identity, never
        // compressed here); an empty thumbprint simply matches no `kid`.
        _ => return String::new(),
    };
    jwk_thumbprint(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ))
}

fn jwk_thumbprint(canonical_jwk: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical_jwk.as_bytes()))
}

/// One JWKS entry, every member optional so each problem can be named.
#[derive(Deserialize)]
struct JwkEntry {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

enum JwkOutcome {
    Use(TrustedKey),
    Skip(String),
}

/// The usable keys of a JWKS text and a note per skipped entry; the error is
/// the reason, without the file name.
fn keys_from_jwks(text: &str, source: &str) -> Result<(Vec<TrustedKey>, Vec<String>), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    let entries = match &doc {
        Value::Object(obj) => match obj.get("keys") {
            Some(Value::Array(keys)) => keys.clone(),
            Some(_) => return Err("`keys` is not an array".to_owned()),
            // A bare JWK rather than a set.
            None if obj.contains_key("kty") => vec![doc.clone()],
            None => return Err("not a JWKS: no `keys` array".to_owned()),
        },
        _ => return Err("not a JWKS: the top level is not a JSON object".to_owned()),
    };
    if entries.is_empty() {
        return Err("contains no keys".to_owned());
    }
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let jwk: JwkEntry = serde_json::from_value(entry)
            .map_err(|e| format!("key #{}: not a valid JWK ({e})", i + 1))?;
        let name = match &jwk.kid {
            Some(kid) => format!("key #{} (kid `{kid}`)", i + 1),
            None => format!("key #{}", i + 1),
        };
        match key_from_jwk(&jwk, format!("{source} {name}")) {
            Ok(JwkOutcome::Use(key)) => keys.push(key),
            Ok(JwkOutcome::Skip(why)) => {
                skipped.push(format!("JWKS {source}: skipped {name}: {why}"))
            }
            Err(why) => return Err(format!("{name}: {why}")),
        }
    }
    if keys.is_empty() {
        return Err(format!(
            "contains no usable RS256 or ES256 signature key ({})",
            skipped.join("; ")
        ));
    }
    Ok((keys, skipped))
}

fn key_from_jwk(jwk: &JwkEntry, source: String) -> Result<JwkOutcome, String> {
    if let Some(use_) = jwk.use_.as_deref().filter(|u| *u != "sig") {
        return Ok(JwkOutcome::Skip(format!("`use` is `{use_}`, not `sig`")));
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        return Ok(JwkOutcome::Skip(
            "`key_ops` does not include `verify`".to_owned(),
        ));
    }
    let Some(kty) = jwk.kty.as_deref() else {
        return Err("missing `kty`".to_owned());
    };
    match kty {
        "RSA" => {
            if let Some(alg) = jwk.alg.as_deref().filter(|a| *a != "RS256") {
                return Ok(JwkOutcome::Skip(format!(
                    "`alg` is `{alg}`; only RS256 is accepted for RSA keys"
                )));
            }
            let n = jwk_bytes(jwk.n.as_deref(), "n")?;
            let e = jwk_bytes(jwk.e.as_deref(), "e")?;
            let key = rsa::PublicKey::new(
                rsa::BoxedUint::from_be_slice_vartime(&n),
                rsa::BoxedUint::from_be_slice_vartime(&e),
            )
            .map_err(|err| format!("not a valid RSA public key ({err})"))?;
            rsa_key(&key, jwk.kid.clone(), source).map(JwkOutcome::Use)
        }
        "EC" => {
            match jwk.crv.as_deref() {
                Some("P-256") => {}
                Some(crv) => {
                    return Ok(JwkOutcome::Skip(format!(
                        "curve `{crv}` is not supported; only P-256 (ES256) is"
                    )));
                }
                None => return Err("EC key without `crv`".to_owned()),
            }
            if let Some(alg) = jwk.alg.as_deref().filter(|a| *a != "ES256") {
                return Ok(JwkOutcome::Skip(format!(
                    "`alg` is `{alg}`; only ES256 is accepted for P-256 keys"
                )));
            }
            let x = jwk_bytes(jwk.x.as_deref(), "x")?;
            let y = jwk_bytes(jwk.y.as_deref(), "y")?;
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates `x` and `y` must be 32 bytes each".to_owned());
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(0x04);
            sec1.extend_from_slice(&x);
            sec1.extend_from_slice(&y);
            let key = p256::PublicKey::from_sec1_bytes(&sec1)
                .map_err(|_| "`x`,`y` is not a point on P-256".to_owned())?;
            Ok(JwkOutcome::Use(ec_key(&key, jwk.kid.clone(), source)))
        }
        "oct" => Ok(JwkOutcome::Skip(
            "symmetric (`oct`) keys are never accepted".to_owned(),
        )),
        other => Ok(JwkOutcome::Skip(format!(
            "key type `{other}` is not supported; only RSA and EC P-256 are"
        ))),
    }
}

fn jwk_bytes(value: Option<&str>, member: &str) -> Result<Vec<u8>, String> {
    let value = value.ok_or_else(|| format!("missing `{member}`"))?;
    let bytes = URL_SAFE_NO_PAD_INDIFFERENT
        .decode(value)
        .map_err(|_| format!("`{member}` is not base64url"))?;
    if bytes.is_empty() {
        return Err(format!("`{member}` is empty"));
    }
    Ok(bytes)
}
