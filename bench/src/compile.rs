//! The compile-time benchmark: one generated crate with N steps written with
//! `#[api_step]`, and the same N steps written as plain axum handlers (a typed request
//! struct and a JSON reply each). Dependencies are built once, untimed; then each crate's own
//! build is timed over several rounds, the two crates taking turns.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::report::median;
use crate::{Result, target_dir, tools, workspace_root};

/// How the compile-time benchmark runs.
#[derive(Clone, Debug)]
pub struct CompileSettings {
    /// How many steps (handlers) each crate has.
    pub steps: usize,
    /// Timed builds per crate and profile.
    pub rounds: u32,
    /// The cargo profiles to time, e.g. `dev` and `release`.
    pub profiles: Vec<&'static str>,
}

/// The two crates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Steps written with `#[api_step]`.
    Framework,
    /// The same steps as plain axum handlers.
    Axum,
}

impl Flavor {
    fn package(self) -> &'static str {
        match self {
            Flavor::Framework => "steps-framework",
            Flavor::Axum => "steps-axum",
        }
    }

    /// The name in the report.
    pub fn label(self) -> &'static str {
        match self {
            Flavor::Framework => "chatlayer-rs `#[api_step]`",
            Flavor::Axum => "plain axum handlers",
        }
    }
}

/// The timings of one profile.
#[derive(Clone, Debug)]
pub struct ProfileResult {
    /// The cargo profile.
    pub profile: &'static str,
    /// Each round's build time of the framework crate.
    pub framework: Vec<Duration>,
    /// Each round's build time of the axum crate.
    pub axum: Vec<Duration>,
    /// The binaries' sizes in bytes: framework, axum.
    pub sizes: (u64, u64),
}

/// Generates both crates, builds their dependencies, and times their own builds.
pub fn run(settings: &CompileSettings) -> Result<Vec<ProfileResult>> {
    let root = target_dir().join("bench").join("compile");
    let shared_target = root.join("target");
    for flavor in [Flavor::Framework, Flavor::Axum] {
        generate(&root.join(flavor.package()), flavor, settings.steps)?;
    }
    let mut results = Vec::new();
    for &profile in &settings.profiles {
        for flavor in [Flavor::Framework, Flavor::Axum] {
            eprintln!(
                "building the dependencies of {} ({profile})",
                flavor.package()
            );
            build(&root, flavor, profile, &shared_target)?;
        }
        let mut framework = Vec::new();
        let mut axum = Vec::new();
        for round in 0..settings.rounds {
            for flavor in [Flavor::Framework, Flavor::Axum] {
                touch(&root.join(flavor.package()).join("src/main.rs"))?;
                let took = build(&root, flavor, profile, &shared_target)?;
                eprintln!(
                    "round {}/{}: {} ({profile}) built in {:.2} s",
                    round + 1,
                    settings.rounds,
                    flavor.package(),
                    took.as_secs_f64()
                );
                match flavor {
                    Flavor::Framework => framework.push(took),
                    Flavor::Axum => axum.push(took),
                }
            }
        }
        let binary = |flavor: Flavor| {
            let dir = if profile == "dev" { "debug" } else { profile };
            shared_target.join(dir).join(flavor.package())
        };
        check_framework_binary(&binary(Flavor::Framework), settings.steps)?;
        let size = |path: PathBuf| {
            fs::metadata(&path)
                .map(|meta| meta.len())
                .map_err(|error| format!("cannot read {}: {error}", path.display()))
        };
        results.push(ProfileResult {
            profile,
            framework,
            axum,
            sizes: (
                size(binary(Flavor::Framework))?,
                size(binary(Flavor::Axum))?,
            ),
        });
    }
    Ok(results)
}

/// The Markdown section of the results.
pub fn markdown(settings: &CompileSettings, results: &[ProfileResult]) -> String {
    let mut text = format!(
        "### Compile time\n\n\
         A generated crate with {} steps written with `#[api_step]` against the same {} steps \
         as plain axum handlers (a typed request struct and a JSON reply each). Dependencies \
         are built first and not timed; each number is the median of {} builds of the crate \
         itself, the two crates taking turns.\n\n\
         | Profile | `#[api_step]` build | plain axum build | ratio | `#[api_step]` binary | plain axum binary | ratio |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        settings.steps, settings.steps, settings.rounds
    );
    for result in results {
        let seconds =
            |times: &[Duration]| median(times.iter().map(Duration::as_secs_f64).collect());
        let (framework, axum) = (seconds(&result.framework), seconds(&result.axum));
        let (framework_size, axum_size) = result.sizes;
        let _ = writeln!(
            text,
            "| {} | {framework:.2} s | {axum:.2} s | {:.2}x | {:.1} MiB | {:.1} MiB | {:.2}x |",
            result.profile,
            framework / axum,
            framework_size as f64 / 1048576.0,
            axum_size as f64 / 1048576.0,
            framework_size as f64 / axum_size as f64,
        );
    }
    text
}

fn build(root: &Path, flavor: Flavor, profile: &str, target: &Path) -> Result<Duration> {
    let manifest = root.join(flavor.package()).join("Cargo.toml");
    let started = Instant::now();
    tools::run(
        &format!("build {}", flavor.package()),
        Command::new(tools::cargo())
            .args(["build", "--quiet", "--profile", profile, "--manifest-path"])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", target)
            .env("CARGO_INCREMENTAL", "0"),
    )?;
    Ok(started.elapsed())
}

/// Makes cargo see `path` as changed, so the crate itself is rebuilt.
fn touch(path: &Path) -> Result<()> {
    let file = fs::File::options()
        .append(true)
        .open(path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))?;
    file.set_modified(std::time::SystemTime::now())
        .map_err(|error| format!("cannot touch {}: {error}", path.display()))
}

/// The framework binary must list every generated step: the build produced a real app.
fn check_framework_binary(binary: &Path, steps: usize) -> Result<()> {
    let listing = tools::run(
        "list the generated steps",
        Command::new(binary).arg("steps"),
    )?;
    let found = listing
        .lines()
        .filter(|line| line.contains("/step-"))
        .count();
    if found != steps {
        return Err(format!(
            "{} lists {found} steps, not {steps}:\n{listing}",
            binary.display()
        ));
    }
    Ok(())
}

/// Writes the crate of `flavor` with `steps` steps into `dir`, with the workspace's lock
/// file so both crates build the same dependency versions as the workspace.
pub fn generate(dir: &Path, flavor: Flavor, steps: usize) -> Result<()> {
    let root = workspace_root();
    let dependencies = match flavor {
        Flavor::Framework => format!(
            "chatlayer-runtime = {{ path = {:?} }}\n\
             tokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n",
            root.join("chatlayer-runtime")
        ),
        Flavor::Axum => "axum = { version = \"0.8\", default-features = false, features = \
                         [\"http1\", \"http2\", \"json\", \"query\", \"form\", \"tokio\"] }\n\
                         tokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\", \"net\"] }\n\
                         serde = { version = \"1\", features = [\"derive\"] }\n\
                         serde_json = \"1\"\n"
            .to_owned(),
    };
    let manifest = format!(
        "# Generated by chatlayer-bench (bench/src/compile.rs); not part of the workspace.\n\
         [package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{dependencies}\n[workspace]\n",
        flavor.package()
    );
    let source = match flavor {
        Flavor::Framework => framework_source(steps),
        Flavor::Axum => axum_source(steps),
    };
    tools::write(&dir.join("Cargo.toml"), &manifest)?;
    tools::write(
        &dir.join("Cargo.lock"),
        &tools::read(&root.join("Cargo.lock"))?,
    )?;
    let main = dir.join("src/main.rs");
    // Rewrite only when it changed, so a rerun does not rebuild for nothing.
    if fs::read_to_string(&main).ok().as_deref() != Some(source.as_str()) {
        tools::write(&main, &source)?;
    }
    Ok(())
}

/// N steps with `#[api_step]`: three parameters, one with a default, a session write, a
/// message and a jump.
pub fn framework_source(steps: usize) -> String {
    let mut source = String::from("use chatlayer_runtime::prelude::*;\n\n");
    for n in 0..steps {
        let _ = write!(
            source,
            "/// Step {n}.\n\
             #[api_step(\"/step-{n}\", namespace = \"step{n}\")]\n\
             async fn step_{n}(sku: String, #[param(default = 1)] quantity: u32, on_success: BlockId) -> Reply {{\n    \
                 Reply::new()\n        \
                     .add_session_data(json!({{ \"sku\": sku, \"quantity\": quantity }}))\n        \
                     .add_message(format!(\"Step {n}: {{quantity}} x {{sku}}\"))\n        \
                     .set_next_dialog_state(on_success)\n\
             }}\n\n"
        );
    }
    source.push_str(
        "#[tokio::main]\nasync fn main() -> Result<(), chatlayer_runtime::ServeError> {\n    \
         chatlayer_runtime::App::discover().run().await\n}\n",
    );
    source
}

/// The same N steps as plain axum handlers.
pub fn axum_source(steps: usize) -> String {
    let mut source = String::from(
        "use axum::{Json, Router, routing::post};\nuse serde::Deserialize;\n\
         use serde_json::{Value, json};\n\nfn one() -> u32 {\n    1\n}\n\n",
    );
    for n in 0..steps {
        let _ = write!(
            source,
            "#[derive(Deserialize)]\n\
             struct Step{n}Params {{\n    sku: String,\n    #[serde(default = \"one\")]\n    quantity: u32,\n    on_success: String,\n}}\n\n\
             /// Step {n}.\n\
             async fn step_{n}(Json(params): Json<Step{n}Params>) -> Json<Value> {{\n    \
                 let Step{n}Params {{ sku, quantity, on_success }} = params;\n    \
                 Json(json!({{\n        \
                     \"session\": {{ \"namespace\": \"step{n}\", \"data\": {{ \"sku\": sku, \"quantity\": quantity }} }},\n        \
                     \"messages\": [{{ \"type\": \"text\", \"config\": {{ \"textMessages\": [{{ \"text\": format!(\"Step {n}: {{quantity}} x {{sku}}\") }}] }} }}],\n        \
                     \"action\": {{ \"nextDialogstate\": on_success }},\n    \
                 }}))\n\
             }}\n\n"
        );
    }
    source.push_str(
        "#[tokio::main]\nasync fn main() -> std::io::Result<()> {\n    let app = Router::new()",
    );
    for n in 0..steps {
        let _ = write!(source, "\n        .route(\"/step-{n}\", post(step_{n}))");
    }
    source.push_str(
        ";\n    let listener = tokio::net::TcpListener::bind(\"127.0.0.1:8080\").await?;\n    \
         axum::serve(listener, app).await\n}\n",
    );
    source
}
