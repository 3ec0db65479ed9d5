//! The well-behaved clients of an attack: a probe that asks for `/healthz` and places an
//! order at a steady pace, each on a fresh connection with a deadline, and counts what was
//! answered.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::target::Target;
use crate::http::{self, Answer};

/// How long a probe waits for its answer: far longer than a healthy server takes.
const PROBE_DEADLINE: Duration = Duration::from_secs(3);

/// What the probes saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Probes {
    /// The liveness probe sent, and answered 200.
    pub health: (u32, u32),
    /// The step called, and answered 200 with the step's own reply.
    pub order: (u32, u32),
}

impl Probes {
    /// Whether every probe was answered.
    pub fn all_answered(&self) -> bool {
        self.health.0 == self.health.1 && self.order.0 == self.order.1 && self.health.0 > 0
    }

    /// `answered/sent` for both, for the report.
    pub fn describe(&self) -> String {
        format!(
            "health {}/{}, step {}/{}",
            self.health.1, self.health.0, self.order.1, self.order.0
        )
    }
}

/// Probes `addr` every `every` until `until` completes, each probe on its own task so that
/// a probe left waiting does not delay the next; waits for the last ones' answers.
pub async fn probe_until(
    addr: SocketAddr,
    target: &Target,
    every: Duration,
    until: impl std::future::Future<Output = ()>,
) -> Probes {
    let mut sent = Vec::new();
    let mut ticks = tokio::time::interval(every);
    let mut until = std::pin::pin!(until);
    loop {
        tokio::select! {
            () = &mut until => break,
            _ = ticks.tick() => {}
        }
        let (health_path, step, body, answers) =
            (target.health, target.step, target.body, target.answers);
        sent.push(tokio::spawn(async move {
            let health = matches!(
                request(addr, "GET", health_path, "").await,
                Ok(Answer { status: 200, .. })
            );
            let order = matches!(
                request(addr, "POST", step, body).await,
                Ok(Answer { status: 200, body, .. })
                    if String::from_utf8_lossy(&body).contains(answers)
            );
            (health, order)
        }));
    }
    let mut probes = Probes::default();
    for probe in sent {
        let (health, order) = probe.await.unwrap_or((false, false));
        probes.health.0 += 1;
        probes.health.1 += u32::from(health);
        probes.order.0 += 1;
        probes.order.1 += u32::from(order);
    }
    probes
}

/// One request on a fresh connection, answered within the deadline.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<Answer, String> {
    tokio::time::timeout(PROBE_DEADLINE, async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|error| format!("connect: {error}"))?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|error| format!("write: {error}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|error| format!("read: {error}"))?;
        http::parse(&answer)
            .ok_or_else(|| format!("not HTTP: {:?}", String::from_utf8_lossy(&answer)))
    })
    .await
    .map_err(|_| "no answer within the deadline".to_owned())?
}
