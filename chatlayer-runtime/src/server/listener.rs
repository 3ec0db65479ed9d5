//! Closing the listener without resetting a connection its client believes open.
//!
//! When a listening socket closes, the kernel resets every connection it holds that the
//! server has not accepted: those whose handshake completed while the server was not
//! looking, and those whose handshake is under way, whose client already counts them as
//! open and may have sent its request. Under a client that reconnects at once (as every
//! keep-alive client does once told `Connection: close`), a few such connections are
//! always there.
//!
//! So, on Linux, the server first gives the listener a socket filter that drops new
//! connection requests (TCP segments with SYN and without ACK): a client that tries from
//! then on retries a second later and finds the port closed, so it knows nothing was sent.
//! Handshakes under way still complete; the server accepts them for a round trip's time,
//! answers each one request, and only then closes the listener. Elsewhere, the listener is
//! closed right after the last accept, which leaves the small window described above.

use tokio::net::TcpListener;

/// Makes the kernel drop new connection requests to `listener`, and says whether it could.
#[cfg(target_os = "linux")]
pub(super) fn refuse_new_handshakes(listener: &TcpListener) -> bool {
    use std::os::fd::AsRawFd;

    // Classic BPF over the TCP header: load the flags byte, keep SYN and ACK, drop the
    // segment when only SYN is set, let everything else through.
    const TCP_FLAGS_OFFSET: u32 = 13;
    const SYN: u32 = 0x02;
    const SYN_AND_ACK: u32 = 0x12;
    let code = |class: u32| class as u16;
    let mut program = [
        libc::sock_filter {
            code: code(libc::BPF_LD | libc::BPF_B | libc::BPF_ABS),
            jt: 0,
            jf: 0,
            k: TCP_FLAGS_OFFSET,
        },
        libc::sock_filter {
            code: code(libc::BPF_ALU | libc::BPF_AND | libc::BPF_K),
            jt: 0,
            jf: 0,
            k: SYN_AND_ACK,
        },
        libc::sock_filter {
            code: code(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K),
            jt: 0,
            jf: 1,
            k: SYN,
        },
        // Drop: keep no byte of the segment.
        libc::sock_filter {
            code: code(libc::BPF_RET | libc::BPF_K),
            jt: 0,
            jf: 0,
            k: 0,
        },
        // Accept: keep all of it.
        libc::sock_filter {
            code: code(libc::BPF_RET | libc::BPF_K),
            jt: 0,
            jf: 0,
            k: u32::MAX,
        },
    ];
    let filter = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: the descriptor is the listener's and open for the call; the program is valid
    // for the call, which copies it into the kernel.
    let attached = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            std::ptr::from_ref(&filter).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if attached != 0 {
        tracing::debug!(
            "cannot filter new connections before closing the listener: {}",
            std::io::Error::last_os_error()
        );
    }
    attached == 0
}

#[cfg(not(target_os = "linux"))]
pub(super) fn refuse_new_handshakes(_listener: &TcpListener) -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpStream;

    use super::*;

    #[tokio::test]
    async fn new_connections_wait_and_queued_ones_are_still_accepted() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let queued = TcpStream::connect(address).await.unwrap();
        assert!(refuse_new_handshakes(&listener));
        // The SYN is dropped: the client waits for its retry, and nothing completes.
        let late = tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(address));
        assert!(late.await.is_err(), "a new connection completed");
        let (accepted, _) = listener.accept().await.unwrap();
        assert_eq!(accepted.peer_addr().unwrap(), queued.local_addr().unwrap());
    }
}
