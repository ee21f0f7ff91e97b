//! The embedded page and its assets are served with their content types and cache headers.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn get(path: &str, if_none_match: Option<&str>) -> axum::response::Response {
    let mut req = Request::get(path);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let Ok(req) = req.body(Body::empty()) else {
        unreachable!("a valid request")
    };
    let Ok(resp) = deconflict_web::routes::<()>().oneshot(req).await;
    resp
}

fn header_of(resp: &axum::response::Response, name: header::HeaderName) -> &str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn body(resp: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn the_page_is_html_and_revalidated() {
    let resp = get("/", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header_of(&resp, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header_of(&resp, header::CACHE_CONTROL), "no-cache");
    assert!(header_of(&resp, header::CONTENT_SECURITY_POLICY).contains("default-src 'self'"));
    let html = body(resp).await;
    assert!(html.contains("<title>deconflict</title>"), "{html}");
    assert!(
        html.contains("/assets/"),
        "the page names its assets: {html}"
    );
}

#[tokio::test]
async fn every_asset_the_page_names_is_served_with_its_type_and_cached_for_good() {
    let html = body(get("/", None).await).await;
    let named: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(named.iter().any(|p| p.ends_with(".js")), "{named:?}");
    assert!(named.iter().any(|p| p.ends_with(".css")), "{named:?}");
    for path in named {
        let resp = get(path, None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let want = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(header_of(&resp, header::CONTENT_TYPE), want, "{path}");
        assert_eq!(
            header_of(&resp, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let etag = header_of(&resp, header::ETAG).to_owned();
        assert!(etag.starts_with('"'), "{etag}");
        let again = get(path, Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_asset_is_404() {
    let resp = get("/assets/nope.js", None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
