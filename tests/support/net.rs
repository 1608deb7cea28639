//! Loopback networking below HTTP clients: a free port, a plain client, and a raw HTTP/1.1
//! exchange for byte-exact assertions.

use std::net::{SocketAddr, TcpListener};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback address nothing listens on: bound, then released, for a server a test starts
/// later (or never, to prove what happens when nothing answers).
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

/// A plain HTTP client with no proxy, no cookie jar and no name overrides: for talking to a
/// server by its address, as a browser would.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client builds")
}

/// A response read straight off the socket.
#[derive(Debug)]
pub struct RawResponse {
    /// `HTTP/1.1 401 session expired`.
    pub status_line: String,
    /// Header lines as sent (names lowercased for lookup).
    pub headers: Vec<(String, String)>,
    /// Everything after the header block, as sent.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header named `name` (any case), in the order sent.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close` is added) and reads the whole answer.
pub async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let mut request = head
        .trim_end_matches("\r\n")
        .replace('\n', "\r\n")
        .replace("\r\r", "\r");
    request.push_str(&format!(
        "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.expect("writes");
    stream.write_all(body).await.expect("writes body");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("reads");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8(bytes[..split].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    RawResponse {
        status_line,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}
