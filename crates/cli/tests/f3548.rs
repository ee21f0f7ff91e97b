//! The F3548 DSS conformance suite: every `/dss/v1` endpoint of `../shared/specs/utm.yaml`, over
//! HTTP, against the real binary (`deconflict serve`) on loopback, trusting one RSA public key
//! as a third-party deployment would, on both stores. Written from the standard; where it is
//! silent the expected answers are the InterUSS reference DSS's, as `docs/f3548.md` lists.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests: a failure aborts the test with its reason"
)]

#[path = "f3548/availability.rs"]
mod availability;
mod common;
#[path = "f3548/conformance.rs"]
mod conformance;
#[path = "f3548/constraints.rs"]
mod constraints;
#[path = "f3548/limits.rs"]
mod limits;
#[path = "f3548/oir.rs"]
mod oir;
#[path = "f3548/subscriptions.rs"]
mod subscriptions;
#[path = "f3548/tokens.rs"]
mod tokens;
#[path = "f3548/uss.rs"]
mod uss;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use common::{Answer, Backend, Place, call};
use serde_json::{Value, json};

/// The audience the suite's server answers to (deployments use the DSS's host name).
pub const AUD: &str = "dss.example.com";

/// Scope: strategic coordination.
pub const SC: &str = "utm.strategic_coordination";
/// Scope: constraint management.
pub const CM: &str = "utm.constraint_management";
/// Scope: constraint processing.
pub const CP: &str = "utm.constraint_processing";
/// Scope: conformance monitoring for situational awareness.
pub const CMSA: &str = "utm.conformance_monitoring_sa";
/// Scope: availability arbitration.
pub const AA: &str = "utm.availability_arbitration";

/// What a non-manager sees instead of an OVN.
pub const NO_OVN: &str = "Available from USS";
/// The subscription id of an operational intent without one.
pub const NULL_SUB: &str = "00000000-0000-4000-8000-000000000000";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../api/tests/fixtures/auth")
        .join(name)
}

/// `deconflict serve` on a place, trusting the test RSA key, audience [`AUD`].
pub struct Dss {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _place: Place,
}

impl Drop for Dss {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dss {
    /// A server with default settings.
    pub fn start(backend: Backend) -> Self {
        Self::start_with(backend, &[])
    }

    /// A server with extra flags.
    pub fn start_with(backend: Backend, extra: &[&str]) -> Self {
        let place = Place::new(backend);
        let mut command = Command::new(env!("CARGO_BIN_EXE_deconflict"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--audience",
                AUD,
                "--log-json",
            ])
            .arg("--data")
            .arg(place.dir.path())
            .arg("--jwt-public-key")
            .arg(fixture("test-only-rsa-public.pem"))
            .args(extra);
        if let Some(url) = place.store() {
            deconflict_store::postgres::migrate(url).expect("the test database migrates");
            command.args(["--store", url]);
        }
        let mut child = command
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut base = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.split("serving on http://").nth(1) {
                let addr: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
                base = Some(format!("http://{addr}"));
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            base: base.expect("the server printed its address"),
            _place: place,
        }
    }

    /// `base/dss/v1/path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/dss/v1/{path}", self.base)
    }

    /// GET.
    pub fn get(&self, path: &str, token: &str) -> Answer {
        call("GET", &self.url(path), Some(token), None)
    }

    /// PUT.
    pub fn put(&self, path: &str, token: &str, body: &Value) -> Answer {
        call("PUT", &self.url(path), Some(token), Some(body))
    }

    /// POST.
    pub fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        call("POST", &self.url(path), Some(token), Some(body))
    }

    /// DELETE.
    pub fn delete(&self, path: &str, token: &str) -> Answer {
        call("DELETE", &self.url(path), Some(token), None)
    }
}

/// An RS256 token for `sub` with `scopes`, signed by the test key the server trusts.
pub fn token(sub: &str, scopes: &[&str]) -> String {
    token_with(&json!({
        "iss": "https://auth.example.com/",
        "sub": sub,
        "aud": AUD,
        "scope": scopes.join(" "),
        "exp": Utc::now().timestamp() + 3600,
        "iat": Utc::now().timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

/// An RS256 token with exactly these claims, signed by the trusted test key.
pub fn token_with(claims: &Value) -> String {
    let pem = std::fs::read(fixture("test-only-rsa-private.pem")).expect("the test key");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("an RSA key");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .expect("signed")
}

/// A `Time` `minutes` from now.
pub fn time(minutes: i64) -> Value {
    json!({
        "value": (Utc::now() + chrono::Duration::minutes(minutes))
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        "format": "RFC3339",
    })
}

/// An `Altitude` in metres above WGS84.
pub fn alt(m: f64) -> Value {
    json!({"value": m, "reference": "W84", "units": "M"})
}

/// A `Volume4D`: a square of side `d` degrees at (`lat`, `lng`), altitudes, minutes from now.
pub fn square(lat: f64, lng: f64, d: f64, alts: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({
        "volume": {
            "outline_polygon": {"vertices": [
                {"lat": lat, "lng": lng}, {"lat": lat, "lng": lng + d},
                {"lat": lat + d, "lng": lng + d}, {"lat": lat + d, "lng": lng},
            ]},
            "altitude_lower": alt(alts.0),
            "altitude_upper": alt(alts.1),
        },
        "time_start": time(minutes.0),
        "time_end": time(minutes.1),
    })
}

/// A `Volume4D` circle of `radius_m` at (`lat`, `lng`).
pub fn circle(lat: f64, lng: f64, radius_m: f64, alts: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({
        "volume": {
            "outline_circle": {
                "center": {"lat": lat, "lng": lng},
                "radius": {"value": radius_m, "units": "M"},
            },
            "altitude_lower": alt(alts.0),
            "altitude_upper": alt(alts.1),
        },
        "time_start": time(minutes.0),
        "time_end": time(minutes.1),
    })
}

/// The default test volume: a 0.01° square near (34.0, -118.0), 0–120 m, from now to +60 min.
pub fn here() -> Value {
    square(34.0, -118.0, 0.01, (0.0, 120.0), (0, 60))
}

/// `PutOperationalIntentReferenceParameters` without a subscription.
pub fn oir_params(extents: &[Value], state: &str, key: &[&str]) -> Value {
    json!({
        "extents": extents,
        "key": key,
        "state": state,
        "uss_base_url": "https://uss.example.com/utm",
    })
}

/// A fresh version-4 id.
pub fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Asserts a status, showing the body when it differs.
#[track_caller]
pub fn expect(a: &Answer, status: u16) -> &Value {
    assert_eq!(
        a.status, status,
        "expected {status}, got {}: {}",
        a.status, a.text
    );
    if status >= 400 {
        assert!(
            a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error answer is an ErrorResponse with a message: {}",
            a.text
        );
    }
    &a.body
}

/// Creates an Accepted operational intent of `uss` (no subscription); returns (id, ovn).
pub fn create_oir(dss: &Dss, uss: &str, extents: &[Value], key: &[&str]) -> (String, String) {
    let oir = id();
    let a = dss.put(
        &format!("operational_intent_references/{oir}"),
        &token(uss, &[SC]),
        &oir_params(extents, "Accepted", key),
    );
    let body = expect(&a, 201);
    let ovn = body["operational_intent_reference"]["ovn"]
        .as_str()
        .expect("an ovn")
        .to_owned();
    (oir, ovn)
}

/// A native volume (`/v1`): a square of side `d` degrees at (`lat`, `lng`), 0–120 m, minutes
/// from now.
pub fn native_square(lat: f64, lng: f64, d: f64, minutes: (i64, i64)) -> Value {
    let t = |m: i64| (Utc::now() + chrono::Duration::minutes(m)).to_rfc3339();
    json!({
        "footprint": {"type": "polygon", "vertices": [
            [lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d],
        ]},
        "altitude_lower_m": 0.0, "altitude_upper_m": 120.0,
        "time_start": t(minutes.0), "time_end": t(minutes.1),
    })
}

/// Files an operation of native `party` through `/v1` (`PUT /v1/operations/{id}`); returns its
/// id and OVN.
pub fn file_native(dss: &Dss, party: &str, volumes: &[Value], state: &str) -> (String, String) {
    let op = id();
    let a = call(
        "PUT",
        &format!("{}/v1/operations/{op}", dss.base),
        Some(&token(party, &["deconflict.read", "deconflict.write"])),
        Some(&json!({"state": state, "volumes": volumes})),
    );
    assert_eq!(a.status, 201, "{}", a.text);
    let ovn = a.body["operation"]["ovn"]
        .as_str()
        .unwrap_or_else(|| panic!("an OVN in {}", a.text))
        .to_owned();
    (op, ovn)
}

/// Runs each named test on both stores.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[test] fn $name() { super::$name($crate::common::Backend::Embedded) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name($crate::common::Backend::Postgres) })*
        }
    };
}
