//! `deconflict bench theatre --url`: the theatre workload through a running server's native API.
//! The ops are filed by 16 concurrent writers (each 409 is answered by filing again with the OVNs
//! it names, as a client that has now read them would); the queries run single-client and their
//! hits are checked against the in-process index on the same ops; and the same client loop runs
//! against a do-nothing axum handler on this machine, so the figure is read as a ratio to the
//! cost of HTTP itself.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use deconflict_core::{SpatialTemporalIndex, VolumeSpec};
use serde::Serialize;
use serde_json::{Value, json};

use crate::run::{BenchError, Latencies, QueryFigures};
use crate::theatre::{TheatreVolume, limits, read_jsonl};

/// What to run.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Base URL of a running server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// A bearer token with `deconflict.write`.
    pub token: String,
    /// The ops file.
    pub ops: PathBuf,
    /// The queries file.
    pub queries: PathBuf,
    /// Concurrent writers while loading.
    pub writers: usize,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct HttpReport {
    /// Ops filed (the server refuses the self-intersecting rings the workload holds).
    pub filed: usize,
    /// Ops refused as invalid.
    pub invalid: usize,
    /// Filing time, seconds.
    pub load_s: f64,
    /// Conflict-checked writes per second while loading (including the retries with a key).
    pub writes_per_s: f64,
    /// The query loop against the server.
    pub query: QueryFigures,
    /// The same loop against a do-nothing handler.
    pub baseline: QueryFigures,
    /// Server queries/s over do-nothing queries/s.
    pub ratio_to_do_nothing: f64,
    /// Queries the server refused as invalid (self-intersecting rings), not compared.
    pub refused_queries: usize,
    /// Queries whose hits differ from the in-process index on the filed ops.
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

/// Files one op: `Ok(true)` filed, `Ok(false)` refused as invalid.
fn file_op(
    agent: &ureq::Agent,
    opts: &HttpOptions,
    op: &TheatreVolume,
    writes: &AtomicUsize,
) -> Result<bool, BenchError> {
    let url = format!("{}/v1/operations/{}", opts.url, uuid_of(op.id));
    let mut key: Vec<Value> = Vec::new();
    for _ in 0..50 {
        writes.fetch_add(1, Ordering::Relaxed);
        let mut resp = agent
            .put(&url)
            .header("Authorization", &format!("Bearer {}", opts.token))
            .send_json(json!({ "volumes": [spec(op)], "key": key }))
            .map_err(|e| io_err(&url, e))?;
        let status = resp.status().as_u16();
        let body: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
        match status {
            201 => return Ok(true),
            400 => return Ok(false),
            // The writer has now read them: it adds them to what it has seen.
            409 if body["missing_ovns"].is_array() => {
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
    Err(io_err(&url, "still conflicting after 50 attempts"))
}

/// A query's sorted hits, or `None` when the server refused the query as invalid.
type Answer = Option<Vec<u64>>;

/// Runs every query once; each answer is its sorted hits, or `None` if the server refused the
/// query as invalid (the workload's self-intersecting rings).
fn query_loop(
    url: &str,
    token: &str,
    queries: &[TheatreVolume],
) -> Result<(QueryFigures, Vec<Answer>), BenchError> {
    let agent = agent();
    let mut lat = Latencies::new();
    let mut answers = Vec::with_capacity(queries.len());
    let mut total = 0u64;
    let target = format!("{url}/v1/operations/query");
    let bodies: Vec<Value> = queries
        .iter()
        .map(|q| json!({ "volumes": [spec(q)] }))
        .collect();
    let wall = Instant::now();
    for body in &bodies {
        let t = Instant::now();
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
        if status == 400 {
            lat.record(t.elapsed(), 0);
            answers.push(None);
            continue;
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
        lat.record(t.elapsed(), hits.len());
        total += hits.len() as u64;
        answers.push(Some(hits));
    }
    Ok((lat.figures(queries.len(), total, wall.elapsed()), answers))
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
/// A file, the server or the baseline failed.
pub fn run_http(opts: &HttpOptions, log: &mut dyn FnMut(String)) -> Result<HttpReport, BenchError> {
    let ops = read_jsonl(&opts.ops)?;
    let queries = read_jsonl(&opts.queries)?;
    let next = AtomicUsize::new(0);
    let writes = AtomicUsize::new(0);
    let filed_ids = Mutex::new(Vec::new());
    let invalid = AtomicUsize::new(0);
    let failure: Mutex<Option<BenchError>> = Mutex::new(None);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..opts.writers.max(1) {
            s.spawn(|| {
                let agent = agent();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(op) = ops.get(i) else { break };
                    match file_op(&agent, opts, op, &writes) {
                        Ok(true) => filed_ids.lock().unwrap_or_else(|p| p.into_inner()).push(i),
                        Ok(false) => {
                            invalid.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            failure
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let load_s = t.elapsed().as_secs_f64();
    let filed: Vec<usize> = filed_ids.into_inner().unwrap_or_else(|p| p.into_inner());
    let writes_per_s = writes.load(Ordering::Relaxed) as f64 / load_s;
    log(format!(
        "filed {} ops over HTTP in {load_s:.1} s ({writes_per_s:.0} conflict-checked writes/s, {} refused as invalid)",
        filed.len(),
        invalid.load(Ordering::Relaxed)
    ));

    // The reference: the in-process index over exactly the filed ops.
    let lim = limits();
    let vols: Vec<(u64, deconflict_core::Volume4d)> = filed
        .iter()
        .filter_map(|&i| Some((ops[i].id, ops[i].to_volume(&lim).ok()?)))
        .collect();
    let index =
        SpatialTemporalIndex::bulk_load(vols.iter().map(|(id, v)| (*id, std::slice::from_ref(v))));

    // Warm both, then measure.
    query_loop(&opts.url, &opts.token, &queries[..queries.len().min(500)])?;
    let (query, answers) = query_loop(&opts.url, &opts.token, &queries)?;
    let refused_queries = answers.iter().filter(|a| a.is_none()).count();
    let mismatched_queries = queries
        .iter()
        .zip(&answers)
        .filter(|(q, got)| match (q.to_volume(&lim), got) {
            (Ok(v), Some(hits)) => index.query(std::slice::from_ref(&v)) != *hits,
            // Refused as invalid: the server's validation, not a wrong answer.
            (_, None) => false,
            (Err(_), Some(_)) => true,
        })
        .count();
    let base = do_nothing_server()?;
    query_loop(&base, &opts.token, &queries[..queries.len().min(500)])?;
    let (baseline, _) = query_loop(&base, &opts.token, &queries)?;
    let ratio_to_do_nothing = query.queries_per_s / baseline.queries_per_s;
    log(format!(
        "over HTTP: {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs, {} refused as invalid, {} differ from in process; do-nothing handler: {:.0} queries/s, p50 {:.0} µs, p99 {:.0} µs; ratio {:.2}",
        query.queries_per_s,
        query.p50_us,
        query.p99_us,
        refused_queries,
        mismatched_queries,
        baseline.queries_per_s,
        baseline.p50_us,
        baseline.p99_us,
        ratio_to_do_nothing
    ));
    Ok(HttpReport {
        filed: filed.len(),
        invalid: invalid.load(Ordering::Relaxed),
        load_s,
        writes_per_s,
        query,
        baseline,
        ratio_to_do_nothing,
        refused_queries,
        mismatched_queries,
    })
}
