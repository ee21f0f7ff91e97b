//! The web UI as the real binary serves it: the page and its assets at `/` under `demo` and
//! `serve`, the demo tokens for the sign-in page under `demo` only, and the event stream's first
//! tick. (The page itself is driven in a browser by `web/e2e`, run by `scripts/test.sh`.)

#![allow(
    clippy::expect_used,
    reason = "helpers of the tests: a failure aborts the test with its reason"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, call};

fn assets_of(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|s| s.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn demo_serves_the_page_its_assets_and_the_demo_tokens() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = Server::demo(dir.path());
    let page = call("GET", &format!("{}/", server.base), None, None);
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    let assets = assets_of(&page.text);
    assert!(!assets.is_empty(), "{}", page.text);
    for asset in assets {
        let a = call("GET", &format!("{}{asset}", server.base), None, None);
        assert_eq!(a.status, 200, "{asset}");
        assert!(
            a.content_type.starts_with("text/"),
            "{asset}: {}",
            a.content_type
        );
    }
    let tokens = call("GET", &format!("{}/demo/tokens", server.base), None, None);
    assert_eq!(tokens.status, 200);
    let listed = tokens.body["tokens"].as_array().expect("a list");
    assert_eq!(listed.len(), server.tokens.len());
    for t in listed {
        let party = t["party"].as_str().expect("a party");
        assert_eq!(t["token"].as_str(), Some(server.token(party).as_str()));
    }
    // The API is still the API: an unknown path is a problem, not the page.
    let missing = call("GET", &format!("{}/v1/nope", server.base), None, None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");
}

/// `deconflict serve` trusting the demo's public key (written by a first `demo` run).
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &std::path::Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_deconflict"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--jwt-public-key")
        .arg(data.join("dev-key.pub.pem"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
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
    Serve {
        child,
        base: base.expect("the server printed its address"),
    }
}

#[test]
fn serve_serves_the_page_but_never_the_demo_tokens() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let token = {
        let demo = Server::demo(dir.path());
        demo.token("northern-air-force")
    };
    let server = serve(dir.path());
    let page = call("GET", &format!("{}/", server.base), None, None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<title>deconflict</title>"));
    let tokens = call("GET", &format!("{}/demo/tokens", server.base), None, None);
    assert_eq!(tokens.status, 404, "{}", tokens.text);
    assert!(!tokens.text.contains(&token));

    // The event stream opens with a `ready` tick (read raw: the stream stays open).
    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    write!(
        stream,
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .expect("writes");
    let mut got = String::new();
    let mut buf = [0u8; 1024];
    while !got.contains("event: ready") {
        let n = stream.read(&mut buf).expect("reads");
        assert!(n > 0, "the stream closed: {got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.contains("content-type: text/event-stream"), "{got}");
}
