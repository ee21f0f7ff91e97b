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
    /// Keep the airspace in a PostgreSQL-compatible database instead of the data directory
    /// (postgres://user@host:port/db; PostgreSQL, CockroachDB or YugabyteDB), shared with any
    /// number of other nodes. Run `deconflict migrate --store URL` first.
    #[arg(long, value_name = "URL", env = "DECONFLICT_STORE")]
    pub store: Option<String>,
    /// Seconds a node's claim on a webhook delivery keeps other nodes from posting it (default
    /// 60); a delivery of a node that died is posted by another after this.
    #[arg(long, value_name = "SECS", env = "DECONFLICT_DELIVERY_LEASE")]
    pub delivery_lease: Option<u64>,
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
    /// H3 resolution (0-15) of the coarse footprints other parties see; default 7 (cells of about
    /// 5 km²). Lower is coarser.
    #[arg(long, value_name = "RES", env = "DECONFLICT_H3_RESOLUTION")]
    pub h3_resolution: Option<u8>,
    /// The URL this server is reached at (default `http://` + the listen address); the F3548
    /// DSS API shows `<public_url>` as the `uss_base_url` of entities filed through the
    /// native API.
    #[arg(long, value_name = "URL", env = "DECONFLICT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Refuse `http://` `uss_base_url`s in the F3548 DSS API (by default http is accepted, as
    /// test deployments of the standard's tools use it).
    #[arg(long, env = "DECONFLICT_DSS_REQUIRE_HTTPS")]
    pub dss_require_https: bool,
    /// Seconds a party has to acknowledge a notification that needs it (default 86400: a day);
    /// then it is overdue and escalates (a reminder, again after each further period).
    #[arg(long, value_name = "SECS", env = "DECONFLICT_ACK_DEADLINE")]
    pub ack_deadline: Option<u64>,
    /// Most explicit F3548 subscriptions one USS may hold intersecting any one area (default
    /// 10); the next is refused with 429.
    #[arg(
        long,
        value_name = "N",
        env = "DECONFLICT_DSS_MAX_SUBSCRIPTIONS_PER_AREA"
    )]
    pub dss_max_subscriptions_per_area: Option<usize>,
    /// How the F3548 key rule matches volumes: `exact` (default: each volume against each
    /// volume) or `union` (the union of a request's volumes, as the InterUSS reference DSS).
    #[arg(long, value_name = "SCOPE", env = "DECONFLICT_DSS_KEY_SCOPE")]
    pub dss_key_scope: Option<deconflict_service::dss::KeyScope>,
    /// File holding the access token presented (`Authorization: Bearer`) when posting F3548
    /// notifications of native changes to USSs; read at each post, so that an outside process
    /// can refresh it. Without it they are posted without a token.
    #[arg(
        long,
        value_name = "FILE",
        env = "DECONFLICT_DSS_NOTIFICATION_TOKEN_FILE"
    )]
    pub dss_notification_token_file: Option<PathBuf>,
    /// Protected sites: reconfirmation, grace, probing limit.
    #[command(flatten)]
    pub protected: ProtectedArgs,
    /// TOML file with any of: data, store, delivery_lease, listen, jwt_public_keys, jwks,
    /// audience, h3_resolution, public_url, dss_require_https, dss_max_subscriptions_per_area,
    /// dss_key_scope, dss_notification_token_file, ack_deadline, log_json.
    #[arg(long, value_name = "FILE", env = "DECONFLICT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, env = "DECONFLICT_LOG_JSON")]
    pub log_json: bool,
}

/// Settings of protected sites (`serve` and `demo`; flags or environment only).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ProtectedArgs {
    /// Seconds before a protected site's validity ends that its notifier is asked to reconfirm
    /// it (default 259200: three days).
    #[arg(long, value_name = "SECS", env = "DECONFLICT_RECONFIRM_LEAD")]
    pub reconfirm_lead: Option<u64>,
    /// Seconds a protected site not reconfirmed keeps protecting after every party was told it
    /// lapses (default 86400).
    #[arg(long, value_name = "SECS", env = "DECONFLICT_PROTECTED_GRACE")]
    pub protected_grace: Option<u64>,
    /// Most checks a party may make near one conflict-only protected site per day (default 8);
    /// beyond, they are refused (429) and the site's notifier is told.
    #[arg(long, value_name = "N", env = "DECONFLICT_PROBE_LIMIT")]
    pub probe_limit: Option<u32>,
    /// Seconds between looks for protected sites to reconfirm or lapse (default 60).
    #[arg(long, value_name = "SECS", env = "DECONFLICT_VALIDITY_CHECK_EVERY")]
    pub validity_check_every: Option<u64>,
}

impl ProtectedArgs {
    /// The service's settings.
    pub fn service_config(&self) -> deconflict_service::protected::ProtectedConfig {
        let d = deconflict_service::protected::ProtectedConfig::default();
        let secs = |s: Option<u64>, default: chrono::Duration| {
            s.map_or(default, |s| {
                chrono::Duration::seconds(i64::try_from(s.max(1)).unwrap_or(i64::MAX / 1000))
            })
        };
        deconflict_service::protected::ProtectedConfig {
            reconfirm_lead: secs(self.reconfirm_lead, d.reconfirm_lead),
            grace: secs(self.protected_grace, d.grace),
            probe_limit: self.probe_limit.unwrap_or(d.probe_limit),
            ..d
        }
    }

    /// How often the server looks for protected sites to reconfirm or lapse.
    pub fn check_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.validity_check_every.unwrap_or(60).max(1))
    }
}

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    store: Option<String>,
    delivery_lease: Option<u64>,
    listen: Option<SocketAddr>,
    #[serde(default)]
    jwt_public_keys: Vec<PathBuf>,
    jwks: Option<PathBuf>,
    audience: Option<String>,
    h3_resolution: Option<u8>,
    public_url: Option<String>,
    #[serde(default)]
    dss_require_https: bool,
    dss_max_subscriptions_per_area: Option<usize>,
    dss_key_scope: Option<String>,
    dss_notification_token_file: Option<PathBuf>,
    ack_deadline: Option<u64>,
    #[serde(default)]
    log_json: bool,
}

/// The merged settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Data directory.
    pub data: PathBuf,
    /// The database URL, when the store is PostgreSQL-compatible rather than embedded.
    pub store: Option<String>,
    /// The webhook delivery lease.
    pub delivery_lease: std::time::Duration,
    /// Listen address.
    pub listen: SocketAddr,
    /// PEM public keys.
    pub jwt_public_keys: Vec<PathBuf>,
    /// JWKS file.
    pub jwks: Option<PathBuf>,
    /// Token audience.
    pub audience: String,
    /// H3 resolution of coarse footprints.
    pub h3_resolution: h3o::Resolution,
    /// The URL this server is reached at.
    pub public_url: String,
    /// Whether the DSS API refuses http:// base URLs.
    pub dss_require_https: bool,
    /// Most explicit DSS subscriptions of one USS in one area.
    pub dss_max_subscriptions_per_area: usize,
    /// How the F3548 key rule matches volumes.
    pub dss_key_scope: deconflict_service::dss::KeyScope,
    /// The token file of outgoing F3548 notifications.
    pub dss_notification_token_file: Option<PathBuf>,
    /// How long a party has to acknowledge a notification.
    pub ack_deadline: std::time::Duration,
    /// Protected sites: reconfirmation, grace, probing limit.
    pub protected: ProtectedArgs,
    /// JSON logs.
    pub log_json: bool,
}

/// The default listen address: loopback only, port 8080.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default audience.
pub const DEFAULT_AUDIENCE: &str = "deconflict";
/// The default H3 resolution of coarse footprints.
pub const DEFAULT_H3_RESOLUTION: u8 = 7;
/// The default time to acknowledge a notification, seconds.
pub const DEFAULT_ACK_DEADLINE_S: u64 = 86_400;
/// The default limit of explicit DSS subscriptions of one USS in one area.
pub const DEFAULT_DSS_MAX_SUBSCRIPTIONS_PER_AREA: usize = 10;
/// The default webhook delivery lease, seconds.
pub const DEFAULT_DELIVERY_LEASE_S: u64 = 60;

/// Checks that a store URL names a database this binary can use.
///
/// # Errors
/// Anything but a `postgres://` or `postgresql://` URL.
pub fn check_store_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        anyhow::bail!(
            "--store must be a postgres:// or postgresql:// URL (PostgreSQL, CockroachDB or \
             YugabyteDB); for the embedded store give --data DIR instead"
        )
    }
}

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
        let res = self
            .h3_resolution
            .or(file.h3_resolution)
            .unwrap_or(DEFAULT_H3_RESOLUTION);
        let h3_resolution = h3o::Resolution::try_from(res)
            .map_err(|_| anyhow::anyhow!("h3_resolution must be 0 to 15, got {res}"))?;
        let store = self.store.or(file.store);
        if let Some(url) = &store {
            check_store_url(url)?;
        }
        let lease = self
            .delivery_lease
            .or(file.delivery_lease)
            .unwrap_or(DEFAULT_DELIVERY_LEASE_S);
        if lease == 0 {
            anyhow::bail!("delivery_lease must be at least 1 second");
        }
        let public_url = self
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            anyhow::bail!("public_url must be an http:// or https:// URL, got {public_url:?}");
        }
        Ok(ServeConfig {
            protected: self.protected,
            public_url: public_url.trim_end_matches('/').to_owned(),
            dss_require_https: self.dss_require_https || file.dss_require_https,
            ack_deadline: std::time::Duration::from_secs(
                self.ack_deadline
                    .or(file.ack_deadline)
                    .unwrap_or(DEFAULT_ACK_DEADLINE_S)
                    .max(1),
            ),
            dss_max_subscriptions_per_area: self
                .dss_max_subscriptions_per_area
                .or(file.dss_max_subscriptions_per_area)
                .unwrap_or(DEFAULT_DSS_MAX_SUBSCRIPTIONS_PER_AREA),
            dss_key_scope: match (self.dss_key_scope, file.dss_key_scope) {
                (Some(scope), _) => scope,
                (None, Some(s)) => s.parse().map_err(|e: String| anyhow::anyhow!(e))?,
                (None, None) => deconflict_service::dss::KeyScope::default(),
            },
            dss_notification_token_file: self
                .dss_notification_token_file
                .or(file.dss_notification_token_file),
            store,
            delivery_lease: std::time::Duration::from_secs(lease),
            h3_resolution,
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            data: None,
            store: None,
            delivery_lease: None,
            listen: None,
            jwt_public_keys: vec![],
            jwks: None,
            audience: None,
            h3_resolution: None,
            public_url: None,
            dss_require_https: false,
            dss_max_subscriptions_per_area: None,
            dss_key_scope: None,
            dss_notification_token_file: None,
            ack_deadline: None,
            protected: ProtectedArgs::default(),
            config,
            log_json: false,
        }
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let c = args(None).merge().unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.audience, DEFAULT_AUDIENCE);
        assert_eq!(u8::from(c.h3_resolution), DEFAULT_H3_RESOLUTION);
        assert_eq!(c.data, PathBuf::from("deconflict-data"));
    }

    #[test]
    fn the_file_fills_what_flags_leave_and_flags_win() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            f,
            "audience = \"dss.example\"\nlisten = \"0.0.0.0:9000\"\nh3_resolution = 5\njwks = \"/etc/k.json\""
        )
        .unwrap();
        let from_file = args(Some(f.path().to_owned())).merge().unwrap();
        assert_eq!(from_file.audience, "dss.example");
        assert_eq!(from_file.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(u8::from(from_file.h3_resolution), 5);
        let mut a = args(Some(f.path().to_owned()));
        a.audience = Some("flag".into());
        a.h3_resolution = Some(9);
        let merged = a.merge().unwrap();
        assert_eq!(merged.audience, "flag");
        assert_eq!(u8::from(merged.h3_resolution), 9);
        assert_eq!(merged.jwks, Some(PathBuf::from("/etc/k.json")));
    }

    #[test]
    fn the_key_scope_is_exact_unless_told() {
        use deconflict_service::dss::KeyScope;
        assert_eq!(args(None).merge().unwrap().dss_key_scope, KeyScope::Exact);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "dss_key_scope = \"union\"").unwrap();
        let from_file = args(Some(f.path().to_owned())).merge().unwrap();
        assert_eq!(from_file.dss_key_scope, KeyScope::Union);
        let mut a = args(Some(f.path().to_owned()));
        a.dss_key_scope = Some(KeyScope::Exact);
        assert_eq!(a.merge().unwrap().dss_key_scope, KeyScope::Exact);
        let mut bad = tempfile::NamedTempFile::new().unwrap();
        writeln!(bad, "dss_key_scope = \"cells\"").unwrap();
        let e = args(Some(bad.path().to_owned())).merge().unwrap_err();
        assert!(e.to_string().contains("exact or union"), "{e}");
    }

    #[test]
    fn bad_settings_are_refused_clearly() {
        let mut a = args(None);
        a.h3_resolution = Some(16);
        assert!(a.merge().unwrap_err().to_string().contains("0 to 15"));
        let mut a = args(None);
        a.store = Some("mysql://root@localhost/db".into());
        assert!(a.merge().unwrap_err().to_string().contains("postgres://"));
        let mut a = args(None);
        a.delivery_lease = Some(0);
        assert!(a.merge().unwrap_err().to_string().contains("at least 1"));
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "audiense = \"typo\"").unwrap();
        let e = format!("{:#}", args(Some(f.path().to_owned())).merge().unwrap_err());
        assert!(
            e.contains("parsing the config file") && e.contains("audiense"),
            "{e}"
        );
    }
}
