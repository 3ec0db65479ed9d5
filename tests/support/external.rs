//! The external tools some tests drive: Python's `openapi-spec-validator`, Redocly's CLI and
//! headless Chromium. `.ci/run` installs them. When one is missing, the test fails in CI
//! (`CI` set) and says it skipped elsewhere, with the command that installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Finds a tool: the path in `env_var` when set, else the first of `names` on `PATH`.
/// Returns `None` (after saying so) when it is missing outside CI; panics in CI.
pub fn find_tool(env_var: &str, names: &[&str], install: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var).filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let message = format!(
            "{} is not installed (looked for ${env_var} and {names:?} on PATH); install it with: {install}",
            names[0]
        );
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// Runs `openapi-spec-validator` on the document at `path`; panics with its report when
/// the document is invalid. Returns whether the validator ran.
pub fn validate_openapi_file(path: &Path) -> bool {
    let Some(validator) = find_tool(
        "OPENAPI_SPEC_VALIDATOR",
        &["openapi-spec-validator"],
        "pip install openapi-spec-validator",
    ) else {
        return false;
    };
    let output = Command::new(&validator)
        .arg(path)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", validator.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && report.contains("OK"),
        "openapi-spec-validator rejects {}:\n{report}",
        path.display()
    );
    true
}

/// Runs `openapi-spec-validator` on `document` (JSON text), through a temporary file.
pub fn validate_openapi_text(document: &str) -> bool {
    with_temporary_file(document, validate_openapi_file)
}

/// Writes `document` to a fresh temporary file for `check`, then removes it.
fn with_temporary_file<T>(document: &str, check: impl FnOnce(&Path) -> T) -> T {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let file = std::env::temp_dir().join(format!(
        "chatlayer-openapi-{}-{}.json",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&file, document).expect("a temporary file");
    let result = check(&file);
    let _ = std::fs::remove_file(&file);
    result
}

/// Lints `document` (JSON text) with Redocly's CLI and its `recommended` rules, as users
/// lint API documents in CI: panics on any error, and on any warning whose rule is not in
/// `allowed_warnings`. Returns whether the linter ran.
pub fn redocly_lint(document: &str, allowed_warnings: &[&str]) -> bool {
    let Some(redocly) = find_tool("REDOCLY", &["redocly"], "npm install --global @redocly/cli")
    else {
        return false;
    };
    with_temporary_file(document, |path| {
        let output = Command::new(&redocly)
            .args(["lint", "--extends=recommended", "--format=stylish"])
            .arg(path)
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", redocly.display()));
        let report = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        // Stylish lines: `  12:7  warning  rule-name  message`.
        let problems: Vec<(&str, &str)> = report
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let _position = words.next().filter(|word| word.contains(':'))?;
                let severity = words
                    .next()
                    .filter(|word| matches!(*word, "error" | "warning"))?;
                Some((severity, words.next()?))
            })
            .collect();
        let unexpected: Vec<&(&str, &str)> = problems
            .iter()
            .filter(|(severity, rule)| *severity == "error" || !allowed_warnings.contains(rule))
            .collect();
        assert!(
            output.status.success() && unexpected.is_empty(),
            "Redocly's recommended rules report {unexpected:?}:\n{report}"
        );
        true
    })
}

/// Loads `url` in headless Chromium with every host but 127.0.0.1 unresolvable (so a page
/// that needs the internet fails), waits for its scripts, and returns the rendered DOM.
/// When `screenshot` is given, also saves a picture of the page there.
pub fn chromium_dom(url: &str, screenshot: Option<&Path>) -> Option<String> {
    let chromium = find_tool(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    )?;
    let run = |extra: &[String]| {
        let output = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=20000",
            ])
            .args(extra)
            .arg(url)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", chromium.display()));
        assert!(
            output.status.success(),
            "chromium failed on {url}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    if let Some(path) = screenshot {
        run(&[
            format!("--screenshot={}", path.display()),
            "--window-size=1280,2400".to_owned(),
        ]);
    }
    Some(String::from_utf8_lossy(&run(&["--dump-dom".to_owned()])).into_owned())
}

/// HMAC of `message` with `secret`, computed by Python's `hmac` module (independently of the
/// framework's own code): `algorithm` is `sha1`, `sha256` or `sha512`, `encoding` is `hex` or
/// `base64`. `None` (after saying so) when Python is missing outside CI.
pub fn python_hmac(
    secret: &str,
    message: &[u8],
    algorithm: &str,
    encoding: &str,
) -> Option<String> {
    let python = find_tool("PYTHON", &["python3"], "apt-get install python3")?;
    let script = "import base64, hashlib, hmac, sys\n\
                  mac = hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), getattr(hashlib, sys.argv[2])).digest()\n\
                  print(mac.hex() if sys.argv[3] == 'hex' else base64.b64encode(mac).decode(), end='')";
    let mut child = Command::new(python)
        .args(["-c", script, secret, algorithm, encoding])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), message).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python's hmac failed");
    Some(String::from_utf8(output.stdout).unwrap())
}
