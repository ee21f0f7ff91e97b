//! The development signing key ([`DevKey`]): an ES256 (P-256) key pair kept in
//! a local PKCS#8 PEM file, used to mint tokens for demos and tests
//! (`deconflict token --party P --scope S...`). FOR DEVELOPMENT AND TESTS ONLY.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::der::pem::LineEnding;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use serde::Serialize;

use super::AuthSetupError;
use super::verify::ec_thumbprint;

/// The `iss` claim of every token a [`DevKey`] mints, so that development
/// tokens are recognisable in logs.
const DEV_ISSUER: &str = "deconflict-dev";

/// An ES256 (P-256) key pair for **development and tests only**: it mints
/// tokens for demos and test suites. Never use it to authenticate anything that
/// matters — its private key sits in a plain file on the developer's machine.
/// A deployment verifies tokens from a real identity provider instead.
///
/// The service trusts its tokens only if its [`super::Verifier`] is given
/// [`DevKey::public_key_pem`] (e.g. via [`DevKey::write_public_key`] and
/// [`super::AuthConfig::public_key_files`]).
pub struct DevKey {
    encoding_key: EncodingKey,
    public_key_pem: String,
    kid: String,
}

impl fmt::Debug for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevKey")
            .field("kid", &self.kid)
            .field("private_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct DevClaims<'a> {
    iss: &'static str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl DevKey {
    /// Loads the development key from the PKCS#8 PEM private key at `path`, or,
    /// if there is no file there, generates a new key from the operating
    /// system's CSPRNG and saves it there (parent directories created; on Unix
    /// the file is created with mode 0600). For development and tests only.
    pub fn load_or_create(path: &Path) -> Result<Self, AuthSetupError> {
        match std::fs::read_to_string(path) {
            Ok(pem) => Self::from_pkcs8_pem(&pem, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(source) => Err(AuthSetupError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    fn from_pkcs8_pem(pem: &str, path: &Path) -> Result<Self, AuthSetupError> {
        let secret =
            p256::SecretKey::from_pkcs8_pem(pem).map_err(|e| AuthSetupError::InvalidKey {
                path: path.to_path_buf(),
                reason: format!("not a PKCS#8 PEM P-256 private key ({e})"),
            })?;
        Self::from_secret(&secret)
    }

    fn create(path: &Path) -> Result<Self, AuthSetupError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| AuthSetupError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let secret = p256::SecretKey::try_generate().map_err(|e| {
            AuthSetupError::DevKey(format!("the OS random number generator failed ({e})"))
        })?;
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| AuthSetupError::DevKey(format!("cannot encode the new key ({e})")))?;

        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = match options.open(path) {
            Ok(file) => file,
            // Another process created it meanwhile: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let pem = std::fs::read_to_string(path).map_err(|source| AuthSetupError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                return Self::from_pkcs8_pem(&pem, path);
            }
            Err(source) => {
                return Err(AuthSetupError::Write {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if let Err(source) = file
            .write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
        {
            drop(file);
            // Leave no half-written key behind for the next run to choke on.
            let _ = std::fs::remove_file(path);
            return Err(AuthSetupError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
        Self::from_secret(&secret)
    }

    fn from_secret(secret: &p256::SecretKey) -> Result<Self, AuthSetupError> {
        let public = secret.public_key();
        let public_key_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| AuthSetupError::DevKey(format!("cannot encode the public key ({e})")))?;
        let pkcs8 = secret
            .to_pkcs8_der()
            .map_err(|e| AuthSetupError::DevKey(format!("cannot encode the private key ({e})")))?;
        Ok(Self {
            encoding_key: EncodingKey::from_ec_der(pkcs8.as_bytes()),
            kid: ec_thumbprint(&public),
            public_key_pem,
        })
    }

    /// The public key as an SPKI `PUBLIC KEY` PEM: what [`super::Verifier`]
    /// loads to trust this key's tokens.
    pub fn public_key_pem(&self) -> String {
        self.public_key_pem.clone()
    }

    /// Writes [`DevKey::public_key_pem`] to `path` (parent directories created;
    /// an existing file is replaced).
    pub fn write_public_key(&self, path: &Path) -> Result<(), AuthSetupError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| AuthSetupError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(path, self.public_key_pem.as_bytes()).map_err(|source| {
            AuthSetupError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// The key id put in minted tokens' `kid` header: the RFC 7638 JWK
    /// thumbprint of the public key, stable for the life of the key file.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Mints an ES256 token for development and tests: claims `iss`
    /// (`deconflict-dev`), `sub` = `subject`, `aud` = `audience`, `iat` = now,
    /// `nbf` = `iat`, `exp` = `iat` + `ttl` (whole seconds, at least one), and
    /// `scope` = `scopes` joined by spaces (omitted when empty); header `kid` =
    /// [`DevKey::kid`].
    ///
    /// Fails if `subject` or `audience` is blank, `subject` holds control
    /// characters, a scope is empty or holds whitespace, or `ttl` is under one
    /// second.
    pub fn mint(
        &self,
        subject: &str,
        scopes: &[String],
        audience: &str,
        ttl: Duration,
    ) -> Result<String, AuthSetupError> {
        let invalid = |what: &str| Err(AuthSetupError::InvalidSetting(what.to_owned()));
        if subject.trim().is_empty() {
            return invalid("token subject (party) is empty");
        }
        if subject.chars().any(char::is_control) {
            return invalid("token subject (party) contains control characters");
        }
        if audience.trim().is_empty() {
            return invalid("token audience is empty");
        }
        if scopes
            .iter()
            .any(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return invalid("each token scope must be non-empty and contain no whitespace");
        }
        let ttl_s = ttl.as_secs();
        if ttl_s == 0 {
            return invalid("token lifetime must be at least one second");
        }
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| AuthSetupError::DevKey("the system clock is before 1970".to_owned()))?
            .as_secs();
        let Some(exp) = iat.checked_add(ttl_s) else {
            return invalid("token lifetime is too long");
        };
        let claims = DevClaims {
            iss: DEV_ISSUER,
            sub: subject,
            aud: audience,
            iat,
            nbf: iat,
            exp,
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding_key)
            .map_err(|e| AuthSetupError::DevKey(format!("cannot sign the token ({e})")))
    }

    /// The signing key, for tests that craft tokens with unusual claims.
    #[cfg(test)]
    pub(super) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }
}
