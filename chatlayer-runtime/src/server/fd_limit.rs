//! How many connections the server may hold open: below the process's limit on open files,
//! so that it always has descriptors left to accept (and answer) the next client.

/// Descriptors kept free for everything that is not a client connection: the listener,
/// logs, the steps' own files and sockets (a database pool, an HTTP client).
const RESERVED: u64 = 128;

/// The default bound on open connections when the file limit allows more.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Raises the soft limit on open files to the hard limit (as Go's runtime does: the soft
/// limit is often 1,024, far below what a server needs), and returns the number of
/// connections the server may hold: `wanted` (or the default) if the limit allows it, else
/// what the limit allows.
pub(crate) fn max_connections(wanted: Option<usize>) -> usize {
    let wanted = wanted.unwrap_or(DEFAULT_MAX_CONNECTIONS).max(1);
    match raise_open_files_limit() {
        Some(limit) => {
            let allowed = usize::try_from(limit.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
            if allowed < wanted {
                tracing::info!(
                    "the limit on open files ({limit}) allows {allowed} connections at once, \
                     fewer than {wanted}; raise it (ulimit -n) to hold more"
                );
            }
            wanted.min(allowed.max(1))
        }
        None => wanted,
    }
}

/// The soft limit on open files after raising it to the hard limit, when the platform has
/// one.
#[cfg(unix)]
fn raise_open_files_limit() -> Option<u64> {
    // SAFETY: getrlimit and setrlimit only read and write the struct given to them.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        // An "infinite" limit is as good as none. `rlim_t` is not `u64` on every platform.
        #[allow(clippy::unnecessary_cast)]
        (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
    }
}

#[cfg(not(unix))]
fn raise_open_files_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_stays_below_the_limit_on_open_files() {
        let bound = max_connections(Some(usize::MAX));
        if let Some(limit) = raise_open_files_limit() {
            assert!(
                (bound as u64) + RESERVED <= limit.max(RESERVED + 1),
                "{bound} vs {limit}"
            );
        }
        assert_eq!(max_connections(Some(10)), 10);
    }
}
