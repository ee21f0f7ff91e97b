//! `GET /v1/events`: a Server-Sent Events stream of content-free change ticks, for clients (the
//! web UI) that redraw when anything changed. It carries no entity, geometry or party: a client
//! refetches what it shows through the disclosure-filtered endpoints.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use deconflict_service::{Caller, Service};
use deconflict_store::Store;
use futures_util::stream::{self, Stream, StreamExt as _};

use super::error::ApiError;
use super::responses::{Forbidden, InternalError, Unauthenticated, Unavailable};
use super::run;
use crate::{AppState, Authenticated};

/// How often the stream looks for a change (one read of the audit log's head).
pub const POLL: Duration = Duration::from_millis(500);
/// How often an idle stream sends a comment line, so that proxies keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Change ticks.
///
/// A `text/event-stream` (Server-Sent Events) that stays open: first an event `ready`, then an
/// event `changed` each time the service committed changes (any party's, any kind), both with
/// data `{"seq": N}`, the seq of the last entry of the audit log (which every party may read).
/// A tick says only that something changed: refetch what you show through the other endpoints,
/// which disclose as usual. Ticks coalesce (at most one per half second); a client that
/// reconnects compares `seq` to know whether it missed any. The token is checked when the
/// stream opens. Browsers' `EventSource` cannot send an `Authorization` header: read the stream
/// with `fetch` instead.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "inbox",
    security(("bearer" = ["deconflict.read"]), ("bearer" = ["deconflict.write"])),
    responses(
        (status = 200, description = "The stream: `event: ready` then `event: changed` lines, \
            each with `data: {\"seq\": N}`", body = String, content_type = "text/event-stream"),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
pub(crate) async fn events<S: Store>(
    State(state): State<AppState<S>>,
    Authenticated(caller): Authenticated,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let service = Arc::clone(&state.service);
    let c = caller.clone();
    let first = run(&service, move |s| s.change_seq(&c)).await?;
    Ok(Sse::new(ticks(service, caller, first)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn tick(name: &'static str, seq: u64) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event(name)
        .data(format!("{{\"seq\":{seq}}}")))
}

/// `ready` at `first`, then `changed` whenever the seq moves; ends if the store fails (the
/// client reconnects).
fn ticks<S: Store>(
    service: Arc<Service<S>>,
    caller: Caller,
    first: u64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::once(async move { tick("ready", first) }).chain(stream::unfold(
        (service, caller, first),
        |(service, caller, last)| async move {
            loop {
                tokio::time::sleep(POLL).await;
                let c = caller.clone();
                match run(&service, move |s| s.change_seq(&c)).await {
                    Ok(seq) if seq != last => {
                        return Some((tick("changed", seq), (service, caller, seq)));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("event stream ends: {e:?}");
                        return None;
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use crate::test_support::TestApp;

    async fn next_frame(body: &mut Body) -> String {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("a frame within 10 s")
            .expect("the stream is open")
            .expect("a frame");
        String::from_utf8(frame.into_data().expect("data").to_vec()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_change_by_another_party_is_a_content_free_tick() {
        let app = TestApp::new("");
        let north = app.token("north", &["deconflict.read", "deconflict.write"]);
        let south = app.token("south", &["deconflict.read", "deconflict.write"]);
        let request = Request::get("/v1/events")
            .header("authorization", format!("Bearer {north}"))
            .body(Body::empty())
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let mut body = response.into_body();
        let ready = next_frame(&mut body).await;
        assert!(
            ready.starts_with("event: ready\ndata: {\"seq\":"),
            "{ready}"
        );

        let op =
            br#"{"volumes":[{"footprint":{"type":"circle","center":[37.2,36.2],"radius_m":500},
            "altitude_lower_m":0,"altitude_upper_m":100,
            "time_start":"2030-01-01T00:00:00Z","time_end":"2030-01-01T01:00:00Z"}]}"#;
        let put = app
            .send(
                Method::PUT,
                "/v1/operations/00000000-0000-4000-8000-0000000000e1",
                &south,
                op.to_vec(),
            )
            .await;
        assert_eq!(put.status(), StatusCode::CREATED);
        let changed = next_frame(&mut body).await;
        assert!(
            changed.starts_with("event: changed\ndata: {\"seq\":"),
            "{changed}"
        );
        // Nothing of the change itself: no id, owner or geometry.
        assert!(
            !changed.contains("south") && !changed.contains("0000e1"),
            "{changed}"
        );
        assert!(!changed.contains("37.2"), "{changed}");
    }

    #[tokio::test]
    async fn the_stream_needs_a_token() {
        let app = TestApp::new("");
        let response = app.call(Method::GET, "/v1/events").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
