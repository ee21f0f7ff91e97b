//! The PostgreSQL + PostGIS baseline that the theatre benchmark compares the in-process engine
//! against: it owns the connection, the bulk load of the operations into one table, the GiST index
//! on `(geometry, tstzrange)` and the prepared intersection query.
//!
//! The table mirrors the workload's semantics exactly:
//! - `geom geometry(Polygon, 4326)`, compared planar in lon/lat with `ST_Intersects` (touching
//!   counts), coordinates written with Rust's shortest round-trip formatting so PostGIS stores the
//!   very same `f64`s;
//! - `alt numrange`, closed `[lo,hi]` (decimal text of the shortest round-trip `f64`, so the order
//!   of any two altitudes is the order of the `f64`s);
//! - `t tstzrange`, half-open `[start,end)` (PostgreSQL keeps microseconds, so sub-microsecond
//!   instants are rejected rather than silently rounded).
//!
//! Nothing here depends on `deconflict-core`: it reads [`TheatreVolume`]s only.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use postgres::config::Host;
use postgres::{Client, Config, NoTls, Statement};

use crate::theatre::TheatreVolume;

/// The table the baseline drops, recreates and loads on every [`PostgisBaseline::load`].
pub const TABLE: &str = "deconflict_bench_ops";

/// The SRID of every geometry: WGS84 lon/lat degrees, compared planar.
const SRID: u32 = 4326;

/// COPY data is sent to the server in chunks of about this many bytes.
const COPY_CHUNK: usize = 1 << 20;

/// The PostGIS baseline: one connection to a PostgreSQL server with PostGIS, the loaded table and
/// the prepared intersection query.
pub struct PostgisBaseline {
    /// The connection (synchronous client).
    client: Client,
    /// The connection target with any password left out, for error messages.
    target: String,
    /// The prepared query; `None` until a [`PostgisBaseline::load`] has succeeded, since the
    /// statement refers to the table that every load drops and recreates.
    query: Option<Statement>,
}

/// Why the baseline failed.
#[derive(Debug, thiserror::Error)]
pub enum PostgisError {
    /// The connection string does not parse.
    #[error("{detail}")]
    ConnectionString {
        /// What the parser said, e.g. "invalid connection string: unknown option `x`" (it never
        /// repeats a password).
        detail: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The server could not be reached or refused the connection.
    #[error("connecting to {target}: {detail}")]
    Connect {
        /// The connection target, password left out.
        target: String,
        /// The cause, spelled out.
        detail: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The server has no PostGIS extension available to `CREATE EXTENSION`.
    #[error(
        "PostGIS is not installed in the server at {target}: install Debian's {package} \
         (scripts/install-postgis.sh)"
    )]
    PostgisNotInstalled {
        /// The connection target, password left out.
        target: String,
        /// The Debian package that provides it for this server's major version.
        package: String,
    },
    /// A statement failed.
    #[error("{what} (on {target}): {detail}")]
    Sql {
        /// What was being done.
        what: String,
        /// The connection target, password left out.
        target: String,
        /// The cause, spelled out (for a server error: severity, message, detail, hint).
        detail: String,
        /// The cause.
        source: postgres::Error,
    },
    /// Sending `COPY` data failed.
    #[error("{what} (on {target}): {detail}")]
    Copy {
        /// What was being done.
        what: String,
        /// The connection target, password left out.
        target: String,
        /// The cause, spelled out.
        detail: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A record cannot be represented faithfully in the table.
    #[error("volume {id} cannot be loaded or queried: {reason}")]
    InvalidVolume {
        /// The record's id.
        id: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// [`PostgisBaseline::query`] was called before a successful [`PostgisBaseline::load`].
    #[error("no operations loaded into {TABLE}: call load first")]
    NotLoaded,
    /// The table returned an id that no loaded operation can have.
    #[error("table {TABLE} returned id {0}, which is not a loaded operation id")]
    UnexpectedId(i64),
}

/// How long one [`PostgisBaseline::load`] took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadReport {
    /// Rows copied into the table.
    pub rows: usize,
    /// Dropping and recreating the table, formatting the rows and `COPY` (no index yet).
    pub load: Duration,
    /// Building the primary key and the GiST index, `ANALYZE`, and preparing the query.
    pub index: Duration,
}

impl PostgisBaseline {
    /// Connects to `url` (a `postgresql://` URL or `key=value` string) and makes sure the
    /// `postgis` and `btree_gist` extensions exist in that database.
    ///
    /// # Errors
    /// [`PostgisError::ConnectionString`], [`PostgisError::Connect`] (naming the target without
    /// its password), [`PostgisError::PostgisNotInstalled`] when the server has no PostGIS
    /// package, or [`PostgisError::Sql`] when the extensions cannot be created (for example
    /// without the privilege to).
    pub fn connect(url: &str) -> Result<Self, PostgisError> {
        let config: Config =
            url.parse()
                .map_err(|source: postgres::Error| PostgisError::ConnectionString {
                    detail: describe(&source),
                    source,
                })?;
        let target = redacted_target(&config);
        let client = config
            .connect(NoTls)
            .map_err(|source| PostgisError::Connect {
                target: target.clone(),
                detail: describe(&source),
                source,
            })?;
        let mut this = Self {
            client,
            target,
            query: None,
        };
        let row = this
            .client
            .query_one(
                "SELECT current_setting('server_version_num')::int / 10000, \
                 EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')",
                &[],
            )
            .map_err(|e| this.sql("checking for the PostGIS extension", e))?;
        let major: i32 = row.get(0);
        let available: bool = row.get(1);
        if !available {
            return Err(PostgisError::PostgisNotInstalled {
                target: this.target,
                package: format!("postgresql-{major}-postgis-3"),
            });
        }
        this.client
            .batch_execute(
                "CREATE EXTENSION IF NOT EXISTS postgis; \
                 CREATE EXTENSION IF NOT EXISTS btree_gist;",
            )
            .map_err(|e| this.sql("creating the extensions postgis and btree_gist", e))?;
        Ok(this)
    }

    /// Drops and recreates [`TABLE`], copies `ops` into it, then builds the primary key and the
    /// GiST index on `(geom, t)`, analyzes the table and prepares the query.
    ///
    /// Every record is checked before anything is sent, so an invalid record leaves the previous
    /// table untouched.
    ///
    /// # Errors
    /// [`PostgisError::InvalidVolume`] for a record the table cannot hold faithfully (or a
    /// duplicate id, reported as [`PostgisError::Sql`] by the primary key), [`PostgisError::Copy`]
    /// or [`PostgisError::Sql`] naming the step that failed; after a failure [`Self::query`]
    /// reports [`PostgisError::NotLoaded`] until a load succeeds.
    pub fn load(&mut self, ops: &[TheatreVolume]) -> Result<LoadReport, PostgisError> {
        for op in ops {
            check(op)?;
        }
        self.query = None;
        let start = Instant::now();
        self.client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {TABLE}; \
                 CREATE UNLOGGED TABLE {TABLE} ( \
                     id bigint NOT NULL, \
                     geom geometry(Polygon, {SRID}) NOT NULL, \
                     alt numrange NOT NULL, \
                     t tstzrange NOT NULL)"
            ))
            .map_err(|e| self.sql(&format!("recreating table {TABLE}"), e))?;
        let copy = format!("COPY {TABLE} (id, geom, alt, t) FROM STDIN");
        let mut writer = match self.client.copy_in(&copy) {
            Ok(w) => w,
            Err(e) => {
                return Err(sql_error(
                    &self.target,
                    &format!("starting COPY into {TABLE}"),
                    e,
                ));
            }
        };
        let mut buf = String::with_capacity(COPY_CHUNK + 4096);
        let mut sent: Result<(), std::io::Error> = Ok(());
        for op in ops {
            copy_line(&mut buf, op);
            if buf.len() >= COPY_CHUNK {
                sent = writer.write_all(buf.as_bytes());
                buf.clear();
                if sent.is_err() {
                    break;
                }
            }
        }
        if sent.is_ok() && !buf.is_empty() {
            sent = writer.write_all(buf.as_bytes());
        }
        let what = format!("copying operations into {TABLE}");
        if let Err(source) = sent {
            // Dropping the writer without `finish` aborts the COPY.
            let detail = match source
                .get_ref()
                .and_then(|e| e.downcast_ref::<postgres::Error>())
            {
                Some(e) => describe(e),
                None => source.to_string(),
            };
            return Err(PostgisError::Copy {
                what,
                target: self.target.clone(),
                detail,
                source,
            });
        }
        // `finish` reports the server's verdict on the whole COPY.
        let copied = writer.finish().map_err(|e| self.sql(&what, e))?;
        let load = start.elapsed();

        let start = Instant::now();
        self.client
            .batch_execute(&format!(
                "ALTER TABLE {TABLE} ADD PRIMARY KEY (id); \
                 CREATE INDEX {TABLE}_geom_t_gist ON {TABLE} USING gist (geom, t); \
                 ANALYZE {TABLE};"
            ))
            .map_err(|e| self.sql(&format!("indexing and analyzing {TABLE}"), e))?;
        let statement = self
            .client
            .prepare(&query_sql())
            .map_err(|e| self.sql("preparing the intersection query", e))?;
        let index = start.elapsed();
        self.query = Some(statement);
        Ok(LoadReport {
            rows: usize::try_from(copied).unwrap_or(usize::MAX),
            load,
            index,
        })
    }

    /// The ids of the loaded operations that intersect `q` (time windows overlap half-open,
    /// altitude bands overlap closed, polygons intersect planar), sorted ascending.
    ///
    /// # Errors
    /// [`PostgisError::NotLoaded`] before a successful [`Self::load`],
    /// [`PostgisError::InvalidVolume`] for a query the table cannot compare faithfully, or
    /// [`PostgisError::Sql`].
    pub fn query(&mut self, q: &TheatreVolume) -> Result<Vec<u64>, PostgisError> {
        let Some(statement) = self.query.as_ref() else {
            return Err(PostgisError::NotLoaded);
        };
        check(q)?;
        let geom = ewkt(&q.polygon);
        let t = tstzrange_text(&q.t);
        let alt = numrange_text(q.alt);
        let rows = match self.client.query(statement, &[&geom, &t, &alt]) {
            Ok(rows) => rows,
            Err(e) => return Err(self.sql(&format!("querying {TABLE} for volume {}", q.id), e)),
        };
        rows.iter()
            .map(|row| {
                let id: i64 = row.get(0);
                u64::try_from(id).map_err(|_| PostgisError::UnexpectedId(id))
            })
            .collect()
    }

    /// The `EXPLAIN (ANALYZE, BUFFERS)` plan of the intersection query for `q`, one line per
    /// entry, to check that it uses the GiST index. It is planned for `q`'s values (a custom
    /// plan, as the prepared statement's first five executions are; the later generic plan uses
    /// the same index scan).
    ///
    /// # Errors
    /// As [`Self::query`].
    pub fn explain(&mut self, q: &TheatreVolume) -> Result<Vec<String>, PostgisError> {
        if self.query.is_none() {
            return Err(PostgisError::NotLoaded);
        }
        check(q)?;
        let geom = ewkt(&q.polygon);
        let t = tstzrange_text(&q.t);
        let alt = numrange_text(q.alt);
        let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {}", query_sql());
        match self.client.query(&sql, &[&geom, &t, &alt]) {
            Ok(rows) => Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect()),
            Err(e) => Err(self.sql(&format!("explaining the query for volume {}", q.id), e)),
        }
    }

    /// A [`PostgisError::Sql`] for `what` on this connection.
    fn sql(&self, what: &str, source: postgres::Error) -> PostgisError {
        sql_error(&self.target, what, source)
    }
}

/// A [`PostgisError::Sql`] for `what` on `target`.
fn sql_error(target: &str, what: &str, source: postgres::Error) -> PostgisError {
    PostgisError::Sql {
        what: what.to_owned(),
        target: target.to_owned(),
        detail: describe(&source),
        source,
    }
}

/// The intersection query: `$1` EWKT polygon, `$2` tstzrange text, `$3` numrange text.
///
/// `&&` on `(geom, t)` is what the GiST index answers (`ST_Intersects` would add the `geom &&`
/// index condition by itself; it is spelled out to keep the plan obvious); `alt &&` and the exact
/// `ST_Intersects` filter the few candidates. After five executions PostgreSQL switches to a
/// generic plan, an index scan on the GiST index with the parameters in its index condition.
fn query_sql() -> String {
    format!(
        "SELECT id FROM {TABLE} \
         WHERE geom && ST_GeomFromEWKT($1::text) \
           AND t && $2::text::tstzrange \
           AND alt && $3::text::numrange \
           AND ST_Intersects(geom, ST_GeomFromEWKT($1::text)) \
         ORDER BY id"
    )
}

/// Checks that `v` can be written to and compared in the table without any loss.
fn check(v: &TheatreVolume) -> Result<(), PostgisError> {
    let invalid = |reason: String| PostgisError::InvalidVolume { id: v.id, reason };
    if i64::try_from(v.id).is_err() {
        return Err(invalid("id does not fit a bigint".to_owned()));
    }
    if v.polygon.len() < 4 {
        return Err(invalid(format!(
            "ring has {} points, a closed polygon ring needs at least 4",
            v.polygon.len()
        )));
    }
    if v.polygon.first() != v.polygon.last() {
        return Err(invalid("ring is not closed".to_owned()));
    }
    if v.polygon.iter().flatten().any(|c| !c.is_finite()) {
        return Err(invalid("ring has a non-finite coordinate".to_owned()));
    }
    let [lo, hi] = v.alt;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(invalid(format!(
            "altitude band [{lo}, {hi}] is not finite and ordered"
        )));
    }
    let [start, end] = v.t;
    if start > end {
        return Err(invalid(format!(
            "time window starts {start} after it ends {end}"
        )));
    }
    if v.t.iter().any(|t| t.nanosecond() % 1000 != 0) {
        return Err(invalid(
            "time window has sub-microsecond precision, which PostgreSQL would round".to_owned(),
        ));
    }
    Ok(())
}

/// Appends one `COPY ... FROM STDIN` text-format line for `op` (`id`, EWKT, numrange, tstzrange
/// separated by tabs). None of the fields contains a tab, newline or backslash, so nothing needs
/// escaping.
fn copy_line(buf: &mut String, op: &TheatreVolume) {
    // Writing to a String cannot fail.
    let _ = write!(buf, "{}\t", op.id);
    push_ewkt(buf, &op.polygon);
    let _ = writeln!(
        buf,
        "\t{}\t{}",
        numrange_text(op.alt),
        tstzrange_text(&op.t)
    );
}

/// `SRID=4326;POLYGON((lon lat,...))` with every coordinate in Rust's shortest round-trip
/// formatting, so PostGIS parses back the very same `f64`s.
fn ewkt(ring: &[[f64; 2]]) -> String {
    let mut s = String::with_capacity(24 + ring.len() * 24);
    push_ewkt(&mut s, ring);
    s
}

/// Appends [`ewkt`] of `ring` to `buf`.
fn push_ewkt(buf: &mut String, ring: &[[f64; 2]]) {
    let _ = write!(buf, "SRID={SRID};POLYGON((");
    for (i, [lon, lat]) in ring.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        let _ = write!(buf, "{lon} {lat}");
    }
    buf.push_str("))");
}

/// The closed numrange `[lo,hi]`.
fn numrange_text([lo, hi]: [f64; 2]) -> String {
    format!("[{lo},{hi}]")
}

/// The half-open tstzrange `["start","end")` in RFC 3339 UTC.
fn tstzrange_text([start, end]: &[DateTime<Utc>; 2]) -> String {
    format!(
        "[\"{}\",\"{}\")",
        start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        end.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )
}

/// `target` of `config` as `postgresql://user@host:port/dbname`, never with the password.
fn redacted_target(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost".to_owned()
    } else {
        hosts.join(",")
    };
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgresql://{user}{hosts}/{db}")
}

/// The whole of `e`: for a server error its severity, message, detail and hint (which
/// `postgres::Error`'s own `Display` leaves out), otherwise its message and causes.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.to_string().replace('\n', "; ");
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let _ = write!(s, ": {c}");
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    fn volume() -> TheatreVolume {
        TheatreVolume {
            id: 17,
            polygon: vec![[36.5, 35.25], [36.6, 35.25], [36.6, 35.35], [36.5, 35.25]],
            alt: [120.5, 900.0],
            t: [at("2026-01-01T03:10:00Z"), at("2026-01-01T05:02:00Z")],
        }
    }

    #[test]
    fn ewkt_is_srid_prefixed_polygon_with_shortest_coordinates() {
        assert_eq!(
            ewkt(&volume().polygon),
            "SRID=4326;POLYGON((36.5 35.25,36.6 35.25,36.6 35.35,36.5 35.25))"
        );
    }

    #[test]
    fn ewkt_coordinates_round_trip_exactly() {
        let tricky = [
            36.4475559,
            0.1 + 0.2,
            -0.0,
            1e-7,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            -179.99999999999997,
            1.0 / 3.0,
        ];
        let ring: Vec<[f64; 2]> = tricky.iter().map(|&x| [x, -x]).collect();
        let text = ewkt(&ring);
        let body = text
            .strip_prefix("SRID=4326;POLYGON((")
            .and_then(|s| s.strip_suffix("))"))
            .expect("EWKT polygon");
        let parsed: Vec<[f64; 2]> = body
            .split(',')
            .map(|pt| {
                let (x, y) = pt.split_once(' ').expect("a space between lon and lat");
                [x.parse().expect("lon"), y.parse().expect("lat")]
            })
            .collect();
        assert_eq!(parsed.len(), ring.len());
        for (p, r) in parsed.iter().zip(&ring) {
            assert_eq!(p[0].to_bits(), r[0].to_bits(), "{text}");
            assert_eq!(p[1].to_bits(), r[1].to_bits(), "{text}");
        }
        // Plain decimal, never an exponent or a non-number PostGIS would not read.
        assert!(!body.contains(['e', 'E', 'N', 'i']), "{body}");
    }

    #[test]
    fn numrange_is_closed_and_tstzrange_half_open() {
        let v = volume();
        assert_eq!(numrange_text(v.alt), "[120.5,900]");
        assert_eq!(
            tstzrange_text(&v.t),
            "[\"2026-01-01T03:10:00Z\",\"2026-01-01T05:02:00Z\")"
        );
        let micro = [
            at("2026-01-01T03:10:00.000250Z"),
            at("2026-01-01T05:02:00.5Z"),
        ];
        assert_eq!(
            tstzrange_text(&micro),
            "[\"2026-01-01T03:10:00.000250Z\",\"2026-01-01T05:02:00.500Z\")"
        );
    }

    #[test]
    fn copy_line_is_four_tab_separated_fields() {
        let mut buf = String::new();
        copy_line(&mut buf, &volume());
        assert_eq!(
            buf,
            "17\tSRID=4326;POLYGON((36.5 35.25,36.6 35.25,36.6 35.35,36.5 35.25))\t\
             [120.5,900]\t[\"2026-01-01T03:10:00Z\",\"2026-01-01T05:02:00Z\")\n"
        );
        assert!(!buf.contains('\\'));
    }

    #[test]
    fn check_accepts_the_workload_and_rejects_what_would_not_round_trip() {
        assert!(check(&volume()).is_ok());
        let rejected = |f: fn(&mut TheatreVolume)| {
            let mut v = volume();
            f(&mut v);
            matches!(check(&v), Err(PostgisError::InvalidVolume { .. }))
        };
        assert!(rejected(|v| v.id = u64::MAX));
        assert!(rejected(|v| v.polygon.truncate(3)));
        assert!(rejected(|v| v.polygon[3] = [36.5, 35.26]));
        assert!(rejected(|v| v.polygon[1][0] = f64::NAN));
        assert!(rejected(|v| v.alt = [10.0, 5.0]));
        assert!(rejected(|v| v.alt[1] = f64::INFINITY));
        assert!(rejected(|v| v.t.swap(0, 1)));
        assert!(rejected(|v| v.t[0] = at("2026-01-01T03:10:00.000000001Z")));
        // An empty half-open window is representable (it overlaps nothing).
        let mut v = volume();
        v.t[1] = v.t[0];
        assert!(check(&v).is_ok());
    }

    #[test]
    fn target_never_shows_the_password() {
        for url in [
            "postgresql://alice:s3cret@db.example:6543/theatre",
            "host=db.example port=6543 user=alice password=s3cret dbname=theatre",
        ] {
            let config: Config = url.parse().expect(url);
            let target = redacted_target(&config);
            assert_eq!(target, "postgresql://alice@db.example:6543/theatre");
            assert!(!target.contains("s3cret"));
        }
    }

    #[test]
    fn missing_postgis_names_the_package_and_the_script() {
        let e = PostgisError::PostgisNotInstalled {
            target: "postgresql://postgres@127.0.0.1:5432/test".to_owned(),
            package: "postgresql-15-postgis-3".to_owned(),
        };
        assert_eq!(
            e.to_string(),
            "PostGIS is not installed in the server at postgresql://postgres@127.0.0.1:5432/test: \
             install Debian's postgresql-15-postgis-3 (scripts/install-postgis.sh)"
        );
    }

    #[test]
    fn query_filters_with_the_index_operators_then_the_exact_predicate() {
        let sql = query_sql();
        for part in [
            "geom && ST_GeomFromEWKT($1::text)",
            "t && $2::text::tstzrange",
            "alt && $3::text::numrange",
            "ST_Intersects(geom, ST_GeomFromEWKT($1::text))",
            "ORDER BY id",
        ] {
            assert!(sql.contains(part), "{part} missing from {sql}");
        }
    }
}
