//! Request metrics: a middleware that counts every answer in `http_requests_total{method, route,
//! status}` and times it in `http_request_duration_seconds{method, route}`, through the `metrics`
//! facade. The recorder is the binary's (Prometheus, rendered at `/metrics`); without one the
//! macros do nothing.
//!
//! `route` is the route template that matched (`/v1/operations/{id}`), never the raw path, and
//! `method` is one of the standard methods or `OTHER`, so that no client can make the label sets
//! grow without bound. Requests that match no route count under `route="unmatched"`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Name of the request counter.
pub const REQUESTS_TOTAL: &str = "http_requests_total";
/// Name of the latency histogram.
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
/// Upper bounds of the latency histogram's buckets, in seconds: from a cached read (about a
/// millisecond) to a write waiting on a slow disk.
pub const REQUEST_DURATION_BUCKETS_S: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The `route` label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::PUT => "PUT",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// The middleware (`axum::middleware::from_fn(record)`), to be layered on the router so that the
/// matched route is known.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS_TOTAL, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_DURATION, "method" => method, "route" => route).record(elapsed);
    response
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use metrics_util::MetricKind;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    use super::*;
    use crate::test_support::TestApp;

    /// `(kind, name, labels sorted)` of every metric recorded while `requests` are answered.
    fn recorded(requests: &[(Method, &str)]) -> Vec<(MetricKind, String, Vec<String>, DebugValue)> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let app = TestApp::new("");
                for (method, uri) in requests {
                    app.call(method.clone(), uri).await;
                }
            });
        });
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let (kind, key) = key.into_parts();
                let mut labels: Vec<String> = key
                    .labels()
                    .map(|l| format!("{}={}", l.key(), l.value()))
                    .collect();
                labels.sort();
                (kind, key.name().to_owned(), labels, value)
            })
            .collect()
    }

    #[test]
    fn requests_are_counted_and_timed_by_route_template() {
        let got = recorded(&[
            (
                Method::GET,
                "/v1/operations/dec00000-0000-4000-8000-000000000001",
            ),
            (
                Method::GET,
                "/v1/operations/dec00000-0000-4000-8000-000000000002",
            ),
            (Method::GET, "/no/such/path/9f8e7d"),
            (Method::from_bytes(b"BREW").unwrap(), "/healthz"),
        ]);
        let labels = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let find = |kind: MetricKind, name: &str, l: &[&str]| {
            got.iter()
                .find(|(k, n, ls, _)| *k == kind && n == name && *ls == labels(l))
                .map(|(_, _, _, v)| v)
                .unwrap_or_else(|| panic!("no {name} {l:?} in {got:?}"))
        };
        assert_eq!(
            find(
                MetricKind::Counter,
                REQUESTS_TOTAL,
                &["method=GET", "route=/v1/operations/{id}", "status=401"]
            ),
            &DebugValue::Counter(2)
        );
        match find(
            MetricKind::Histogram,
            REQUEST_DURATION,
            &["method=GET", "route=/v1/operations/{id}"],
        ) {
            DebugValue::Histogram(samples) => assert_eq!(samples.len(), 2),
            other => panic!("not a histogram: {other:?}"),
        }
        find(
            MetricKind::Counter,
            REQUESTS_TOTAL,
            &["method=GET", "route=unmatched", "status=404"],
        );
        find(
            MetricKind::Counter,
            REQUESTS_TOTAL,
            &["method=OTHER", "route=/healthz", "status=405"],
        );
        // No raw path ever becomes a label.
        assert!(
            !format!("{got:?}").contains("dec00000") && !format!("{got:?}").contains("9f8e7d"),
            "{got:?}"
        );
    }
}
