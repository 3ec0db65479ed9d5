//! The server stays available while one machine attacks it, over real sockets: silent
//! connections are closed and cannot lock others out, slow bodies cannot starve the steps,
//! and stalled HTTP/2 connections are closed. The harness (`chatlayer-bench -- attack`)
//! repeats these at full scale against the quickstart binary.

use std::time::{Duration, Instant};

use bytes::Bytes;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::server::Server;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::{post_json, serve_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers at once.
#[api_step("/ping")]
async fn ping(name: Option<String>) -> Reply {
    Reply::new().add_message(format!("pong {}", name.unwrap_or_default()))
}

/// Whether the server closes `stream` within `within` (reading until end of stream).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Before, a connection that sent nothing stayed open forever (hyper's header timeout
/// starts with the first byte, and version detection has none).
#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_read_timeout() {
    let server = serve_on(
        Server::new().read_timeout(Duration::from_millis(300)),
        App::from_steps([ping::STEP]).build().unwrap(),
    )
    .await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.address()).await.unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(3)).await,
        "still open"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "closed too early"
    );

    // A keep-alive connection that goes idle after a request is closed too.
    let mut idle = TcpStream::connect(server.address()).await.unwrap();
    idle.write_all(b"POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(3)).await,
        "idle keep-alive still open"
    );
}

/// Before, silent connections up to the file limit made the server stop accepting, probes
/// included. Now the bound is below it, and silent ones make room for new clients.
#[tokio::test]
async fn silent_connections_cannot_lock_clients_out() {
    let server = serve_on(
        Server::new()
            .max_connections(20)
            .read_timeout(Duration::from_secs(30)),
        App::from_steps([ping::STEP]).build().unwrap(),
    )
    .await;
    let mut silent = Vec::new();
    for _ in 0..60 {
        silent.push(TcpStream::connect(server.address()).await.unwrap());
    }
    for round in 0..5 {
        let health = reqwest::get(server.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), 200, "round {round}");
        let answer = post_json(&server, "/ping", &json!({ "name": round })).await;
        assert_eq!(answer.status, 200, "round {round}");
        silent.push(TcpStream::connect(server.address()).await.unwrap());
    }
    // The oldest silent connections were closed to make room.
    assert!(closed_within(&mut silent[0], Duration::from_secs(2)).await);
}

/// A client trickling a body: headers, then one byte now and then.
async fn trickle(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.address()).await.unwrap();
    stream
        .write_all(b"POST /ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    stream
}

/// Before, a place among the requests served at once was taken before the body was read:
/// slow bodies kept every valid request at `503 overloaded` until they timed out.
#[tokio::test]
async fn slow_bodies_do_not_starve_the_steps() {
    let server = serve_on(
        Server::new().read_timeout(Duration::from_secs(30)),
        App::from_steps([ping::STEP])
            .limits(chatlayer_runtime::Limits::new().concurrent_requests(4))
            .build()
            .unwrap(),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        slow.push(trickle(&server).await);
    }
    for round in 0..10 {
        for stream in &mut slow {
            let _ = stream.write_all(b" ").await;
        }
        let answer = post_json(&server, "/ping", &json!({ "name": round })).await;
        assert_eq!(answer.status, 200, "round {round}: {}", answer.json);
    }
}

/// An HTTP/2 client on `server`, with its connection driven in the background.
async fn h2_client(server: &TestServer) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(server.address()).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client.ready().await.unwrap()
}

/// Over HTTP/2 the same: many streams trickling bodies leave valid requests served.
#[tokio::test]
async fn slow_http2_streams_do_not_starve_the_steps() {
    let server = serve_on(
        Server::new().read_timeout(Duration::from_secs(30)),
        App::from_steps([ping::STEP])
            .limits(chatlayer_runtime::Limits::new().concurrent_requests(4))
            .build()
            .unwrap(),
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut client = h2_client(&server).await;
        for _ in 0..40 {
            let request = axum::http::Request::post(server.url("/ping"))
                .header("content-type", "application/json")
                .header("content-length", "100")
                .body(())
                .unwrap();
            let Ok((response, mut body)) = client.send_request(request, false) else {
                break; // the connection's stream limit
            };
            let _ = body.send_data(Bytes::from_static(b"{"), false);
            held.push((response, body));
            client = client.ready().await.unwrap();
        }
    }
    assert!(held.len() >= 100, "only {} streams opened", held.len());
    for round in 0..5 {
        let answer = post_json(&server, "/ping", &json!({ "name": round })).await;
        assert_eq!(answer.status, 200, "round {round}: {}", answer.json);
    }
}

/// Before, an HTTP/2 connection stalled in the middle of a frame stayed open (130 s seen).
#[tokio::test]
async fn a_stalled_http2_connection_is_closed() {
    let server = serve_on(
        Server::new().read_timeout(Duration::from_millis(300)),
        App::from_steps([ping::STEP]).build().unwrap(),
    )
    .await;
    let mut stream = TcpStream::connect(server.address()).await.unwrap();
    // The preface, empty SETTINGS, then the first 5 bytes of a 9-byte frame header.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    stream
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .unwrap();
    stream.write_all(&[0, 0, 8, 1, 4]).await.unwrap();
    assert!(
        closed_within(&mut stream, Duration::from_secs(3)).await,
        "still open"
    );
}
