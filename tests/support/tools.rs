// The outside tools some tests run, found while the test crate builds, so that a test whose
// tool is missing is reported as ignored (with what it needs) instead of passing without
// having checked anything. Included by the build script of each crate with such tests;
// `.ci/run` installs every tool and runs the ignored tests too (`--include-ignored`), where
// a missing tool fails (`external::find_tool`).
//
// Each tool: the cfg a test is gated on (`#[cfg_attr(not(tool_x), ignore = "...")]`), the
// variable that may name its path (as `external::find_tool` reads it), and its names on PATH.

const TOOLS: &[(&str, &str, &[&str])] = &[
    ("tool_chromium", "CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]),
    ("tool_chromedriver", "CHROMEDRIVER", &["chromedriver"]),
    ("tool_openapi_spec_validator", "OPENAPI_SPEC_VALIDATOR", &["openapi-spec-validator"]),
    ("tool_redocly", "REDOCLY", &["redocly"]),
    ("tool_hadolint", "HADOLINT", &["hadolint"]),
    ("tool_kubernetes_validate", "KUBERNETES_VALIDATE", &["kubernetes-validate"]),
    ("tool_prometheus", "PROMETHEUS", &["prometheus"]),
    ("tool_promtool", "PROMTOOL", &["promtool"]),
    ("tool_python3", "PYTHON", &["python3"]),
    ("tool_openapi_python_client", "OPENAPI_PYTHON_CLIENT", &["openapi-python-client"]),
    ("tool_openapi_typescript", "OPENAPI_TYPESCRIPT", &["openapi-typescript"]),
];

fn main() {
    println!("cargo::rerun-if-env-changed=PATH");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for (cfg, variable, names) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        let named = std::env::var_os(variable).filter(|value| !value.is_empty());
        let found = named.map(std::path::PathBuf::from).or_else(|| {
            std::env::split_paths(&path)
                .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
                .find(|candidate| candidate.is_file())
        });
        if let Some(found) = found {
            // Installed later, or removed: build again.
            println!("cargo::rerun-if-changed={}", found.display());
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
