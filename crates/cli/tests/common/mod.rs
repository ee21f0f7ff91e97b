//! The harness of the end-to-end tests: the real `deconflict` binary on an ephemeral loopback
//! port, a blocking HTTP client, and tokens minted with the data directory's development key.

#![allow(dead_code, reason = "each test binary uses part of the harness")]
#![allow(
    clippy::expect_used,
    reason = "test harness: a failure aborts the test with its reason"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deconflict_api::auth::DevKey;
use serde_json::{Value, json};

/// Which store a test's server keeps the airspace in: every HTTP test runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded store in the data directory.
    Embedded,
    /// A fresh database on the test PostgreSQL server (`DECONFLICT_TEST_POSTGRES`).
    Postgres,
}

/// Where a test's servers keep their state: a data directory (the development key, and the
/// embedded store) and, for [`Backend::Postgres`], a database. Outlives the servers, so that a
/// restarted or second server finds the same airspace.
pub struct Place {
    pub dir: tempfile::TempDir,
    pub db: Option<deconflict_store::postgres::testing::TempDatabase>,
}

impl Place {
    /// A fresh place for `backend`; panics naming the cause when no PostgreSQL server answers
    /// (the PostgreSQL tests fail, they are never skipped).
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = match backend {
            Backend::Embedded => None,
            Backend::Postgres => Some(
                deconflict_store::postgres::testing::TempDatabase::new()
                    .expect("a PostgreSQL test database (is the server of DECONFLICT_TEST_POSTGRES running?)"),
            ),
        };
        Self { dir, db }
    }

    /// The `--store` URL, if any.
    pub fn store(&self) -> Option<&str> {
        self.db.as_ref().map(|d| d.url())
    }
}

/// A running server.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    pub tokens: BTreeMap<String, String>,
}

impl Server {
    /// `deconflict demo` on a fresh (or given) data directory and port 0; waits for the banner.
    pub fn demo(data: &Path) -> Self {
        Self::start(data, None, &[])
    }

    /// `deconflict demo` on a place (its directory, and its database if any).
    pub fn demo_at(place: &Place) -> Self {
        Self::start(place.dir.path(), place.store(), &[])
    }

    /// `deconflict demo` on a data directory and optional database, with extra flags.
    pub fn start(data: &Path, store: Option<&str>, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_deconflict"));
        command
            .args(["demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra);
        if let Some(url) = store {
            command.args(["--store", url]);
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut base = None;
        let mut tokens = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.split("serving on ").nth(1) {
                assert_eq!(
                    rest.contains("store: PostgreSQL"),
                    store.is_some(),
                    "the server uses the store asked for: {line}"
                );
                base = rest.split_whitespace().next().map(str::to_owned);
            } else if let Some((party, token)) = line.trim().split_once(": ")
                && token.starts_with("ey")
            {
                tokens.insert(party.to_owned(), token.to_owned());
                if party == "demo-admin" {
                    break;
                }
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let base = base.expect("the server printed its address");
        Self {
            child,
            base,
            data: data.to_owned(),
            tokens,
        }
    }

    /// The token of a demo party.
    pub fn token(&self, party: &str) -> String {
        self.tokens.get(party).cloned().expect("a demo party")
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The development key of a data directory (the one the demo server trusts).
pub fn dev_key(data: &Path) -> DevKey {
    DevKey::load_or_create(&data.join("dev-key.pem")).expect("the demo's key")
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One request; `token` as bearer if given.
pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
    let agent = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    let result = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()
        }
        (m, b) => {
            let mut r = if m == "PUT" {
                agent.put(url)
            } else {
                agent.post(url)
            };
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send_json(b.cloned().unwrap_or(json!({})))
        }
    };
    let mut resp = result.expect("the server answers");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
        text,
    }
}

/// One request with a raw body (sent as `application/json`, whatever it holds).
pub fn call_raw(method: &str, url: &str, token: Option<&str>, body: &str) -> Answer {
    let agent = agent();
    let mut r = match method {
        "PUT" => agent.put(url),
        _ => agent.post(url),
    }
    .header("Content-Type", "application/json");
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = r.send(body).expect("the server answers");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
        text,
    }
}

/// A polygon volume over `[lon0, lat0]..[lon1, lat1]`, altitudes and an hour window `h0..h1`
/// counted from 2030-01-01T00:00Z.
pub fn box_volume(
    lon0: f64,
    lat0: f64,
    lon1: f64,
    lat1: f64,
    alt: (f64, f64),
    h0: i64,
    h1: i64,
) -> Value {
    let t = |h: i64| {
        (chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").expect("ok")
            + chrono::Duration::hours(h))
        .to_utc()
        .to_rfc3339()
    };
    json!({
        "footprint": {"type": "polygon", "vertices": [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1]]},
        "altitude_lower_m": alt.0, "altitude_upper_m": alt.1,
        "time_start": t(h0), "time_end": t(h1),
    })
}

/// A fresh entity id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads one HTTP request of a webhook delivery from `stream`: its `Idempotency-Key` and JSON
/// body (`Null` if the body is not JSON).
pub fn read_hook_request(stream: &std::net::TcpStream) -> (String, Value) {
    use std::io::Read;
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let (mut key, mut len) = (String::new(), 0usize);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("idempotency-key:") {
            key = v.trim().to_owned();
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    (key, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The demo parties that file operations.
pub const FILING_PARTIES: [&str; 4] = [
    "northern-air-force",
    "southern-air-force",
    "relief-agency",
    "observer-mission",
];

/// One round of a race: 16 clients released together, client `i` filing through `bases[i % n]`
/// with `tokens[i % 4]` a new operation over overlapping boxes in the hour window of `round`,
/// with the same (empty, so stale) key. Returns each client's status.
pub fn race_round(bases: &[String], tokens: &[String], round: i64) -> Vec<u16> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16usize)
        .map(|i| {
            let base = bases[i % bases.len()].clone();
            let token = tokens[i % tokens.len()].clone();
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                let v = box_volume(
                    45.0 + 0.001 * i as f64,
                    35.0,
                    45.2,
                    35.2,
                    (0.0, 1000.0),
                    round * 10,
                    round * 10 + 5,
                );
                let body = serde_json::json!({ "volumes": [v], "key": [] });
                barrier.wait();
                let url = format!("{base}/v1/operations/{}", new_id());
                call("PUT", &url, Some(&token), Some(&body)).status
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("a client"))
        .collect()
}

/// Asserts a race round had exactly one winner (201) and fifteen refusals (409).
pub fn assert_one_winner(statuses: &[u16], round: i64) {
    let won = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((won, refused), (1, 15), "round {round}: {statuses:?}");
}

/// One request with a raw body of `content_type`.
pub fn call_typed(
    method: &str,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Answer {
    // A bulk import can take a while on a loaded machine.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let mut r = match method {
        "PUT" => agent.put(url),
        _ => agent.post(url),
    }
    .header("Content-Type", content_type);
    if let Some(t) = token {
        r = r.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = r.send(body).expect("the server answers");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp
        .body_mut()
        .with_config()
        .limit(512 * 1024 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
        text,
    }
}

/// Every audit entry, in order.
pub fn audit_entries(base: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0u64;
    loop {
        let a = call(
            "GET",
            &format!("{base}/v1/audit?after={after}&limit=1000"),
            Some(token),
            None,
        );
        assert_eq!(a.status, 200, "{}", a.text);
        let entries = a.body["entries"].as_array().cloned().unwrap_or_default();
        out.extend(entries);
        match a.body["next_after"].as_u64() {
            Some(n) => after = n,
            None => return out,
        }
    }
}

/// Declares each named `fn(Backend)` as a test on the embedded store (`embedded::NAME`) and on
/// PostgreSQL (`postgres::NAME`). Use with `#[macro_use] mod common;`.
#[allow(unused_macros, reason = "each test binary uses part of the harness")]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[test] fn $name() { super::$name(super::Backend::Embedded) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })*
        }
    };
}
