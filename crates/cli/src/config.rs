//! Settings of `deconflict serve`, merged once — defaults, then a TOML file, then environment
//! variables and flags (clap reads both) — and then injected; nothing below the CLI reads the
//! environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// `deconflict serve` flags (each also from a `DECONFLICT_*` variable).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Data directory of the embedded store (created if absent).
    #[arg(long, value_name = "DIR", env = "DECONFLICT_DATA")]
    pub data: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", env = "DECONFLICT_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// PEM public key (RSA or EC P-256) that signs accepted tokens; repeat for several.
    #[arg(
        long = "jwt-public-key",
        value_name = "FILE",
        env = "DECONFLICT_JWT_PUBLIC_KEYS",
        value_delimiter = ','
    )]
    pub jwt_public_keys: Vec<PathBuf>,
    /// JWKS file of public keys that sign accepted tokens.
    #[arg(long, value_name = "FILE", env = "DECONFLICT_JWKS")]
    pub jwks: Option<PathBuf>,
    /// The audience tokens must be issued for (their `aud`).
    #[arg(long, value_name = "AUD", env = "DECONFLICT_AUDIENCE")]
    pub audience: Option<String>,
    /// TOML file with any of: data, listen, jwt_public_keys, jwks, audience, log_json.
    #[arg(long, value_name = "FILE", env = "DECONFLICT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, env = "DECONFLICT_LOG_JSON")]
    pub log_json: bool,
}

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    listen: Option<SocketAddr>,
    #[serde(default)]
    jwt_public_keys: Vec<PathBuf>,
    jwks: Option<PathBuf>,
    audience: Option<String>,
    #[serde(default)]
    log_json: bool,
}

/// The merged settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Data directory.
    pub data: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// PEM public keys.
    pub jwt_public_keys: Vec<PathBuf>,
    /// JWKS file.
    pub jwks: Option<PathBuf>,
    /// Token audience.
    pub audience: String,
    /// JSON logs.
    pub log_json: bool,
}

/// The default listen address: loopback only, port 8080.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default audience.
pub const DEFAULT_AUDIENCE: &str = "deconflict";

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing the config file {}", path.display()))
}

impl ServeArgs {
    /// Merges defaults, the file (if any), then flags and environment.
    ///
    /// # Errors
    /// An unreadable or invalid config file.
    pub fn merge(self) -> anyhow::Result<ServeConfig> {
        let file = match &self.config {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let listen = match self.listen.or(file.listen) {
            Some(l) => l,
            None => DEFAULT_LISTEN
                .parse()
                .context("the default listen address")?,
        };
        Ok(ServeConfig {
            data: self
                .data
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("deconflict-data")),
            listen,
            jwt_public_keys: if self.jwt_public_keys.is_empty() {
                file.jwt_public_keys
            } else {
                self.jwt_public_keys
            },
            jwks: self.jwks.or(file.jwks),
            audience: self
                .audience
                .or(file.audience)
                .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            log_json: self.log_json || file.log_json,
        })
    }
}
