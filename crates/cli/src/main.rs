//! `deconflict`: the binary and composition root. Parses the command line, merges settings,
//! wires the crates together and reports; no domain logic lives here.

mod commands;
mod config;
mod demo;
mod geojson;
mod serve;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use deconflict_bench::run::{TheatreOptions, run_theatre};

use crate::config::{DEFAULT_AUDIENCE, ServeArgs, ServeConfig};

/// deconflict: a neutral service where parties that share a conflict zone file their planned
/// operations as 4D volumes and learn of every conflict before anything moves.
#[derive(Debug, Parser)]
#[command(name = "deconflict", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API over the embedded store in a data directory, or a PostgreSQL-compatible
    /// database shared with other nodes (--store).
    ///
    /// Tokens are verified with the public keys given (RS256 or ES256); every setting can also
    /// come from a DECONFLICT_* variable or a TOML file (--config).
    Serve(ServeArgs),
    /// Serve with a development key and a demo scenario loaded, printing the URL and a token
    /// per demo party. For trying the API; not for a deployment.
    Demo(DemoArgs),
    /// Create or upgrade the schema of a PostgreSQL-compatible store (`serve --store` refuses a
    /// database that is not at its version).
    Migrate(MigrateArgs),
    /// Mint a token with the development key of a data directory (for demos and tests only:
    /// a deployment verifies tokens from its own identity provider).
    Token(TokenArgs),
    /// Measure the engine on a workload (see `deconflict bench theatre --help`).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// List every conflict among the features of a GeoJSON file, offline (no store, no server).
    ///
    /// Two features conflict when a volume of one intersects a volume of the other: time windows
    /// overlap, altitude bands overlap and footprints intersect (touching counts). Each conflict
    /// names both features and gives the common time window and altitude band.
    ///
    /// Exit status: 0 no conflicts, 1 conflicts (listed), 2 invalid or unreadable input (each
    /// invalid feature named by its index, id and field). See `deconflict import --help` for the
    /// GeoJSON shape.
    Check(CheckArgs),
    /// File every feature of a GeoJSON file as an operation or zone of one party, offline on a
    /// data directory (stop the server first: the store locks its directory).
    ///
    /// The importing party declares that it has seen the airspace it files into: the key of each
    /// write holds the current OVN of every entity the feature intersects (other parties'
    /// included), read just before the write, so the key rule never refuses it. Its conflicts
    /// are recorded, not prevented, and counted in the summary. Import only what the party has
    /// in fact reviewed: `deconflict check FILE` lists the conflicts within the file, and
    /// `--dry-run` counts those with what the data directory holds.
    ///
    /// Nothing is half-imported: every feature is validated, and every id looked up, before
    /// anything is written, and one invalid feature refuses the whole file. Features are then
    /// written in file order; a failure while writing stops the import and says how many were
    /// written.
    ///
    /// The GeoJSON: a FeatureCollection, one Feature per entity. Geometry: a Polygon (one ring),
    /// a Point with the property radius_m (a circle), a MultiPolygon, or a GeometryCollection of
    /// Polygons and Points: one volume per polygon or point. Properties: id (a UUID; other text
    /// is mapped to a UUID v5 of it), entity ("operation", the default, or "zone"), state
    /// (Accepted, the default, Activated, Nonconforming, Contingent) and priority (default 0)
    /// for operations, zone_kind (restricted, protected, ceasefire, separation) for zones,
    /// altitude_lower_m, altitude_upper_m, time_start, time_end (RFC 3339), and optionally
    /// volumes: one object per geometry member overriding those values for that member.
    ///
    /// Exit status: 0 imported, 2 invalid input (nothing written), 1 a failure.
    Import(ImportArgs),
    /// Write every live entity of a data directory as a GeoJSON FeatureCollection that `import`
    /// and `check` read back, offline (stop the server first). Protected sites notified
    /// conflict-only are left out unless --include-confidential.
    Export(ExportArgs),
    /// Export or verify the audit log: every change, hash-chained and signed with the server's
    /// Ed25519 key (`<data>/audit-key.pem`). See docs/audit.md.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import or export a list of protected sites and movements (CSV or GeoJSON) through a
    /// running server. See docs/humanitarian.md, "Bulk lists".
    #[command(subcommand)]
    Sites(SitesCommand),
}

#[derive(Debug, Subcommand)]
enum SitesCommand {
    /// Check a site list and, if every row is good, import it in one request (all or nothing;
    /// every other party gets one notification to acknowledge for the whole list).
    ///
    /// Every bad row is printed as `line N, field F: message` (GeoJSON: `feature N, ...`),
    /// found locally with the server's parser, or reported by the server (its own checks:
    /// validity limits, ids notified by another party). Exit status: 0 imported, 1 row errors
    /// (nothing imported) or another failure.
    Import(SitesImportArgs),
    /// Write the sites the caller may see (its own, and others' disclosed in full) as a site
    /// list that `sites import` reads back.
    Export(SitesExportArgs),
}

#[derive(Debug, Args)]
struct SitesImportArgs {
    /// The site list: CSV (a header line, then one site per line) or a GeoJSON
    /// FeatureCollection.
    file: PathBuf,
    /// The server's base URL.
    #[arg(long, value_name = "URL", env = "DECONFLICT_URL")]
    url: String,
    /// A bearer token of the notifying party (deconflict.write).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DECONFLICT_TOKEN",
        hide_env_values = true
    )]
    token: String,
    /// csv or geojson (default: from the file name's extension).
    #[arg(long)]
    format: Option<String>,
}

#[derive(Debug, Args)]
struct SitesExportArgs {
    /// The server's base URL.
    #[arg(long, value_name = "URL", env = "DECONFLICT_URL")]
    url: String,
    /// A bearer token (deconflict.read).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DECONFLICT_TOKEN",
        hide_env_values = true
    )]
    token: String,
    /// csv or geojson.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Write the log as JSON lines: a header `{"public_key_pem": ...}`, then one entry per line,
    /// offline (stop the server first on the embedded store).
    Export(AuditExportArgs),
    /// Check the chain and the signatures of a data directory's log (offline) or of an export.
    ///
    /// Prints `ok: N entries, head <hash>` and exits 0, or `broken at entry <seq>: <reason>` (and
    /// the line, for a file) and exits 1. Verify with the key the operator published
    /// (--public-key): an export's header, or a data directory's key file, is only as
    /// trustworthy as whoever handed it over.
    Verify(AuditVerifyArgs),
}

#[derive(Debug, Args)]
struct AuditExportArgs {
    /// Data directory: its audit key, and the embedded store unless --store.
    #[arg(long, value_name = "DIR", env = "DECONFLICT_DATA")]
    data: PathBuf,
    /// The PostgreSQL-compatible store holding the log.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct AuditVerifyArgs {
    /// Data directory: its audit key, and the embedded store unless --store.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "file",
        required_unless_present = "file"
    )]
    data: Option<PathBuf>,
    /// The PostgreSQL-compatible store holding the log (with --data).
    #[arg(long, value_name = "URL", requires = "data")]
    store: Option<String>,
    /// An export (`deconflict audit export`).
    #[arg(long, value_name = "EXPORT")]
    file: Option<PathBuf>,
    /// The public key (SPKI PEM, as `GET /v1/audit/key` gives it; or the private key file).
    #[arg(long, value_name = "PEM")]
    public_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The GeoJSON file.
    #[arg(value_name = "FILE.geojson")]
    file: PathBuf,
    /// Print the conflicts (or the invalid features) as one JSON object on standard output.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The GeoJSON file.
    #[arg(value_name = "FILE.geojson")]
    file: PathBuf,
    /// Data directory (created if absent; the server must not be running on it).
    #[arg(long, value_name = "DIR", env = "DECONFLICT_DATA")]
    data: PathBuf,
    /// The party that files every entity (the `owner` property of the file is ignored).
    #[arg(long, value_name = "PARTY")]
    party: String,
    /// Validate, look up the ids and count the conflicts that would be recorded; write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Data directory (the server must not be running on it).
    #[arg(long, value_name = "DIR", env = "DECONFLICT_DATA")]
    data: PathBuf,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the zones of protected sites notified conflict-only (kind `confidential`),
    /// whose geometry is for their notifier and the service only: for the operator's own
    /// backup, never for a party. `import` does not read them back.
    #[arg(long)]
    include_confidential: bool,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Data directory (kept between runs; the scenario is loaded into an empty one).
    #[arg(long, value_name = "DIR", default_value = "deconflict-demo")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = config::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Token audience.
    #[arg(long, default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
    /// Keep the airspace in this PostgreSQL-compatible database (migrated first) instead of the
    /// data directory, which then holds only the development and audit keys.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Seconds a node's claim on a webhook delivery lasts (default 60).
    #[arg(long, value_name = "SECS")]
    delivery_lease: Option<u64>,
    /// Seconds a party has to acknowledge a notification before it escalates (default 86400).
    #[arg(long, value_name = "SECS")]
    ack_deadline: Option<u64>,
    /// Register the demo parties only, without the scenario (for tests that need an empty
    /// airspace).
    #[arg(long)]
    no_scenario: bool,
    /// Protected sites: reconfirmation, grace, probing limit.
    #[command(flatten)]
    protected: config::ProtectedArgs,
}

#[derive(Debug, Args)]
struct MigrateArgs {
    /// The database: postgres://user@host:port/db (PostgreSQL, CockroachDB or YugabyteDB).
    #[arg(long, value_name = "URL", env = "DECONFLICT_STORE")]
    store: String,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// The party (the token's subject).
    #[arg(long)]
    party: String,
    /// A scope to grant: deconflict.read, deconflict.write, deconflict.admin (repeatable).
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    /// Data directory whose development key signs the token.
    #[arg(long, value_name = "DIR", default_value = "deconflict-demo")]
    data: PathBuf,
    /// Token audience.
    #[arg(long, default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Validity, hours.
    #[arg(long, default_value_t = 12)]
    ttl_hours: u64,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Load the theatre ops, run the theatre queries, report build time, queries/s, p50/p99 and
    /// resident memory; with --postgis, run the same workload against PostgreSQL + PostGIS in the
    /// same run, check that both give identical hits, and report the ratio.
    ///
    /// Make the workload with the shared generator:
    ///   python3 ../shared/bench/gen_theatre.py --kind ops --n 100000 --seed 1 > ops.jsonl
    ///   python3 ../shared/bench/gen_theatre.py --kind queries --n 10000 --seed 2 > queries.jsonl
    #[command(verbatim_doc_comment)]
    Theatre(TheatreArgs),
}

#[derive(Debug, Args)]
struct TheatreArgs {
    /// JSON Lines of ops (`gen_theatre.py --kind ops`).
    #[arg(long, value_name = "OPS.jsonl")]
    ops: PathBuf,
    /// JSON Lines of queries (`gen_theatre.py --kind queries`).
    #[arg(long, value_name = "QUERIES.jsonl")]
    queries: PathBuf,
    /// Write one line per query, {"id": Q, "hits": [sorted op ids]}, to this file.
    #[arg(long, value_name = "OUT.jsonl")]
    answers: Option<PathBuf>,
    /// Also run the PostGIS baseline on this database, e.g. postgres://postgres@127.0.0.1/postgres
    /// (needs the PostGIS extension: scripts/install-postgis.sh).
    #[arg(long, value_name = "URL", env = "DECONFLICT_POSTGIS_URL")]
    postgis: Option<String>,
    /// Run the workload through a running server's API at this base URL instead (the ops are
    /// filed by concurrent writers; the queries run single-client, then from --query-clients
    /// concurrent clients, checked against the in-process index and compared with a do-nothing
    /// axum handler on this machine). Repeat it, or separate URLs with commas, for several nodes
    /// of one store: writer and client i use URL i mod n, the single client alternates.
    #[arg(long, value_name = "URL", requires = "token", value_delimiter = ',')]
    url: Vec<String>,
    /// Concurrent writers filing the ops, with --url.
    #[arg(long, value_name = "N", default_value_t = 16)]
    writers: usize,
    /// Concurrent clients of the second query pass, with --url.
    #[arg(long, value_name = "N", default_value_t = 16)]
    query_clients: usize,
    /// Bearer token (deconflict.write) for --url, e.g. from `deconflict token`.
    #[arg(long, value_name = "TOKEN", env = "DECONFLICT_TOKEN")]
    token: Option<String>,
    /// Print the figures as one JSON object on the last line of standard output.
    #[arg(long)]
    json: bool,
}

fn bench_http(args: TheatreArgs, token: String) -> anyhow::Result<()> {
    let opts = deconflict_bench::http::HttpOptions {
        urls: args
            .url
            .iter()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
            .collect(),
        token,
        ops: args.ops,
        queries: args.queries,
        writers: args.writers,
        query_clients: args.query_clients,
    };
    let mut stderr = std::io::stderr();
    let report = deconflict_bench::http::run_http(&opts, &mut |line| {
        let _ = writeln!(stderr, "{line}");
    })?;
    if report.mismatched_queries > 0 {
        anyhow::bail!(
            "{} queries answered differently over HTTP than in process",
            report.mismatched_queries
        );
    }
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &report).context("writing the report")?;
        writeln!(stdout).context("writing the report")?;
    }
    Ok(())
}

fn bench_theatre(args: TheatreArgs) -> anyhow::Result<()> {
    if let (false, Some(token)) = (args.url.is_empty(), args.token.clone()) {
        return bench_http(args, token);
    }
    let opts = TheatreOptions {
        ops: args.ops,
        queries: args.queries,
        answers: args.answers,
        postgis: args.postgis,
    };
    let mut stderr = std::io::stderr();
    let report = run_theatre(&opts, &mut |line| {
        // Progress is best effort: a closed stderr must not abort the benchmark.
        let _ = writeln!(stderr, "{line}");
    })?;
    if let Some(pg) = &report.postgis
        && pg.mismatched_queries > 0
    {
        anyhow::bail!(
            "{} queries answered differently by PostGIS (first: query {:?})",
            pg.mismatched_queries,
            pg.first_mismatch
        );
    }
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &report).context("writing the report")?;
        writeln!(stdout).context("writing the report")?;
    }
    Ok(())
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.merge()?;
    init_logs(config.log_json);
    let verifier = serve::verifier(&config)?;
    let ready = |addr| tracing::info!("deconflict serving on http://{addr}");
    match serve::open_service(&config)? {
        serve::Opened::Embedded(s) => runtime()?.block_on(serve::serve(
            s,
            verifier,
            config.protected.check_every(),
            config.listen,
            axum::Router::new(),
            ready,
        )),
        serve::Opened::Postgres(s) => runtime()?.block_on(serve::serve(
            s,
            verifier,
            config.protected.check_every(),
            config.listen,
            axum::Router::new(),
            ready,
        )),
    }
}

fn run_migrate(args: &MigrateArgs) -> anyhow::Result<()> {
    config::check_store_url(&args.store)?;
    let done = deconflict_store::postgres::migrate(&args.store).context("migrating")?;
    let mut out = std::io::stdout().lock();
    if done.from == done.to {
        writeln!(out, "schema already at version {}", done.to)
    } else {
        writeln!(
            out,
            "schema migrated from version {} to {}",
            done.from, done.to
        )
    }
    .context("writing the report")
}

/// Seeds the scenario and serves, on whichever store.
fn demo_on<S: deconflict_store::Store>(
    service: std::sync::Arc<deconflict_service::Service<S>>,
    verifier: deconflict_api::auth::Verifier,
    args: &DemoArgs,
    tokens: &[(String, String)],
) -> anyhow::Result<()> {
    let seeded = demo::seed(&service, chrono::Utc::now(), !args.no_scenario)?;
    let place = match &args.store {
        Some(_) => "store: PostgreSQL".to_owned(),
        None => format!("data: {}", args.data.display()),
    };
    // The page offers the demo tokens only on a loopback address: a demo reachable from other
    // machines does not hand them out (they are still printed below).
    let extra = if args.listen.ip().is_loopback() {
        demo::token_routes(tokens)
    } else {
        axum::Router::new()
    };
    runtime()?.block_on(serve::serve(
        service,
        verifier,
        args.protected.check_every(),
        args.listen,
        extra,
        move |addr| {
            let mut out = std::io::stdout().lock();
            // The banner is best effort: the server runs even if stdout is closed.
            let _ = writeln!(
                out,
                "deconflict demo serving on http://{addr}  ({place}, scenario {})",
                if seeded { "loaded" } else { "already present" }
            );
            let _ = writeln!(
                out,
                "tokens (valid 12 h; use as: Authorization: Bearer <token>):"
            );
            for (party, token) in tokens {
                let _ = writeln!(out, "  {party}: {token}");
            }
            let _ = out.flush();
        },
    ))
}

fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    init_logs(args.log_json);
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let key = demo::dev_key(&args.data)?;
    let public = args.data.join("dev-key.pub.pem");
    key.write_public_key(&public)
        .context("writing the development public key")?;
    if let Some(url) = &args.store {
        // The demo is for trying things out: it brings the database up to date itself (`serve`
        // only checks, and leaves migrating to `deconflict migrate`).
        config::check_store_url(url)?;
        deconflict_store::postgres::migrate(url).context("migrating the demo database")?;
    }
    let lease = args
        .delivery_lease
        .unwrap_or(config::DEFAULT_DELIVERY_LEASE_S)
        .max(1);
    let config = ServeConfig {
        data: args.data.clone(),
        store: args.store.clone(),
        delivery_lease: Duration::from_secs(lease),
        listen: args.listen,
        jwt_public_keys: vec![public],
        jwks: None,
        audience: args.audience.clone(),
        h3_resolution: h3o::Resolution::try_from(config::DEFAULT_H3_RESOLUTION)
            .context("the default H3 resolution")?,
        public_url: format!("http://{}", args.listen),
        dss_require_https: false,
        dss_max_subscriptions_per_area: config::DEFAULT_DSS_MAX_SUBSCRIPTIONS_PER_AREA,
        dss_key_scope: deconflict_service::dss::KeyScope::default(),
        dss_notification_token_file: None,
        ack_deadline: Duration::from_secs(
            args.ack_deadline
                .unwrap_or(config::DEFAULT_ACK_DEADLINE_S)
                .max(1),
        ),
        log_json: args.log_json,
        protected: args.protected,
    };
    let verifier = serve::verifier(&config)?;
    let tokens = demo::tokens(&key, &args.audience, Duration::from_secs(12 * 3600))?;
    match serve::open_service(&config)? {
        serve::Opened::Embedded(s) => demo_on(s, verifier, &args, &tokens),
        serve::Opened::Postgres(s) => demo_on(s, verifier, &args, &tokens),
    }
}

fn run_token(args: TokenArgs) -> anyhow::Result<()> {
    let key = demo::dev_key(&args.data)?;
    let token = key
        .mint(
            &args.party,
            &args.scopes,
            &args.audience,
            Duration::from_secs(args.ttl_hours * 3600),
        )
        .context("signing the token")?;
    writeln!(std::io::stdout(), "{token}").context("writing the token")
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => run_serve(args),
        Command::Demo(args) => run_demo(args),
        Command::Migrate(args) => run_migrate(&args),
        Command::Token(args) => run_token(args),
        Command::Bench(BenchCommand::Theatre(args)) => bench_theatre(args),
        Command::Check(args) => commands::exit(commands::check::run(&args.file, args.json)),
        Command::Import(args) => commands::import::run(&commands::import::ImportOptions {
            file: &args.file,
            data: &args.data,
            party: &args.party,
            dry_run: args.dry_run,
        })
        .and_then(commands::exit),
        Command::Export(args) => {
            commands::export::run(&args.data, args.out.as_deref(), args.include_confidential)
        }
        Command::Audit(AuditCommand::Export(args)) => commands::audit::export(
            &commands::audit::Source {
                data: &args.data,
                store: args.store.as_deref(),
            },
            args.out.as_deref(),
        ),
        Command::Sites(SitesCommand::Import(args)) => {
            commands::sites::import(&args.file, &args.url, &args.token, args.format.as_deref())
                .and_then(commands::exit)
        }
        Command::Sites(SitesCommand::Export(args)) => {
            commands::sites::export(&args.url, &args.token, &args.format, args.out.as_deref())
        }
        Command::Audit(AuditCommand::Verify(args)) => {
            let src = args.data.as_deref().map(|data| commands::audit::Source {
                data,
                store: args.store.as_deref(),
            });
            commands::audit::verify(
                src.as_ref(),
                args.file.as_deref(),
                args.public_key.as_deref(),
            )
            .and_then(commands::exit)
        }
    }
}
