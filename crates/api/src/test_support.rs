//! What the in-process HTTP tests share: the whole router over an embedded store in a temporary
//! directory, a verifier trusting a fresh development key, and one request at a time.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response};
use deconflict_service::{AuditSigner, RandomOvns, Service, ServiceConfig, SystemClock};
use deconflict_store::Store;
use deconflict_store::embedded::EmbeddedStore;
use deconflict_store::postgres::testing::TempDatabase;
use tower::ServiceExt as _;

use crate::auth::{DevKey, Verifier};
use crate::{AppState, router};

/// Which store an in-process test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStore {
    /// The embedded store in a temporary directory.
    Embedded,
    /// A fresh database on the test PostgreSQL server (`DECONFLICT_TEST_POSTGRES`).
    Postgres,
}

/// The router and what holds its store (dropped with it).
pub struct TestApp {
    pub router: Router,
    /// The development key the verifier trusts, to mint tokens.
    pub key: DevKey,
    // The router (and its store) drop first, then the database and the directory.
    _db: Option<TempDatabase>,
    _dir: tempfile::TempDir,
}

fn state_over<S: Store>(store: S, key: &DevKey) -> AppState<S> {
    let service = Service::new(
        store,
        // Every in-process test keeps an audit log, so that each exercises the auditing wrapper.
        ServiceConfig {
            audit: Some(Arc::new(AuditSigner::new(
                deconflict_core::ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
            ))),
            ..ServiceConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(RandomOvns),
    );
    let verifier =
        Verifier::with_keys("deconflict-test", 30, &[&key.public_key_pem()], None).unwrap();
    AppState {
        service: Arc::new(service),
        verifier: Arc::new(verifier),
    }
}

impl TestApp {
    /// A fresh application on the embedded store; `/metrics` renders `metrics`.
    pub fn new(metrics: &'static str) -> Self {
        Self::on(TestStore::Embedded, metrics)
    }

    /// A fresh application on `store`; `/metrics` renders `metrics`. Panics naming the cause when
    /// no PostgreSQL server answers: the tests fail, they are not skipped.
    pub fn on(store: TestStore, metrics: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = DevKey::load_or_create(&dir.path().join("dev-key.pem")).unwrap();
        let render = Arc::new(move || metrics.to_owned());
        let (router, db) = match store {
            TestStore::Embedded => {
                let store = EmbeddedStore::open(dir.path()).unwrap();
                (router(state_over(store, &key), render), None)
            }
            TestStore::Postgres => {
                let db = TempDatabase::new()
                    .expect("a PostgreSQL test database (is DECONFLICT_TEST_POSTGRES running?)");
                let store = db.open().unwrap();
                (router(state_over(store, &key), render), Some(db))
            }
        };
        Self {
            router,
            key,
            _db: db,
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
