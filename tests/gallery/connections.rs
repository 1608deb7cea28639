//! The server's connection bounds, over real sockets: half-open and idle connections are
//! closed after the header timeout while others are served, connections past the cap wait
//! until one closes, and oversized heads and bodies are refused.

use std::time::Duration;

use een_gallery::server::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::gallery::{Served, TestApp, serve_with, start};
use crate::support::net::plain_client;

/// Longest a test waits for the server to close a connection it must close.
const CLOSE_WITHIN: Duration = Duration::from_secs(10);

fn limits(header_timeout: Duration, max_connections: usize) -> Limits {
    Limits {
        header_timeout,
        max_connections,
        ..Limits::default()
    }
}

/// The gallery in front of its simulator, served within `limits` (the app is returned to
/// keep the simulator running).
async fn gallery(limits: Limits) -> (TestApp, Served) {
    let app = start().await;
    let served = serve_with(app.router.clone(), limits, Duration::from_secs(1)).await;
    (app, served)
}

/// A connection that sent the start of a request and never finishes its headers.
async fn half_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: gallery\r\n")
        .await
        .expect("write");
    stream
}

/// Reads until the server closes the connection; what it read.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    tokio::time::timeout(CLOSE_WITHIN, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    seen
}

#[tokio::test]
async fn half_open_connections_are_closed_after_the_header_timeout_while_others_are_served() {
    let (_app, served) = gallery(limits(Duration::from_millis(300), 1024)).await;
    let addr = served.addr;
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(half_open(addr).await);
    }
    // Meanwhile, whole requests are answered at once.
    let client = plain_client();
    for path in ["/healthz", "/?seed=3"] {
        let page = client
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("answered while 200 connections dawdle");
        assert_eq!(page.status(), reqwest::StatusCode::OK, "{path}");
    }
    for stream in &mut slow {
        let answer = read_until_closed(stream).await;
        // hyper closes without an answer, or with a 408; never with a page.
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let (_app, served) = gallery(limits(Duration::from_millis(300), 1024)).await;
    let addr = served.addr;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: gallery\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        !text.contains("connection: close"),
        "kept alive at first: {text}"
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let (_app, served) = gallery(limits(Duration::from_secs(60), 3)).await;
    let addr = served.addr;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(half_open(addr).await);
    }
    let client = plain_client();
    let mut waiting = tokio::spawn(client.get(format!("http://{addr}/healthz")).send());
    // Not served while the three connections hold every place (the header timeout is a
    // minute, so nothing else frees one).
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut waiting)
            .await
            .is_err(),
        "a fourth connection was served past a cap of three"
    );
    drop(held.pop());
    let answer = tokio::time::timeout(CLOSE_WITHIN, waiting)
        .await
        .expect("served once a place is free")
        .expect("task")
        .expect("answered");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused() {
    let (_app, served) = gallery(Limits::default()).await;
    let addr = served.addr;
    let client = plain_client();
    let head = client
        .get(format!("http://{addr}/healthz"))
        .header("x-padding", "a".repeat(Limits::MAX_HEADER_BYTES + 1))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        head.status(),
        reqwest::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let body = client
        .post(format!("http://{addr}/een/disconnect"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .expect("answered");
    assert_eq!(body.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
}
