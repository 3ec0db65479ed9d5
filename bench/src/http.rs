//! A minimal HTTP/1.1 client over `std::net`, enough to check a server's answer before it is
//! loaded (the load itself is `wrk`'s job).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::Result;

/// One answer: status code, headers as sent, and the body.
#[derive(Debug)]
pub struct Answer {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The header lines, unparsed.
    pub headers: String,
    /// The body, de-chunked when the server used chunked encoding.
    pub body: Vec<u8>,
}

/// Places the quickstart's order at `addr`: `Ok` when it is answered 200, else what
/// happened.
pub fn place_order(addr: SocketAddr) -> Result<()> {
    let answer = post_json(addr, "/order", crate::ORDER_REQUEST)?;
    (answer.status == 200)
        .then_some(())
        .ok_or_else(|| format!("the order was answered HTTP {}", answer.status))
}

/// Sends `POST path` with a JSON `body` to `addr` and reads the whole answer.
pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> Result<Answer> {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, path, &request)
}

/// Sends `method path` with `headers` (whole lines, e.g. `Authorization: Bearer t`) and a
/// JSON `body` to `addr`, and reads the whole answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[String],
    body: &str,
) -> Result<Answer> {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    exchange(addr, path, &request)
}

/// Sends `GET path` to `addr` and reads the whole answer.
pub fn get(addr: SocketAddr, path: &str) -> Result<Answer> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    exchange(addr, path, &request)
}

/// Sends `request` (the bytes of one request to `path`, with `Connection: close`) and
/// reads the answer until the server closes.
fn exchange(addr: SocketAddr, path: &str, request: &str) -> Result<Answer> {
    let fail = |what: &str, error: std::io::Error| format!("{what} {addr}{path}: {error}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| fail("cannot connect to", e))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| fail("cannot set a timeout on", e))?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail("cannot send to", e))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| fail("cannot read the answer of", e))?;
    parse(&raw).ok_or_else(|| {
        format!(
            "{addr}{path} answered something that is not HTTP/1.1: {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Reads a whole HTTP/1.1 answer (status line, headers, body, de-chunked), as read until
/// the server closed; `None` when it is not one.
pub fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let body = &raw[split + 4..];
    let chunked = headers.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Some(Answer {
        status,
        headers: headers.to_owned(),
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_and_a_chunked_answer() {
        let plain = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!((plain.status, plain.body.as_slice()), (200, &b"{}"[..]));
        let chunked = parse(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.status, 201);
        assert_eq!(chunked.body, b"{\"a\":1}");
        assert!(parse(b"garbage").is_none());
    }
}
