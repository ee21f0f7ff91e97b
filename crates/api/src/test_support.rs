//! What the in-process HTTP tests share: the whole router over an embedded store in a temporary
//! directory, a verifier trusting a fresh development key, and one request at a time.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response};
use deconflict_service::{RandomOvns, Service, ServiceConfig, SystemClock};
use deconflict_store::embedded::EmbeddedStore;
use tower::ServiceExt as _;

use crate::auth::{DevKey, Verifier};
use crate::{AppState, router};

/// The router and the directory that holds its store (dropped with it).
pub struct TestApp {
    pub router: Router,
    /// The development key the verifier trusts, to mint tokens.
    pub key: DevKey,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// A fresh application; `/metrics` renders `metrics`.
    pub fn new(metrics: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let service = Service::new(
            store,
            ServiceConfig::default(),
            Arc::new(SystemClock),
            Arc::new(RandomOvns),
        );
        let key = DevKey::load_or_create(&dir.path().join("dev-key.pem")).unwrap();
        let verifier =
            Verifier::with_keys("deconflict-test", 30, &[&key.public_key_pem()], None).unwrap();
        let state = AppState {
            service: Arc::new(service),
            verifier: Arc::new(verifier),
        };
        Self {
            router: router(state, Arc::new(move || metrics.to_owned())),
            key,
            _dir: dir,
        }
    }

    /// A token for `party` with `scopes`, valid for an hour.
    pub fn token(&self, party: &str, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.key
            .mint(
                party,
                &scopes,
                "deconflict-test",
                std::time::Duration::from_secs(3600),
            )
            .unwrap()
    }

    /// One request with a bearer token and a JSON body (any bytes).
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: Vec<u8>,
    ) -> Response<Body> {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// One request without a token or body.
    pub async fn call(&self, method: Method, uri: &str) -> Response<Body> {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        self.router.clone().oneshot(request).await.unwrap()
    }
}

/// The body of an answer, as text.
pub async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}
