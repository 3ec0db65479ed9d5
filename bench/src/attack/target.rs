//! What is attacked: a server binary, and the step a well-behaved client calls on it.

use std::path::PathBuf;

/// A server the harness attacks, and what its probes ask of it.
#[derive(Clone, Debug)]
pub struct Target {
    /// How the report names it.
    pub name: &'static str,
    /// The binary, served on `CHATLAYER_ADDR`.
    pub binary: PathBuf,
    /// Where its liveness probe answers.
    pub health: &'static str,
    /// The step a probe calls (`POST`), and the slow bodies and wrk's load go to.
    pub step: &'static str,
    /// The step's request body.
    pub body: &'static str,
    /// What the step's answer contains when it is the step's own.
    pub answers: &'static str,
    /// A path no step answers that the framework's router answers (not a host's routes).
    pub unknown: Option<&'static str>,
}

impl Target {
    /// The quickstart's `POST /order`.
    pub fn quickstart(binary: PathBuf) -> Target {
        Target {
            name: "quickstart",
            binary,
            health: "/healthz",
            step: "/order",
            body: crate::ORDER_REQUEST,
            answers: "\"nextDialogstate\":\"thanks\"",
            unknown: Some("/no-such-step"),
        }
    }

    /// The `embed-axum` example: steps nested in a host axum app with its own routes and
    /// middleware, served by the framework's `Server`.
    pub fn embedded(binary: PathBuf) -> Target {
        Target {
            name: "embed-axum",
            binary,
            health: "/chatlayer/healthz",
            step: "/chatlayer/route/vip",
            body: r#"{"is_vip":true,"vip_desk":"thanks"}"#,
            answers: "\"nextDialogstate\":\"thanks\"",
            // The host's own fallback answers its unknown paths.
            unknown: None,
        }
    }
}
