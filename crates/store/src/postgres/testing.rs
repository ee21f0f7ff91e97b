//! A fresh database per test on a real PostgreSQL server, for this crate's tests and the HTTP
//! tests of the binary: created, migrated, and dropped on drop.
//!
//! The server is named by `DECONFLICT_TEST_POSTGRES` (a URL whose database is used to create and
//! drop the test databases), by default `postgres://postgres@127.0.0.1:5432/postgres` — what
//! `.ci/run` starts. When no server answers, [`TempDatabase::new`] fails with a message saying
//! so: the PostgreSQL tests fail, they are never skipped.

use std::str::FromStr;
use std::time::Duration;

use postgres::NoTls;

use super::{PostgresOptions, PostgresStore, migrate};
use crate::StoreError;

/// The environment variable naming the test server.
pub const TEST_SERVER_ENV: &str = "DECONFLICT_TEST_POSTGRES";

/// The server used when [`TEST_SERVER_ENV`] is not set.
pub const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for the life of this value.
#[derive(Debug)]
pub struct TempDatabase {
    admin: String,
    name: String,
    url: String,
}

fn admin_url() -> String {
    std::env::var(TEST_SERVER_ENV).unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned())
}

fn admin_client(admin: &str) -> Result<postgres::Client, StoreError> {
    let mut config = postgres::Config::from_str(admin).map_err(|e| StoreError::Unavailable {
        doing: format!("reading {TEST_SERVER_ENV}"),
        detail: e.to_string(),
    })?;
    config.connect_timeout(Duration::from_secs(5));
    config.connect(NoTls).map_err(|e| StoreError::Unavailable {
        doing: format!(
            "connecting to the test PostgreSQL server {admin} (set {TEST_SERVER_ENV}, or run \
             .ci/run, which starts one)"
        ),
        detail: e.to_string(),
    })
}

impl TempDatabase {
    /// Creates an empty database with a unique name and applies the migrations.
    ///
    /// # Errors
    /// No server answers, or it refuses to create the database.
    pub fn new() -> Result<Self, StoreError> {
        let db = Self::empty()?;
        migrate(&db.url)?;
        Ok(db)
    }

    /// Creates an empty database with a unique name, not migrated.
    ///
    /// # Errors
    /// No server answers, or it refuses to create the database.
    pub fn empty() -> Result<Self, StoreError> {
        let admin = admin_url();
        let name = format!("deconflict_test_{}", uuid::Uuid::new_v4().simple());
        admin_client(&admin)?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| super::sql_error("creating a test database", &e))?;
        let url = url_of(&admin, &name);
        Ok(Self { admin, name, url })
    }

    /// The URL of the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens a store on it.
    ///
    /// # Errors
    /// [`PostgresStore::open`]'s.
    pub fn open(&self) -> Result<PostgresStore, StoreError> {
        PostgresStore::open(
            &self.url,
            PostgresOptions {
                // The conformance suite drives eight writers at one row on purpose; it tests
                // serializability, not the bound (the nodes tests cover that).
                max_attempts: 1000,
                ..PostgresOptions::default()
            },
        )
    }
}

/// The admin URL with its database replaced by `name`. A key=value string gets `dbname=` added.
fn url_of(admin: &str, name: &str) -> String {
    if let Some(rest) = admin
        .strip_prefix("postgres://")
        .or_else(|| admin.strip_prefix("postgresql://"))
    {
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let host = before_query
            .split_once('/')
            .map_or(before_query, |(h, _)| h);
        match query {
            Some(q) => format!("postgres://{host}/{name}?{q}"),
            None => format!("postgres://{host}/{name}"),
        }
    } else {
        format!("{admin} dbname={name}")
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // Best effort: a leftover test database is harmless and named as such.
        if let Ok(mut client) = admin_client(&self.admin) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A store on a [`TempDatabase`], dropped before the database.
#[derive(Debug)]
pub struct TempStore {
    store: Option<PostgresStore>,
    _db: TempDatabase,
}

impl TempStore {
    /// A migrated fresh database and a store on it.
    ///
    /// # Errors
    /// As [`TempDatabase::new`] and [`PostgresStore::open`].
    pub fn new() -> Result<Self, StoreError> {
        let db = TempDatabase::new()?;
        let store = db.open()?;
        Ok(Self {
            store: Some(store),
            _db: db,
        })
    }
}

impl std::ops::Deref for TempStore {
    type Target = PostgresStore;

    fn deref(&self) -> &PostgresStore {
        // Some until drop.
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        // Close the pool's connections first, so that dropping the database needs no force.
        self.store.take();
    }
}
