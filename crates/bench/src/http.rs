//! `deconflict bench theatre --url`: the theatre workload through the native API of one running
//! server, or of several nodes sharing one store (`--url` given more than once). The ops are
//! filed by concurrent writers (16 by default; each 409 is answered by filing again with the OVNs
//! it names, as a client that has now read them would; a 503 "Busy, retry" is retried after a
//! short pause and counted); the queries then run single-client and again from several concurrent
//! clients, and every answer of both passes is checked against the in-process index on the same
//! ops; and both client loops run against a do-nothing axum handler on this machine, so the
//! figures are read as a ratio to the cost of HTTP itself. Writer `i` and concurrent client `i`
//! talk to URL `i mod n`; the single client sends query `j` to URL `j mod n`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use deconflict_core::{SpatialTemporalIndex, VolumeSpec};
use serde::Serialize;
use serde_json::{Value, json};

use crate::run::{BenchError, Latencies, QueryFigures};
use crate::theatre::{TheatreVolume, limits, read_jsonl};

/// What to run.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Base URLs of the running nodes, e.g. `http://127.0.0.1:8080` (at least one; nodes of one
    /// store when more than one).
    pub urls: Vec<String>,
    /// A bearer token with `deconflict.write`.
    pub token: String,
    /// The ops file.
    pub ops: PathBuf,
    /// The queries file.
    pub queries: PathBuf,
    /// Concurrent writers while loading.
    pub writers: usize,
    /// Concurrent clients of the second query pass.
    pub query_clients: usize,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct HttpReport {
    /// Nodes the load was spread over (the number of URLs).
    pub nodes: usize,
    /// Concurrent writers while loading.
    pub writers: usize,
    /// Ops filed (the server refuses the self-intersecting rings the workload holds).
    pub filed: usize,
    /// Ops refused as invalid.
    pub invalid: usize,
    /// Filing time, seconds.
    pub load_s: f64,
    /// Conflict-checked writes per second while loading (including the retries with a key; not
    /// the attempts answered 503).
    pub writes_per_s: f64,
    /// Writes answered 503 (the store gave up on contention, or was unavailable) and retried.
    pub busy_writes: usize,
    /// The query loop against the server, single client (its queries spread over the nodes).
    pub query: QueryFigures,
    /// The same loop against a do-nothing handler.
    pub baseline: QueryFigures,
    /// Server queries/s over do-nothing queries/s.
    pub ratio_to_do_nothing: f64,
    /// Concurrent clients of the second query pass.
    pub query_clients: usize,
    /// The queries again, shared among `query_clients` concurrent clients (client `i` talking to
    /// node `i mod nodes`); `queries_per_s` is the aggregate, the latencies each request's.
    pub query_concurrent: QueryFigures,
    /// The concurrent pass against the do-nothing handler.
    pub baseline_concurrent: QueryFigures,
    /// Concurrent server queries/s over concurrent do-nothing queries/s.
    pub concurrent_ratio_to_do_nothing: f64,
    /// Queries answered 503 and retried (both passes).
    pub busy_queries: usize,
    /// Queries the server refused as invalid (self-intersecting rings), not compared.
    pub refused_queries: usize,
    /// Queries whose hits differ from the in-process index on the filed ops, in either pass.
    pub mismatched_queries: usize,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn uuid_of(id: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128(u128::from(id))
}

fn spec(v: &TheatreVolume) -> VolumeSpec {
    VolumeSpec {
        footprint: deconflict_core::FootprintSpec::Polygon {
            vertices: v.polygon.clone(),
        },
        altitude_lower_m: v.alt[0],
        altitude_upper_m: v.alt[1],
        time_start: v.t[0],
        time_end: v.t[1],
    }
}

fn io_err(url: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Http(format!("{url}: {e}"))
}

/// Times a request answered 503 is sent again before the benchmark gives up on it.
const BUSY_ATTEMPTS: u32 = 20;

/// Conflict rounds (409 naming missing OVNs) before the benchmark gives up on an op.
const CONFLICT_ROUNDS: u32 = 50;

/// A short, growing pause before sending a request answered 503 again (the server sends no
/// `Retry-After` a client could follow instead).
fn busy_pause(attempt: u32) {
    std::thread::sleep(Duration::from_millis(2 * u64::from(attempt.min(25))));
}

/// What the writers or the query clients share.
#[derive(Default)]
struct Shared {
    /// The next op or query to take.
    next: AtomicUsize,
    /// Requests counted as conflict-checked writes.
    writes: AtomicUsize,
    /// Requests answered 503.
    busy: AtomicUsize,
    /// Set on the first failure, so that the other threads stop too.
    stop: AtomicBool,
    /// The first failure.
    failure: Mutex<Option<BenchError>>,
    /// The body of the first 503, for the log.
    first_busy: Mutex<Option<String>>,
}

impl Shared {
    fn fail(&self, e: BenchError) {
        self.stop.store(true, Ordering::Relaxed);
        lock(&self.failure).get_or_insert(e);
    }

    fn busy(&self, body: &Value) {
        self.busy.fetch_add(1, Ordering::Relaxed);
        lock(&self.first_busy).get_or_insert_with(|| body.to_string());
    }

    /// The first failure, if any, ending the phase.
    fn check(&self) -> Result<(), BenchError> {
        lock(&self.failure).take().map_or(Ok(()), Err)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Files one op: `Ok(true)` filed, `Ok(false)` refused as invalid.
fn file_op(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    op: &TheatreVolume,
    shared: &Shared,
) -> Result<bool, BenchError> {
    let url = format!("{base}/v1/operations/{}", uuid_of(op.id));
    let mut key: Vec<Value> = Vec::new();
    let (mut conflicts, mut busy) = (0u32, 0u32);
    loop {
        let mut resp = agent
            .put(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(json!({ "volumes": [spec(op)], "key": key }))
            .map_err(|e| io_err(&url, e))?;
        let status = resp.status().as_u16();
        let body: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
        if status == 503 && busy < BUSY_ATTEMPTS {
            // Busy (the store gave up on contention) or unavailable: the write may or may not
            // have been made; filing it again says which ("Already exists" below).
            busy += 1;
            shared.busy(&body);
            busy_pause(busy);
            continue;
        }
        shared.writes.fetch_add(1, Ordering::Relaxed);
        match status {
            201 => return Ok(true),
            400 => return Ok(false),
            // The writer has now read them: it adds them to what it has seen.
            409 if body["missing_ovns"].is_array() => {
                conflicts += 1;
                if conflicts >= CONFLICT_ROUNDS {
                    return Err(io_err(
                        &url,
                        format!("still conflicting after {CONFLICT_ROUNDS} attempts"),
                    ));
                }
                key.extend(
                    body["missing_ovns"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
            409 if body["title"] == "Already exists" => return Ok(true),
            _ => return Err(io_err(&url, format!("answered {status}: {body}"))),
        }
    }
}

/// A query's sorted hits, or `None` when the server refused the query as invalid.
type Answer = Option<Vec<u64>>;

/// One query's answer and latency (including any pauses after a 503).
struct Timed {
    took: Duration,
    answer: Answer,
}

/// Runs one query against `base`.
fn query_once(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    body: &Value,
    shared: &Shared,
) -> Result<Timed, BenchError> {
    let target = format!("{base}/v1/operations/query");
    let t = Instant::now();
    let mut busy = 0u32;
    loop {
        let mut resp = agent
            .post(&target)
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(body)
            .map_err(|e| io_err(&target, e))?;
        let status = resp.status().as_u16();
        let v: Value = resp
            .body_mut()
            .read_json()
            .map_err(|e| io_err(&target, e))?;
        if status == 503 && busy < BUSY_ATTEMPTS {
            busy += 1;
            shared.busy(&v);
            busy_pause(busy);
            continue;
        }
        if status == 400 {
            return Ok(Timed {
                took: t.elapsed(),
                answer: None,
            });
        }
        if status != 200 {
            return Err(io_err(&target, format!("answered {status}: {v}")));
        }
        let mut hits: Vec<u64> = v["operations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["id"].as_str()?.parse::<uuid::Uuid>().ok())
            .map(|u| u.as_u128() as u64)
            .collect();
        hits.sort_unstable();
        return Ok(Timed {
            took: t.elapsed(),
            answer: Some(hits),
        });
    }
}

/// The figures of a pass from each query's latency and hits, and the wall time of the pass.
fn figures(timed: &[Timed], wall: Duration) -> QueryFigures {
    let mut lat = Latencies::new();
    let mut total = 0u64;
    for t in timed {
        let hits = t.answer.as_ref().map_or(0, Vec::len);
        lat.record(t.took, hits);
        total += hits as u64;
    }
    lat.figures(timed.len(), total, wall)
}

/// Runs every query once from one client, query `j` going to `urls[j mod n]`; each answer is its
/// sorted hits, or `None` if the server refused the query as invalid (the workload's
/// self-intersecting rings).
fn query_loop(
    urls: &[String],
    token: &str,
    bodies: &[Value],
    shared: &Shared,
) -> Result<(QueryFigures, Vec<Answer>), BenchError> {
    let agent = agent();
    let mut timed = Vec::with_capacity(bodies.len());
    let wall = Instant::now();
    for (j, body) in bodies.iter().enumerate() {
        let base = &urls[j % urls.len()];
        timed.push(query_once(&agent, base, token, body, shared)?);
    }
    let wall = wall.elapsed();
    Ok((
        figures(&timed, wall),
        timed.into_iter().map(|t| t.answer).collect(),
    ))
}

/// Runs every query once, shared among `clients` concurrent clients, client `i` talking to
/// `urls[i mod n]`; the answers are in query order.
fn query_clients(
    urls: &[String],
    token: &str,
    bodies: &[Value],
    clients: usize,
    shared: &Shared,
) -> Result<(QueryFigures, Vec<Answer>), BenchError> {
    let shared_next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Timed)>> = Mutex::new(Vec::with_capacity(bodies.len()));
    let wall = Instant::now();
    std::thread::scope(|s| {
        for c in 0..clients.max(1) {
            let (base, next, done) = (&urls[c % urls.len()], &shared_next, &done);
            s.spawn(move || {
                let agent = agent();
                let mut mine = Vec::new();
                while !shared.stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    match query_once(&agent, base, token, body, shared) {
                        Ok(t) => mine.push((i, t)),
                        Err(e) => shared.fail(e),
                    }
                }
                lock(done).extend(mine);
            });
        }
    });
    let wall = wall.elapsed();
    shared.check()?;
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    let timed: Vec<Timed> = done.into_iter().map(|(_, t)| t).collect();
    Ok((
        figures(&timed, wall),
        timed.into_iter().map(|t| t.answer).collect(),
    ))
}

/// A do-nothing axum server on an ephemeral loopback port: answers every query with no hits.
fn do_nothing_server() -> Result<String, BenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BenchError::Http(format!("starting a runtime: {e}")))?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| BenchError::Http(format!("binding: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| BenchError::Http(e.to_string()))?;
    let app = axum::Router::new().route(
        "/v1/operations/query",
        // It reads the body, as the real handler does, and answers no hits.
        axum::routing::post(|body: axum::body::Bytes| async move {
            std::hint::black_box(body);
            axum::Json(json!({ "operations": [] }))
        }),
    );
    std::thread::spawn(move || {
        // Runs for the rest of the process.
        let _ = rt.block_on(async { axum::serve(listener, app).await });
    });
    Ok(format!("http://{addr}"))
}

/// Runs the HTTP benchmark; `log` receives progress lines.
///
/// # Errors
/// A file, a server or the baseline failed.
pub fn run_http(opts: &HttpOptions, log: &mut dyn FnMut(String)) -> Result<HttpReport, BenchError> {
    let urls = &opts.urls;
    if urls.is_empty() {
        return Err(BenchError::Http("no server URL given".to_owned()));
    }
    let ops = read_jsonl(&opts.ops)?;
    let queries = read_jsonl(&opts.queries)?;
    let writers = opts.writers.max(1);
    let load = Shared::default();
    let filed_ids = Mutex::new(Vec::new());
    let invalid = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (base, ops, load, filed_ids, invalid) =
                (&urls[w % urls.len()], &ops, &load, &filed_ids, &invalid);
            s.spawn(move || {
                let agent = agent();
                while !load.stop.load(Ordering::Relaxed) {
                    let i = load.next.fetch_add(1, Ordering::Relaxed);
                    let Some(op) = ops.get(i) else { break };
                    match file_op(&agent, base, &opts.token, op, load) {
                        Ok(true) => lock(filed_ids).push(i),
                        Ok(false) => {
                            invalid.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => load.fail(e),
                    }
                }
            });
        }
    });
    load.check()?;
    let load_s = t.elapsed().as_secs_f64();
    let filed: Vec<usize> = filed_ids.into_inner().unwrap_or_else(|p| p.into_inner());
    let writes_per_s = load.writes.load(Ordering::Relaxed) as f64 / load_s;
    let busy_writes = load.busy.load(Ordering::Relaxed);
    log(format!(
        "filed {} ops over HTTP on {} node(s) with {writers} writers in {load_s:.1} s ({writes_per_s:.0} conflict-checked writes/s, {} refused as invalid, {busy_writes} answered 503 and retried)",
        filed.len(),
        urls.len(),
        invalid.load(Ordering::Relaxed)
    ));
    if let Some(body) = lock(&load.first_busy).as_ref() {
        log(format!("first 503 while filing: {body}"));
    }

    // The reference: the in-process index over exactly the filed ops.
    let lim = limits();
    let vols: Vec<(u64, deconflict_core::Volume4d)> = filed
        .iter()
        .filter_map(|&i| Some((ops[i].id, ops[i].to_volume(&lim).ok()?)))
        .collect();
    let index =
        SpatialTemporalIndex::bulk_load(vols.iter().map(|(id, v)| (*id, std::slice::from_ref(v))));
    let wrong = |answers: &[Answer]| -> Vec<bool> {
        queries
            .iter()
            .zip(answers)
            .map(|(q, got)| match (q.to_volume(&lim), got) {
                (Ok(v), Some(hits)) => index.query(std::slice::from_ref(&v)) != *hits,
                // Refused as invalid: the server's validation, not a wrong answer.
                (_, None) => false,
                (Err(_), Some(_)) => true,
            })
            .collect()
    };

    let bodies: Vec<Value> = queries
        .iter()
        .map(|q| json!({ "volumes": [spec(q)] }))
        .collect();
    let warm = &bodies[..bodies.len().min(500)];
    let clients = opts.query_clients.max(1);
    let reads = Shared::default();
    // Warm every node, then measure: single client, then concurrent clients.
    query_loop(urls, &opts.token, warm, &reads)?;
    let (query, answers) = query_loop(urls, &opts.token, &bodies, &reads)?;
    let (query_concurrent, answers_concurrent) =
        query_clients(urls, &opts.token, &bodies, clients, &reads)?;
    let refused_queries = answers.iter().filter(|a| a.is_none()).count();
    let mismatched_queries = wrong(&answers)
        .into_iter()
        .zip(wrong(&answers_concurrent))
        .filter(|(a, b)| *a || *b)
        .count();
    let busy_queries = reads.busy.load(Ordering::Relaxed);

    let base = [do_nothing_server()?];
    let idle = Shared::default();
    query_loop(&base, &opts.token, warm, &idle)?;
    let (baseline, _) = query_loop(&base, &opts.token, &bodies, &idle)?;
    let (baseline_concurrent, _) = query_clients(&base, &opts.token, &bodies, clients, &idle)?;
    let ratio_to_do_nothing = query.queries_per_s / baseline.queries_per_s;
    let concurrent_ratio_to_do_nothing =
        query_concurrent.queries_per_s / baseline_concurrent.queries_per_s;
    log(format!(
        "over HTTP, 1 client: {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs; do-nothing handler: {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs; ratio {:.2}",
        query.queries_per_s,
        query.p50_us,
        query.p99_us,
        baseline.queries_per_s,
        baseline.p50_us,
        baseline.p99_us,
        ratio_to_do_nothing
    ));
    log(format!(
        "over HTTP, {clients} clients on {} node(s): {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs; do-nothing handler: {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs; ratio {:.2}",
        urls.len(),
        query_concurrent.queries_per_s,
        query_concurrent.p50_us,
        query_concurrent.p99_us,
        baseline_concurrent.queries_per_s,
        baseline_concurrent.p50_us,
        baseline_concurrent.p99_us,
        concurrent_ratio_to_do_nothing
    ));
    log(format!(
        "{refused_queries} queries refused as invalid, {mismatched_queries} differ from in process, {busy_queries} answered 503 and retried"
    ));
    if let Some(body) = lock(&reads.first_busy).as_ref() {
        log(format!("first 503 while querying: {body}"));
    }
    Ok(HttpReport {
        nodes: urls.len(),
        writers,
        filed: filed.len(),
        invalid: invalid.load(Ordering::Relaxed),
        load_s,
        writes_per_s,
        busy_writes,
        query,
        baseline,
        ratio_to_do_nothing,
        query_clients: clients,
        query_concurrent,
        baseline_concurrent,
        concurrent_ratio_to_do_nothing,
        busy_queries,
        refused_queries,
        mismatched_queries,
    })
}
