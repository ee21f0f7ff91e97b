//! The OpenAPI document is committed and current, covers every route of the native API with its
//! scopes and failures, and is served with its docs page.

use std::collections::BTreeSet;
use std::path::PathBuf;

use axum::http::{Method, StatusCode, header};
use deconflict_service::{SCOPE_ADMIN, SCOPE_READ, SCOPE_REVIEW, SCOPE_WRITE};
use deconflict_store::embedded::EmbeddedStore;
use serde_json::Value;

use super::*;
use crate::test_support::{TestApp, text};

/// Every route of `native::routes()`, as `(method, path template)`. A route added there must be
/// added here and documented with `#[utoipa::path]` (and listed in `ApiDoc`'s `paths`).
const NATIVE_ROUTES: &[(&str, &str)] = &[
    ("PUT", "/v1/operations/{id}"),
    ("GET", "/v1/operations/{id}"),
    ("DELETE", "/v1/operations/{id}"),
    ("GET", "/v1/operations/{id}/conflicts"),
    ("POST", "/v1/operations/query"),
    ("PUT", "/v1/zones/{id}"),
    ("GET", "/v1/zones/{id}"),
    ("DELETE", "/v1/zones/{id}"),
    ("GET", "/v1/zones/{id}/conflicts"),
    ("POST", "/v1/zones/query"),
    ("GET", "/v1/parties"),
    ("PUT", "/v1/parties/{id}"),
    ("PUT", "/v1/parties/{id}/disclosure"),
    ("GET", "/v1/parties/{id}"),
    ("POST", "/v1/parties/{id}/withdraw"),
    ("POST", "/v1/parties/{id}/rejoin"),
    ("GET", "/v1/subscriptions"),
    ("PUT", "/v1/subscriptions/{id}"),
    ("GET", "/v1/subscriptions/{id}"),
    ("DELETE", "/v1/subscriptions/{id}"),
    ("GET", "/v1/inbox"),
    ("POST", "/v1/inbox/{id}/ack"),
    ("GET", "/v1/inbox/overdue"),
    ("GET", "/v1/acknowledgements/overdue"),
    ("GET", "/v1/events"),
    ("POST", "/v1/ceasefires"),
    ("GET", "/v1/ceasefires"),
    ("GET", "/v1/ceasefires/{id}"),
    ("POST", "/v1/ceasefires/{id}/accept"),
    ("POST", "/v1/ceasefires/{id}/denounce"),
    ("POST", "/v1/ceasefires/{id}/end"),
    ("PUT", "/v1/protected-sites/{id}"),
    ("GET", "/v1/protected-sites/{id}"),
    ("GET", "/v1/protected-sites"),
    ("POST", "/v1/protected-sites/import"),
    ("GET", "/v1/protected-sites/export"),
    ("POST", "/v1/protected-sites/{id}/reconfirm"),
    ("PUT", "/v1/separation-zones/{id}"),
    ("GET", "/v1/separation-zones"),
    ("POST", "/v1/reports"),
    ("GET", "/v1/reports"),
    ("GET", "/v1/reports/tallies"),
    ("GET", "/v1/reports/{id}"),
    ("POST", "/v1/reports/{id}/status"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/audit/key"),
];

/// The routes outside `native::routes()` that the document also describes.
const SERVICE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/docs"),
];

const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "PATCH"];

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

fn document_value() -> Value {
    serde_json::to_value(document()).unwrap()
}

/// Every `(METHOD, path)` the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                ops.insert((method.to_owned(), path.clone()));
            }
        }
    }
    ops
}

fn as_set(routes: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    routes
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect()
}

#[test]
fn the_committed_document_is_current() {
    let generated = document_json().unwrap();
    let path = committed_path();
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return;
    }
    let first_difference = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
    panic!(
        "docs/openapi.json is not the document the code generates (first difference at line {}: committed {:?}, \
         generated {:?}).\nIf the API changed on purpose, regenerate it with\n    \
         UPDATE_OPENAPI=1 cargo test -p deconflict-api openapi\nand commit it.",
        first_difference + 1,
        committed
            .lines()
            .nth(first_difference)
            .unwrap_or("<end of file>"),
        generated
            .lines()
            .nth(first_difference)
            .unwrap_or("<end of file>"),
    );
}

#[test]
fn the_document_describes_exactly_the_listed_routes() {
    let documented = documented(&document_value());
    let listed: BTreeSet<_> = as_set(NATIVE_ROUTES)
        .union(&as_set(SERVICE_ROUTES))
        .cloned()
        .collect();
    let undocumented: Vec<_> = listed.difference(&documented).collect();
    let unlisted: Vec<_> = documented.difference(&listed).collect();
    assert!(
        undocumented.is_empty() && unlisted.is_empty(),
        "routes without a #[utoipa::path] in ApiDoc: {undocumented:?}; documented routes missing \
         from NATIVE_ROUTES/SERVICE_ROUTES: {unlisted:?}"
    );
}

/// The path templates `native::routes()` registers, read from the router's `Debug` output (axum
/// offers no other way to list them).
fn registered_paths() -> BTreeSet<String> {
    let debug = format!("{:?}", crate::native::routes::<EmbeddedStore>());
    let paths: BTreeSet<String> = debug
        .split('"')
        .filter(|s| s.starts_with('/'))
        // axum's own: the catch-all of the default fallback, and the root it hangs from.
        .filter(|s| *s != "/" && !s.contains("__private__axum"))
        .map(str::to_owned)
        .collect();
    assert!(
        !paths.is_empty(),
        "axum's Debug of a Router no longer lists its paths: find another way to list them"
    );
    paths
}

/// A concrete path for a template.
fn concrete(template: &str) -> String {
    let id = if template.starts_with("/v1/parties/") {
        "some-party"
    } else if template.starts_with("/v1/inbox/") {
        "1"
    } else {
        "dec00000-0000-4000-8000-000000000001"
    };
    template.replace("{id}", id)
}

#[tokio::test]
async fn every_route_of_native_routes_is_listed_and_documented() {
    let listed = as_set(NATIVE_ROUTES);
    let listed_paths: BTreeSet<String> = listed.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(
        registered_paths(),
        listed_paths,
        "native::routes() and NATIVE_ROUTES name different paths: list and document the new ones"
    );
    // Each method of each path: a listed one reaches its handler (401 without a token), any
    // other is not routed (405).
    let app = TestApp::new("");
    for path in &listed_paths {
        for method in METHODS {
            let answer = app
                .call(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete(path),
                )
                .await;
            let expected = if listed.contains(&(method.to_owned(), path.clone())) {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::METHOD_NOT_ALLOWED
            };
            assert_eq!(
                answer.status(),
                expected,
                "{method} {path}: routed but not in NATIVE_ROUTES, or listed but not routed"
            );
        }
    }
}

#[test]
fn every_native_operation_names_its_scopes_and_failures() {
    let doc = document_value();
    let known = [SCOPE_READ, SCOPE_WRITE, SCOPE_ADMIN, SCOPE_REVIEW];
    for (method, path) in NATIVE_ROUTES {
        let op = &doc["paths"][path][method.to_lowercase()];
        let scopes: Vec<&str> = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} names no security"))
            .iter()
            .flat_map(|req| req[BEARER].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        assert!(!scopes.is_empty(), "{method} {path} names no scope");
        assert!(
            scopes.iter().all(|s| known.contains(s)),
            "{method} {path}: unknown scope in {scopes:?}"
        );
        let statuses: BTreeSet<&str> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut needed = vec!["401", "403", "500", "503"];
        if path.contains('{') || op["parameters"].as_array().is_some() {
            needed.push("400");
        }
        if op.get("requestBody").is_some() {
            needed.extend(["400", "413", "415", "422"]);
        }
        for status in needed {
            assert!(
                statuses.contains(status),
                "{method} {path} does not document {status}"
            );
        }
        assert!(
            statuses.iter().any(|s| s.starts_with('2')),
            "{method} {path} documents no success"
        );
    }
    let put_operation = &doc["paths"]["/v1/operations/{id}"]["put"]["responses"]["409"];
    let example = &put_operation["content"]["application/problem+json"]["example"];
    assert!(example["missing_ovns"].is_array() && example["missing"].is_array());
}

#[tokio::test]
async fn the_document_and_the_docs_page_are_served_without_a_token() {
    let app = TestApp::new("");
    let answer = app.call(Method::GET, "/v1/openapi.json").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(text(answer).await, document_json().unwrap());

    let answer = app.call(Method::GET, "/docs").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let page = text(answer).await;
    assert!(page.contains("/v1/openapi.json"));
    // Nothing to fetch from elsewhere: no absolute URL, no protocol-relative one.
    for needle in [
        "http:",
        "https:",
        "//cdn",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(",
    ] {
        assert!(!page.contains(needle), "the docs page refers to {needle}");
    }
}
