//! The store on PostgreSQL's wire protocol, for several deconflict nodes sharing one airspace
//! over PostgreSQL, CockroachDB or YugabyteDB.
//!
//! # Guarantees, and how
//! - **Every decision in the database transaction.** A node holds nothing but a connection pool:
//!   [`Store::transact`] runs the closure in a `SERIALIZABLE` transaction, so the key rule and the
//!   compare-and-swap on OVNs read and write in one serializable unit. Two nodes racing for the
//!   same airspace both read the area (the GIN index's predicate locks in PostgreSQL, the read
//!   spans in CockroachDB) and write into it; the database aborts one with SQLSTATE 40001, which
//!   is retried here: on the retry it sees the winner and is refused by the rules.
//! - **Retries are bounded.** A serialization failure (40001) or a deadlock (40P01) re-runs the
//!   closure after a short jittered backoff, at most [`PostgresOptions::max_attempts`] times;
//!   then [`StoreError::Contention`] (HTTP 503 with `Retry-After`).
//! - **Refusals are serializable too.** When the closure returns `Err` and wrote nothing, the
//!   transaction is committed rather than rolled back, so that the database validates what the
//!   refusal read (a read-only transaction can still be aborted with 40001, and then it is
//!   retried). When it wrote something, it is rolled back.
//! - **Durable when acknowledged.** `transact` returns after `COMMIT` returned; a commit whose
//!   outcome is unknown (the connection broke during it) is reported as
//!   [`StoreError::Unavailable`], never as success.
//! - **Notification ids in commit order.** They come from a counter row updated inside the
//!   notifying transaction (no sequences: those are not transactional), so an inbox cursor never
//!   skips a notification committed later with a smaller id. The row is a point of contention
//!   only between transactions that notify.
//!
//! # SQL used
//! Only what PostgreSQL, CockroachDB and YugabyteDB all accept: plain tables, B-tree indexes, a
//! GIN index on an `INT8[]` of (H3 cell, time bucket) keys queried with `&&` ([`cells`]),
//! `INSERT … ON CONFLICT`, `UPDATE … RETURNING`. No PostGIS, GiST, sequences, advisory locks or
//! LISTEN/NOTIFY (`docs/scaling.md` says why). Statements are sent with their parameter types
//! (`query_typed`), one round trip each, with no prepared statement to keep per connection. On
//! PostgreSQL proper only, two settings: GIN without a pending list, and sessions that avoid
//! sequential scans (both explained where they are set).
//!
//! # Schema
//! Versioned migrations in `crates/store/migrations/`, applied by [`migrate`]
//! (`deconflict migrate --store URL`) and recorded in `deconflict_schema`; [`PostgresStore::open`]
//! refuses a database that is not migrated, or migrated by a newer deconflict.

pub mod cells;
pub mod testing;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use h3o::Resolution;
use postgres::error::SqlState;
use postgres::{IsolationLevel, NoTls};
use r2d2_postgres::PostgresConnectionManager;

use self::tx::PgTx;
use crate::{Store, StoreError, TxFn, View};

/// The migrations, in order: (version, SQL). Each is idempotent, so that one interrupted on a
/// database without transactional DDL can simply be run again.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_initial.sql")),
    (2, include_str!("../../migrations/0002_documents.sql")),
    (3, include_str!("../../migrations/0003_areas.sql")),
];

/// The schema version this code reads and writes: 3 since the coarse `areas` pre-selection (a
/// database at 1 or 2 is brought to 3 by [`migrate`]).
pub const SCHEMA_VERSION: i64 = 3;

/// Settings of the PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections in the pool (each request being served holds at most one).
    pub max_connections: u32,
    /// Attempts of a transaction before [`StoreError::Contention`].
    pub max_attempts: u32,
    /// How long to wait for a connection from the pool, or to open one.
    pub connect_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            max_attempts: 20,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The store on a PostgreSQL-compatible database.
pub struct PostgresStore {
    /// `Some` until dropped.
    pool: Option<Pool>,
    resolution: Resolution,
    options: PostgresOptions,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("resolution", &self.resolution)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn unavailable(doing: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        doing: doing.to_owned(),
        detail: detail.to_string(),
    }
}

/// The error of a statement, with the server's message when there is one (the driver's own
/// `Display` says only "db error").
pub(crate) fn sql_error(doing: &str, e: &postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => unavailable(doing, format!("{}: {}", db.code().code(), db.message())),
        None => unavailable(doing, e),
    }
}

/// Whether a failed statement or commit is worth running again.
pub(crate) fn is_retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

fn config(url: &str) -> Result<postgres::Config, StoreError> {
    postgres::Config::from_str(url).map_err(|e| unavailable("reading the store URL", e))
}

/// Connects one client (for migrations and administration).
fn connect(url: &str, timeout: Duration) -> Result<postgres::Client, StoreError> {
    let mut config = config(url)?;
    config.connect_timeout(timeout);
    config
        .connect(NoTls)
        .map_err(|e| sql_error("connecting to the database", &e))
}

/// The version recorded in `deconflict_schema`, `None` if the table does not exist.
fn recorded_version(client: &mut postgres::Client) -> Result<Option<i64>, StoreError> {
    let doing = "reading the schema version";
    let exists = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'deconflict_schema'",
            &[],
        )
        .map_err(|e| sql_error(doing, &e))?;
    if exists.get::<_, i64>(0) == 0 {
        return Ok(None);
    }
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM deconflict_schema",
            &[],
        )
        .map_err(|e| sql_error(doing, &e))?;
    Ok(Some(row.get(0)))
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version before (0: a new database).
    pub from: i64,
    /// The version after.
    pub to: i64,
}

/// Brings the database at `url` to [`SCHEMA_VERSION`], applying each missing migration in its own
/// transaction together with its record in `deconflict_schema`.
///
/// # Errors
/// The database cannot be reached, a migration fails (its message names it), or the database is
/// already at a newer version than this code knows.
pub fn migrate(url: &str) -> Result<Migrated, StoreError> {
    let mut client = connect(url, PostgresOptions::default().connect_timeout)?;
    let from = match recorded_version(&mut client)? {
        Some(v) => v,
        None => {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS deconflict_schema (\
                       version INT8 PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                )
                .map_err(|e| sql_error("creating deconflict_schema", &e))?;
            0
        }
    };
    if from > SCHEMA_VERSION {
        return Err(newer(from));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > from) {
        let doing = format!("applying migration {version}");
        let mut tx = client.transaction().map_err(|e| sql_error(&doing, &e))?;
        tx.batch_execute(sql).map_err(|e| sql_error(&doing, &e))?;
        tx.execute(
            "INSERT INTO deconflict_schema (version) VALUES ($1) ON CONFLICT (version) DO NOTHING",
            &[version],
        )
        .map_err(|e| sql_error(&doing, &e))?;
        tx.commit().map_err(|e| sql_error(&doing, &e))?;
    }
    tune_for_postgres(&mut client)?;
    Ok(Migrated {
        from,
        to: SCHEMA_VERSION,
    })
}

/// On PostgreSQL proper (not CockroachDB or YugabyteDB, which reject or ignore the setting),
/// turns off the GIN indexes' pending list, and indexes documents in bytewise id order.
///
/// The GIN indexes' pending list: with it on, every index scan must read the whole
/// unsorted pending list, and serializable transactions take a predicate lock on the whole index
/// to cover it — so every claim conflicted with every concurrent query, and writes slowed down
/// as the list grew (measured: 16 writers fell below 20 writes/s at 30k entities).
///
/// Documents are listed in bytewise id order (`COLLATE "C"`), which the primary key follows only
/// when the database's collation is `C`; the index in that order lets a page of a listing be read
/// from the index rather than by sorting every document of the kind. CockroachDB takes
/// `COLLATE "C"` only in expressions, not in a column or an index (its strings compare bytewise
/// anyway), hence here and not in the migration.
fn tune_for_postgres(client: &mut postgres::Client) -> Result<(), StoreError> {
    let doing = "tuning the indexes";
    if is_postgresql_proper(client, doing)? {
        client
            .batch_execute(
                "ALTER INDEX entities_keys SET (fastupdate = off); \
                 ALTER INDEX subscriptions_keys SET (fastupdate = off); \
                 CREATE INDEX IF NOT EXISTS documents_c_order ON documents (kind, id COLLATE \"C\");",
            )
            .map_err(|e| sql_error(doing, &e))?;
    }
    Ok(())
}

/// Whether the server is PostgreSQL itself rather than CockroachDB or YugabyteDB (which speak its
/// protocol but take other settings).
fn is_postgresql_proper(client: &mut postgres::Client, doing: &str) -> Result<bool, StoreError> {
    let version: String = client
        .query_one("SELECT version()", &[])
        .map_err(|e| sql_error(doing, &e))?
        .get(0);
    Ok(version.starts_with("PostgreSQL") && !version.contains("-YB-"))
}

/// Settings of each new connection to PostgreSQL proper.
#[derive(Debug)]
struct PostgresSession;

impl r2d2::CustomizeConnection<postgres::Client, postgres::Error> for PostgresSession {
    /// Discourages sequential scans: the look-ups of a transaction are all index-driven, but
    /// PostgreSQL's estimate for `keys && <hundreds of keys>` without fresh statistics often
    /// prefers scanning the table — and a serializable scan of the whole table takes a predicate
    /// lock on all of it, so every concurrent claim conflicts with it (measured: relation-level
    /// locks on `entities` in every racing transaction, and more aborts than commits). A scan
    /// with no index to use (a full listing) still runs.
    ///
    /// Also turns off parallel query: PostgreSQL's estimate of how many rows `&&` matches is
    /// orders of magnitude too high, so it planned parallel workers for look-ups that return a
    /// handful of rows, and starting them cost milliseconds per query (measured: 160 queries/s,
    /// p50 6 ms, on the 100k theatre workload).
    fn on_acquire(&self, conn: &mut postgres::Client) -> Result<(), postgres::Error> {
        conn.batch_execute("SET enable_seqscan = off; SET max_parallel_workers_per_gather = 0")
    }
}

fn newer(found: i64) -> StoreError {
    unavailable(
        "checking the schema version",
        format!(
            "the database is at schema version {found}, newer than this deconflict knows \
             ({SCHEMA_VERSION}): upgrade deconflict"
        ),
    )
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or key=value string) and checks
    /// that it is at [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]: the database cannot be reached, is not migrated (run
    /// `deconflict migrate --store URL`), or was migrated by a newer deconflict.
    pub fn open(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let mut client = connect(url, options.connect_timeout)?;
        match recorded_version(&mut client)? {
            Some(SCHEMA_VERSION) => {}
            Some(v) if v > SCHEMA_VERSION => return Err(newer(v)),
            found => {
                return Err(unavailable(
                    "checking the schema version",
                    format!(
                        "the database is at schema version {}, this deconflict needs \
                         {SCHEMA_VERSION}: run `deconflict migrate --store URL` first",
                        found.unwrap_or(0)
                    ),
                ));
            }
        }
        let res: i64 = client
            .query_one(
                "SELECT value FROM deconflict_settings WHERE name = 'cell_resolution'",
                &[],
            )
            .map_err(|e| sql_error("reading the cell resolution", &e))?
            .get(0);
        let resolution = u8::try_from(res)
            .ok()
            .filter(|r| *r <= cells::FINEST_RESOLUTION)
            .and_then(|r| Resolution::try_from(r).ok())
            .ok_or_else(|| StoreError::Corrupt {
                key: "deconflict_settings/cell_resolution".to_owned(),
                detail: format!(
                    "{res} is not an H3 resolution from 0 to {}",
                    cells::FINEST_RESOLUTION
                ),
            })?;
        let proper = is_postgresql_proper(&mut client, "identifying the database")?;
        drop(client);
        let mut config = config(url)?;
        config.connect_timeout(options.connect_timeout);
        let mut builder = r2d2::Pool::builder();
        if proper {
            builder = builder.connection_customizer(Box::new(PostgresSession));
        }
        let pool = builder
            .max_size(options.max_connections.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            // A broken connection is noticed when a statement fails, and dropped on return; a
            // test query on every checkout would add a round trip to every transaction.
            .test_on_check_out(false)
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| unavailable("opening the connection pool", e))?;
        Ok(Self {
            pool: Some(pool),
            resolution,
            options,
        })
    }

    /// The H3 resolution of the stored cells.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Runs `f` in a transaction at `level`, retrying serialization failures.
    fn run<T, E>(
        &self,
        level: IsolationLevel,
        read_only: bool,
        f: &mut dyn FnMut(&mut PgTx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let attempts = self.options.max_attempts.max(1);
        for attempt in 1..=attempts {
            let mut conn = self
                .pool
                .as_ref()
                .ok_or(StoreError::Closed)?
                .get()
                .map_err(|e| unavailable("taking a database connection", e))?;
            let started = conn
                .build_transaction()
                .isolation_level(level)
                .read_only(read_only)
                .start();
            let txn = match started {
                Ok(t) => t,
                Err(e) if is_retryable(&e) => {
                    backoff(attempt);
                    continue;
                }
                Err(e) => return Err(sql_error("starting a transaction", &e).into()),
            };
            let mut tx = PgTx::new(txn, self.resolution);
            let out = f(&mut tx);
            if tx.must_retry() {
                // Dropping the transaction rolls it back.
                drop(tx);
                backoff(attempt);
                continue;
            }
            let commit = match &out {
                Ok(_) => true,
                // A refusal is committed when it wrote nothing, so that the database validates
                // what it read; anything written is discarded.
                Err(_) => !tx.wrote(),
            };
            if !commit {
                return out;
            }
            match tx.commit() {
                Ok(()) => return out,
                Err(e) if is_retryable(&e) => {
                    backoff(attempt);
                }
                Err(e) => {
                    return match out {
                        // The refusal stands whatever became of its read-only commit.
                        Err(refused) => Err(refused),
                        Ok(_) => Err(sql_error("committing (the outcome is unknown)", &e).into()),
                    };
                }
            }
        }
        Err(StoreError::Contention { attempts }.into())
    }
}

impl Drop for PostgresStore {
    /// Closes the connections on a thread of their own: the synchronous driver runs a small
    /// runtime per connection, which must not be shut down from inside an async task (the last
    /// handle of a server's store drops in one at shutdown).
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// Sleeps before attempt `attempt + 1`: 2, 4, 8 … ms up to 128 ms, jittered ×0.5–1.5 so that
/// the transactions that collided do not collide again in step.
fn backoff(attempt: u32) {
    let base = 1u64 << attempt.min(7);
    let jittered = base as f64 * (0.5 + fastrand::f64());
    std::thread::sleep(Duration::from_secs_f64(jittered / 1000.0));
}

impl Store for PostgresStore {
    fn read<T>(
        &self,
        f: &mut (dyn FnMut(&dyn View) -> Result<T, StoreError> + Send),
    ) -> Result<T, StoreError> {
        // REPEATABLE READ is a snapshot in PostgreSQL; CockroachDB runs it as SERIALIZABLE.
        self.run(IsolationLevel::RepeatableRead, true, &mut |tx| f(&*tx))
    }

    fn transact<T, E>(&self, f: &mut TxFn<'_, T, E>) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send,
    {
        self.run(IsolationLevel::Serializable, false, &mut |tx| f(tx))
    }
}
