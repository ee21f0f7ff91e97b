//! `deconflict bench theatre`: load the ops, build the index, run the queries single-client, and
//! optionally do the very same against PostgreSQL + PostGIS in the same run, checking that both
//! answer every query with identical hits.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use deconflict_core::{SpatialTemporalIndex, Volume4d};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::postgis::{PostgisBaseline, PostgisError};
use crate::theatre::{TheatreError, read_jsonl, read_volumes};

/// What to run.
#[derive(Debug, Clone)]
pub struct TheatreOptions {
    /// The ops file (`gen_theatre.py --kind ops`).
    pub ops: PathBuf,
    /// The queries file (`gen_theatre.py --kind queries`).
    pub queries: PathBuf,
    /// Where to write one line per query, `{"id": Q, "hits": [sorted op ids]}`.
    pub answers: Option<PathBuf>,
    /// A PostgreSQL URL to run the PostGIS baseline against.
    pub postgis: Option<String>,
}

/// Query figures of one engine.
#[derive(Debug, Clone, Serialize)]
pub struct QueryFigures {
    /// Queries run.
    pub queries: usize,
    /// Hits over all queries.
    pub total_hits: u64,
    /// Wall time of the whole query loop, seconds.
    pub seconds: f64,
    /// Queries per second, single client.
    pub queries_per_s: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Least-squares fit of each query's latency as `base_us + per_hit_us × hits`: the search
    /// cost apart from the cost of the answer, which grows with the answer.
    pub fit_base_us: f64,
    /// See `fit_base_us`.
    pub fit_per_hit_us: f64,
}

/// The in-process engine's figures.
#[derive(Debug, Clone, Serialize)]
pub struct InProcessReport {
    /// Ops loaded.
    pub ops: usize,
    /// Ops whose ring crosses itself (accepted, as PostGIS accepts them).
    pub self_intersecting_ops: usize,
    /// Reading, parsing and validating the ops file, seconds.
    pub read_s: f64,
    /// Building the index from the validated volumes (bulk load), seconds.
    pub build_s: f64,
    /// Resident memory of the whole process once the index is built, MiB.
    pub rss_mib: f64,
    /// Resident memory before the ops were read, MiB.
    pub rss_before_mib: f64,
    /// The query loop.
    pub query: QueryFigures,
}

/// The PostGIS baseline's figures, and the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PostgisReport {
    /// COPY of the ops, seconds.
    pub load_s: f64,
    /// GiST index build and ANALYZE, seconds.
    pub index_s: f64,
    /// The query loop.
    pub query: QueryFigures,
    /// Queries whose hits differ from the in-process engine's.
    pub mismatched_queries: usize,
    /// The first such query's id.
    pub first_mismatch: Option<u64>,
    /// In-process queries/s divided by PostGIS queries/s.
    pub speedup: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct TheatreReport {
    /// The in-process engine.
    pub in_process: InProcessReport,
    /// The PostGIS baseline, when asked for.
    pub postgis: Option<PostgisReport>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A workload file could not be read.
    #[error(transparent)]
    Theatre(#[from] TheatreError),
    /// The baseline failed.
    #[error("PostGIS baseline: {0}")]
    Postgis(#[from] PostgisError),
    /// The HTTP benchmark failed.
    #[error("HTTP benchmark: {0}")]
    Http(String),
    /// The answers file could not be written.
    #[error("writing answers to {path}: {source}")]
    Answers {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn rss_mib() -> f64 {
    memory_stats::memory_stats().map_or(f64::NAN, |m| m.physical_mem as f64 / 1048576.0)
}

/// Latencies in nanoseconds (3 significant digits, up to an hour), and each query's latency with
/// its number of hits for the fit.
pub(crate) struct Latencies(Histogram<u64>, Vec<(f64, f64)>);

impl Latencies {
    pub(crate) fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts; fall back to auto-resizing.
        Self(
            Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
                .or_else(|_| Histogram::new(3))
                .unwrap_or_else(|_| unreachable!("3 significant figures is valid")),
            Vec::new(),
        )
    }

    pub(crate) fn record(&mut self, d: Duration, hits: usize) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.0.saturating_record(ns);
        self.1.push((hits as f64, d.as_secs_f64() * 1e6));
    }

    /// Ordinary least squares of latency (µs) on hits: `(intercept, slope)`.
    fn fit(&self) -> (f64, f64) {
        let n = self.1.len() as f64;
        let (sx, sy) = self
            .1
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let (sxy, sxx) = self.1.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
            (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
        });
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        (my - slope * mx, slope)
    }

    pub(crate) fn figures(&self, queries: usize, total_hits: u64, wall: Duration) -> QueryFigures {
        let seconds = wall.as_secs_f64();
        let (fit_base_us, fit_per_hit_us) = self.fit();
        QueryFigures {
            queries,
            total_hits,
            seconds,
            queries_per_s: queries as f64 / seconds,
            p50_us: self.0.value_at_quantile(0.5) as f64 / 1000.0,
            p99_us: self.0.value_at_quantile(0.99) as f64 / 1000.0,
            fit_base_us,
            fit_per_hit_us,
        }
    }
}

/// Runs the in-process engine over `queries` — once untimed to warm caches, as the PostGIS
/// baseline is — returning the figures of the timed pass and each query's hits.
pub fn query_index(
    index: &SpatialTemporalIndex<u64>,
    queries: &[(u64, Volume4d)],
) -> (QueryFigures, Vec<Vec<u64>>) {
    let mut lat = Latencies::new();
    let mut answers = Vec::with_capacity(queries.len());
    let mut total_hits = 0u64;
    for (_, q) in queries {
        std::hint::black_box(index.query(std::slice::from_ref(q)));
    }
    let wall = Instant::now();
    for (_, q) in queries {
        let t = Instant::now();
        let hits = index.query(std::slice::from_ref(q));
        lat.record(t.elapsed(), hits.len());
        total_hits += hits.len() as u64;
        answers.push(hits);
    }
    let wall = wall.elapsed();
    (lat.figures(queries.len(), total_hits, wall), answers)
}

fn write_answers(
    path: &std::path::Path,
    queries: &[(u64, Volume4d)],
    answers: &[Vec<u64>],
) -> Result<(), BenchError> {
    let err = |source| BenchError::Answers {
        path: path.display().to_string(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
    #[derive(Serialize)]
    struct Answer<'a> {
        id: u64,
        hits: &'a [u64],
    }
    for ((id, _), hits) in queries.iter().zip(answers) {
        serde_json::to_writer(&mut out, &Answer { id: *id, hits }).map_err(|e| err(e.into()))?;
        writeln!(out).map_err(err)?;
    }
    out.flush().map_err(err)
}

/// Runs the theatre benchmark; `log` receives progress lines.
///
/// # Errors
/// A [`BenchError`] naming the file, line or step that failed.
pub fn run_theatre(
    opts: &TheatreOptions,
    log: &mut dyn FnMut(String),
) -> Result<TheatreReport, BenchError> {
    let limits = crate::theatre::limits();
    let rss_before_mib = rss_mib();
    let t = Instant::now();
    let ops = read_volumes(&opts.ops, &limits)?;
    let read_s = t.elapsed().as_secs_f64();
    log(format!("read {} ops in {read_s:.2} s", ops.len()));

    let n_ops = ops.len();
    let self_intersecting_ops = ops
        .iter()
        .filter(|(_, v)| !v.footprint().is_simple())
        .count();
    let t = Instant::now();
    // Consumes the volumes: each is freed once copied into the index.
    let index = SpatialTemporalIndex::bulk_load_volumes(ops);
    let build_s = t.elapsed().as_secs_f64();
    let rss = rss_mib();
    log(format!(
        "built the index in {build_s:.2} s; resident {rss:.0} MiB; {self_intersecting_ops} self-intersecting rings accepted"
    ));

    let queries = read_volumes(&opts.queries, &limits)?;
    let (query, answers) = query_index(&index, &queries);
    log(format!(
        "in process: {} queries, {:.0} queries/s, p50 {:.1} µs, p99 {:.1} µs, {} hits; latency ≈ {:.2} µs + {:.3} µs/hit",
        query.queries,
        query.queries_per_s,
        query.p50_us,
        query.p99_us,
        query.total_hits,
        query.fit_base_us,
        query.fit_per_hit_us
    ));
    if let Some(path) = &opts.answers {
        write_answers(path, &queries, &answers)?;
    }
    let in_process = InProcessReport {
        ops: n_ops,
        self_intersecting_ops,
        read_s,
        build_s,
        rss_mib: rss,
        rss_before_mib,
        query,
    };
    drop(index);

    let postgis = match &opts.postgis {
        None => None,
        Some(url) => Some(run_postgis(
            url,
            opts,
            &queries,
            &answers,
            &in_process,
            log,
        )?),
    };
    Ok(TheatreReport {
        in_process,
        postgis,
    })
}

fn run_postgis(
    url: &str,
    opts: &TheatreOptions,
    queries: &[(u64, Volume4d)],
    answers: &[Vec<u64>],
    in_process: &InProcessReport,
    log: &mut dyn FnMut(String),
) -> Result<PostgisReport, BenchError> {
    let mut pg = PostgisBaseline::connect(url)?;
    let load = pg.load(&read_jsonl(&opts.ops)?)?;
    log(format!(
        "PostGIS: loaded {} rows in {:.2} s, indexed in {:.2} s",
        load.rows,
        load.load.as_secs_f64(),
        load.index.as_secs_f64()
    ));
    let raw_queries = read_jsonl(&opts.queries)?;
    // One untimed pass warms the server's buffers and plan cache, as the in-process pass is warmed.
    for q in &raw_queries {
        pg.query(q)?;
    }
    let mut lat = Latencies::new();
    let mut total_hits = 0u64;
    let mut mismatched_queries = 0;
    let mut first_mismatch = None;
    let wall = Instant::now();
    for ((q, expected), (id, _)) in raw_queries.iter().zip(answers).zip(queries) {
        let t = Instant::now();
        let hits = pg.query(q)?;
        lat.record(t.elapsed(), hits.len());
        total_hits += hits.len() as u64;
        if &hits != expected || q.id != *id {
            mismatched_queries += 1;
            first_mismatch.get_or_insert(q.id);
        }
    }
    let query = lat.figures(raw_queries.len(), total_hits, wall.elapsed());
    let speedup = in_process.query.queries_per_s / query.queries_per_s;
    log(format!(
        "PostGIS: {:.0} queries/s, p50 {:.1} µs, p99 {:.1} µs, {} hits; latency ≈ {:.2} µs + {:.3} µs/hit; {} queries differ; in process is {speedup:.1}x faster",
        query.queries_per_s,
        query.p50_us,
        query.p99_us,
        query.total_hits,
        query.fit_base_us,
        query.fit_per_hit_us,
        mismatched_queries
    ));
    Ok(PostgisReport {
        load_s: load.load.as_secs_f64(),
        index_s: load.index.as_secs_f64(),
        query,
        mismatched_queries,
        first_mismatch,
        speedup,
    })
}
