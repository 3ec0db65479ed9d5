//! [`Readiness`]: whether a server takes new work, shared by the server (which turns it off
//! when it starts draining) and whatever answers readiness probes (`/readyz`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a server still takes new work: on until the server is told to stop, then off
/// for good while it drains. An app's `/readyz` answers from its own handle
/// ([`App::readiness`](crate::App::readiness)), which a [`Server`](super::Server) that
/// serves the app turns off ([`Server::for_app`](super::Server::for_app) or
/// [`Server::track`](super::Server::track)).
///
/// ```
/// use chatlayer_runtime::server::Readiness;
///
/// let readiness = Readiness::new();
/// let probe = readiness.clone();
/// assert!(probe.is_ready());
/// readiness.start_draining();
/// assert!(!probe.is_ready());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// A handle that is ready.
    pub fn new() -> Self {
        Readiness::default()
    }

    /// Turns readiness off, for good: the server is draining.
    pub fn start_draining(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether new work is still taken.
    pub fn is_ready(&self) -> bool {
        !self.is_draining()
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
