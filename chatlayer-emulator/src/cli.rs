//! The emulator's commands, shared by the standalone `chatlayer-emulator` binary (for
//! backends in any language) and by an app's binary (the `app` feature):
//!
//! * `emulate BOT_FILE [--backend URL]`: serve the page at `/emulator` (with the app's
//!   steps, in-process, or the backend at URL);
//! * `emulate --init [FILE]`: write a starter bot file from the app's steps (an app's
//!   binary only);
//! * `emulate --recording DIR`: serve the page showing a recording, each recorded session
//!   as a conversation;
//! * `converse BOT_FILE SCRIPT... [--backend URL]`: run conversation scripts, print their
//!   transcripts, and fail when any expectation is unmet (every script runs).

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::backend::Backend;
use super::bot::BotFile;
use super::convo::run_scripts;
use super::coverage::Coverage;
use super::crawl::{CrawlReport, Crawler};
use super::error::Error;
use super::page;
use super::recording::RecordedConversation;
use super::signing::RequestSigner;

/// What an app's binary adds to the commands (the `app` feature implements it for
/// chatlayer-rs apps): its steps in-process, a starter bot file for them, and its server.
pub(crate) trait AppHost: Sync {
    /// The app's steps, called in-process.
    fn backend(&self) -> Backend;
    /// What signs calls as the app verifies them, also when they go to a URL (the app
    /// deployed elsewhere, with the same settings).
    fn signer(&self) -> Option<Arc<dyn RequestSigner>>;
    /// A starter bot file for the app's steps.
    fn starter_file(&self) -> String;
    /// The app's OpenAPI document, for `check`.
    fn document(&self) -> serde_json::Value;
    /// Serves `page` beside the app's routes, on the app's server, until a shutdown signal.
    fn serve_page<'a>(
        &'a self,
        page: axum::Router,
        described: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;
}

/// An emulator command, parsed.
#[derive(Debug, PartialEq)]
pub(crate) enum EmulatorCommand {
    Emulate {
        bot: String,
        backend: Option<String>,
    },
    Init {
        output: Option<String>,
    },
    Recording {
        dir: String,
    },
    Converse {
        bot: String,
        scripts: Vec<String>,
        backend: Option<String>,
        /// `--coverage` (`Some(0.0)`) or `--min-coverage N` (`Some(N)`): report coverage,
        /// failing below N percent.
        coverage: Option<f64>,
    },
    Check {
        bot: String,
        openapi: Option<String>,
    },
    Crawl {
        bot: String,
        out: String,
        from: Option<String>,
        depth: Option<usize>,
        /// `--answer BLOCK=TEXT`, in order.
        answers: Vec<(String, String)>,
        backend: Option<String>,
    },
}

/// The standalone binary's help text.
const STANDALONE_USAGE: &str = "\
usage: chatlayer-emulator <command>

commands:
  emulate BOT_FILE [--backend URL]
                              serve the conversation emulator at /emulator, calling
                              the backend at URL (or `backend:` in the bot file)
  emulate --recording DIR     show a recording (CHATLAYER_RECORD) at /emulator, each
                              recorded session as a conversation
  converse BOT_FILE SCRIPT... [--backend URL] [--coverage | --min-coverage N]
                              run conversation scripts (*.convo.txt, or folders of
                              them) against the backend at URL (or `backend:` in the
                              bot file); runs every script, and exits non-zero when
                              any expectation is unmet; --coverage reports the blocks,
                              steps and buttons they reached, --min-coverage N also
                              fails below N percent
  crawl BOT_FILE --out DIR [--from BLOCK] [--depth N] [--answer BLOCK=TEXT]... [--backend URL]
                              explore the bot breadth-first, clicking every button
                              and quick reply (and typing each --answer at its input
                              block), and write each path that reaches something new
                              as a conversation script in DIR
  check BOT_FILE --openapi FILE
                              check the bot file's action blocks against the steps
                              the backend's OpenAPI document describes (paths,
                              methods, required parameters, rows, block ids)
  help                        show this text

environment (emulate): CHATLAYER_ADDR=host:port, or PORT=port; RUST_LOG";

#[cfg(feature = "app")]
impl EmulatorCommand {
    /// Whether the command calls an app's steps in-process (the page, the scripts, with no
    /// `--backend`), not only reads files or calls a URL.
    pub(crate) fn calls_steps(&self) -> bool {
        matches!(
            self,
            EmulatorCommand::Emulate { backend: None, .. }
                | EmulatorCommand::Converse { backend: None, .. }
                | EmulatorCommand::Crawl { backend: None, .. }
        )
    }
}

/// Parses `emulate ...` or `converse ...`; `None` for another command.
pub(crate) fn parse_command(
    command: &str,
    args: impl Iterator<Item = String>,
) -> Option<Result<EmulatorCommand, String>> {
    if command == "check" {
        return Some(parse_check(args));
    }
    if command == "crawl" {
        return Some(parse_crawl(args));
    }
    if command != "emulate" && command != "converse" {
        return None;
    }
    let mut backend = None;
    let mut coverage = None;
    let mut recording = None;
    let mut init = false;
    let mut files = Vec::new();
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => match args.next() {
                Some(url) => backend = Some(url),
                None => return Some(Err("--backend needs a URL".to_owned())),
            },
            "--coverage" if command == "converse" => coverage = coverage.or(Some(0.0)),
            "--min-coverage" if command == "converse" => {
                match args.next().map(|n| (n.parse::<f64>(), n)) {
                    Some((Ok(percent), _)) if (0.0..=100.0).contains(&percent) => {
                        coverage = Some(percent)
                    }
                    Some((_, given)) => {
                        return Some(Err(format!(
                            "--min-coverage {given}: expected a percentage from 0 to 100"
                        )));
                    }
                    None => return Some(Err("--min-coverage needs a percentage".to_owned())),
                }
            }
            "--init" if command == "emulate" => init = true,
            "--recording" if command == "emulate" => match args.next() {
                Some(dir) => recording = Some(dir),
                None => return Some(Err("--recording needs a folder".to_owned())),
            },
            option if option.starts_with('-') => {
                return Some(Err(format!("unknown option `{option}` for `{command}`")));
            }
            _ => files.push(arg),
        }
    }
    let mut files = files.into_iter();
    if let Some(dir) = recording {
        return Some(match (init, backend, files.next()) {
            (false, None, None) => Ok(EmulatorCommand::Recording { dir }),
            (true, _, _) => Err("`emulate --recording` and `--init` do not go together".to_owned()),
            (_, Some(_), _) => {
                Err("`emulate --recording` calls no backend: it shows what was recorded".to_owned())
            }
            (_, _, Some(extra)) => Err(format!(
                "unexpected argument `{extra}`: `emulate --recording DIR` takes no bot file"
            )),
        });
    }
    Some(match (command, init) {
        ("emulate", true) => match (files.next(), files.next(), backend) {
            (output, None, None) => Ok(EmulatorCommand::Init { output }),
            (_, _, Some(_)) => Err("`emulate --init` takes no --backend".to_owned()),
            (_, Some(extra), _) => Err(format!("unexpected argument `{extra}`")),
        },
        ("emulate", false) => match (files.next(), files.next()) {
            (Some(bot), None) => Ok(EmulatorCommand::Emulate { bot, backend }),
            (None, _) => Err("`emulate` needs a bot file (or --init to write one)".to_owned()),
            (Some(_), Some(extra)) => Err(format!("unexpected argument `{extra}`")),
        },
        _ => match files.next() {
            Some(bot) => {
                let scripts: Vec<String> = files.collect();
                if scripts.is_empty() {
                    Err("`converse` needs a bot file and at least one script or folder".to_owned())
                } else {
                    Ok(EmulatorCommand::Converse {
                        bot,
                        scripts,
                        backend,
                        coverage,
                    })
                }
            }
            None => Err("`converse` needs a bot file and at least one script or folder".to_owned()),
        },
    })
}

/// `crawl BOT_FILE --out DIR [--from BLOCK] [--depth N] [--answer BLOCK=TEXT]... [--backend URL]`.
fn parse_crawl(mut args: impl Iterator<Item = String>) -> Result<EmulatorCommand, String> {
    let (mut bot, mut out, mut from, mut depth, mut backend) = (None, None, None, None, None);
    let mut answers = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or_else(|| format!("{arg} needs {what}"));
        match arg.as_str() {
            "--out" => out = Some(value("a folder")?),
            "--from" => from = Some(value("a block id")?),
            "--backend" => backend = Some(value("a URL")?),
            "--depth" => {
                let given = value("a number of user actions")?;
                depth = Some(given.parse::<usize>().map_err(|_| {
                    format!("--depth {given}: expected a number of user actions, e.g. 8")
                })?);
            }
            "--answer" => {
                let given = value("BLOCK=TEXT")?;
                match given.split_once('=') {
                    Some((block, text)) if !block.is_empty() => {
                        answers.push((block.to_owned(), text.to_owned()));
                    }
                    _ => {
                        return Err(format!(
                            "--answer {given}: expected BLOCK=TEXT, the input block's id and \
                             what to type there, e.g. --answer ask-quantity=2"
                        ));
                    }
                }
            }
            option if option.starts_with('-') => {
                return Err(format!("unknown option `{option}` for `crawl`"));
            }
            _ if bot.is_some() => return Err(format!("unexpected argument `{arg}`")),
            _ => bot = Some(arg),
        }
    }
    match (bot, out) {
        (Some(bot), Some(out)) => Ok(EmulatorCommand::Crawl {
            bot,
            out,
            from,
            depth,
            answers,
            backend,
        }),
        (None, _) => Err("`crawl` needs a bot file".to_owned()),
        (_, None) => Err("`crawl` needs --out DIR, the folder to write the scripts in".to_owned()),
    }
}

/// `check BOT_FILE [--openapi FILE]`.
fn parse_check(mut args: impl Iterator<Item = String>) -> Result<EmulatorCommand, String> {
    let (mut bot, mut openapi) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--openapi" => match args.next() {
                Some(file) => openapi = Some(file),
                None => return Err("--openapi needs the document's file".to_owned()),
            },
            option if option.starts_with('-') => {
                return Err(format!("unknown option `{option}` for `check`"));
            }
            _ if bot.is_some() => return Err(format!("unexpected argument `{arg}`")),
            _ => bot = Some(arg),
        }
    }
    match bot {
        Some(bot) => Ok(EmulatorCommand::Check { bot, openapi }),
        None => Err("`check` needs a bot file".to_owned()),
    }
}

/// The `chatlayer-emulator` command, for a backend written in anything: `emulate BOT_FILE
/// --backend URL` serves the page, `converse BOT_FILE SCRIPT... --backend URL` runs
/// conversation scripts. `main` of the standalone binary:
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> Result<(), chatlayer_emulator::Error> {
///     chatlayer_emulator::run_standalone(std::env::args().skip(1)).await
/// }
/// ```
pub async fn run_standalone(args: impl IntoIterator<Item = String>) -> Result<(), Error> {
    let mut args = args.into_iter();
    let command = match args.next() {
        None => return Err(Error::Usage(STANDALONE_USAGE.to_owned())),
        Some(help) if matches!(help.as_str(), "help" | "--help" | "-h") => {
            println!("{STANDALONE_USAGE}");
            return Ok(());
        }
        Some(command) => command,
    };
    match parse_command(&command, args) {
        Some(Ok(command)) => run_command(command, None).await,
        Some(Err(problem)) => Err(Error::Usage(format!("{problem}\n\n{STANDALONE_USAGE}"))),
        None => Err(Error::Usage(format!(
            "unknown command `{command}`\n\n{STANDALONE_USAGE}"
        ))),
    }
}

/// Runs an emulator command: from an app's binary, or from the standalone one (`app` is
/// `None`).
pub(crate) async fn run_command(
    command: EmulatorCommand,
    app: Option<&dyn AppHost>,
) -> Result<(), Error> {
    match command {
        EmulatorCommand::Init { output } => match app {
            Some(app) => write_output(output.as_deref(), &app.starter_file()),
            None => Err(Error::Usage(
                "`emulate --init` writes a bot file from an app's steps: run it from the \
                 app's binary (`cargo run -- emulate --init`)"
                    .to_owned(),
            )),
        },
        EmulatorCommand::Recording { dir } => {
            let conversations = RecordedConversation::read(dir.as_ref()).map_err(Error::Usage)?;
            let page = page::recording_router(conversations, &dir);
            serve_page(app, page, &format!("recording in {dir}")).await
        }
        EmulatorCommand::Emulate { bot, backend } => {
            let bot = load(&bot)?;
            let backend = choose_backend(app, backend.as_deref(), &bot)?;
            let described = format!("steps: {}", backend.describe());
            serve_page(app, page::router(bot, backend), &described).await
        }
        EmulatorCommand::Converse {
            bot,
            scripts,
            backend,
            coverage,
        } => {
            let bot = load(&bot)?;
            let backend = choose_backend(app, backend.as_deref(), &bot)?;
            converse(&bot, &backend, &scripts, coverage).await
        }
        EmulatorCommand::Crawl {
            bot,
            out,
            from,
            depth,
            answers,
            backend,
        } => {
            let bot = load(&bot)?;
            let backend = choose_backend(app, backend.as_deref(), &bot)?;
            let mut crawler = Crawler::new();
            if let Some(block) = from {
                crawler = crawler.start_at(block);
            }
            if let Some(depth) = depth {
                crawler = crawler.depth(depth);
            }
            for (block, text) in answers {
                crawler = crawler.answer(block, text);
            }
            let crawl = crawler.crawl(&bot, &backend).await.map_err(Error::Usage)?;
            write_crawl(&bot, &crawl, out.as_ref())
        }
        EmulatorCommand::Check { bot: path, openapi } => {
            let bot = load(&path)?;
            let document = match (openapi, app) {
                (Some(file), _) => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|error| Error::Usage(format!("cannot read {file}: {error}")))?;
                    serde_json::from_str(&text).map_err(|error| {
                        Error::Usage(format!("{file} is not a JSON OpenAPI document: {error}"))
                    })?
                }
                (None, Some(app)) => app.document(),
                (None, None) => {
                    return Err(Error::Usage(
                        "`check` needs the backend's OpenAPI document: --openapi FILE (e.g. \
                         saved from its /openapi.json)"
                            .to_owned(),
                    ));
                }
            };
            let problems = crate::check::check_bot_file(&bot, &document);
            if problems.is_empty() {
                println!("{path}: every action block fits the steps it calls");
                return Ok(());
            }
            for problem in &problems {
                println!("{path}: {problem}");
            }
            Err(Error::Usage(format!(
                "{path}: {} problem{} with the steps",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            )))
        }
    }
}

/// Writes `text` to the file at `path`, or to standard output.
fn write_output(path: Option<&str>, text: &str) -> Result<(), Error> {
    match path {
        Some(path) => std::fs::write(path, text)
            .map_err(|source| Error::Usage(format!("cannot write {path}: {source}"))),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(Error::Io),
    }
}

fn load(path: &str) -> Result<BotFile, Error> {
    BotFile::load(path).map_err(|error| Error::Usage(error.to_string()))
}

/// `--backend URL` first, then the app in-process, then the bot file's `backend:`.
fn choose_backend(
    app: Option<&dyn AppHost>,
    url: Option<&str>,
    bot: &BotFile,
) -> Result<Backend, Error> {
    if let Some(url) = url {
        return Ok(Backend::url(url).signed_by_shared(app.and_then(|app| app.signer())));
    }
    if let Some(app) = app {
        return Ok(app.backend());
    }
    match bot.backend() {
        Some(url) => Ok(Backend::url(url)),
        None => Err(Error::Usage(
            "where are the steps? give the backend's URL with --backend http://host:port (or \
             `backend:` in the bot file)"
                .to_owned(),
        )),
    }
}

/// Serves `page` until Ctrl-C: alone, or beside the app's own routes on the app's server.
async fn serve_page(
    app: Option<&dyn AppHost>,
    page: axum::Router,
    described: &str,
) -> Result<(), Error> {
    match app {
        Some(app) => app.serve_page(page, described).await,
        None => {
            let address = listen_address()?;
            let listener = TcpListener::bind(&address)
                .await
                .map_err(|source| Error::Bind { address, source })?;
            let local = listener.local_addr().map_err(Error::Io)?;
            page::warn_if_exposed(&local.to_string());
            tracing::info!(
                "conversation emulator on http://{local}{} ({described})",
                page::PATH
            );
            axum::serve(listener, page)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(Error::Io)
        }
    }
}

/// Where the standalone page listens: `CHATLAYER_ADDR`, else `0.0.0.0:$PORT`, else
/// `127.0.0.1:8080`, as an app's server does.
fn listen_address() -> Result<String, Error> {
    address_from(
        std::env::var("CHATLAYER_ADDR").ok(),
        std::env::var("PORT").ok(),
    )
}

fn address_from(addr: Option<String>, port: Option<String>) -> Result<String, Error> {
    match (addr, port) {
        (Some(address), _) => {
            let valid = address
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if valid {
                Ok(address)
            } else {
                Err(Error::Usage(format!(
                    "CHATLAYER_ADDR={address:?}: expected host:port, e.g. 127.0.0.1:8080"
                )))
            }
        }
        (None, Some(port)) => match port.parse::<u16>() {
            Ok(number) => Ok(format!("0.0.0.0:{number}")),
            Err(_) => Err(Error::Usage(format!(
                "PORT={port:?}: expected a port number, e.g. 8080"
            ))),
        },
        (None, None) => Ok("127.0.0.1:8080".to_owned()),
    }
}

/// Writes the crawl's scripts into `out` (refusing to replace a file), and says what they
/// cover and what the crawl could not write.
fn write_crawl(bot: &BotFile, crawl: &CrawlReport, out: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(out)
        .map_err(|error| Error::Usage(format!("cannot create {}: {error}", out.display())))?;
    if let Some(taken) = crawl
        .scripts
        .iter()
        .map(|script| out.join(&script.file_name))
        .find(|file| file.exists())
    {
        return Err(Error::Usage(format!(
            "{} exists: the crawler does not replace scripts; remove the earlier crawl's files \
             or choose another --out folder",
            taken.display()
        )));
    }
    let mut coverage = Coverage::new(bot);
    for script in &crawl.scripts {
        let file = out.join(&script.file_name);
        std::fs::write(&file, &script.text)
            .map_err(|error| Error::Usage(format!("cannot write {}: {error}", file.display())))?;
        println!("wrote {}", file.display());
        coverage.add(&script.reached);
    }
    for skipped in &crawl.skipped {
        println!("not written: {skipped}");
    }
    if !crawl.unanswered.is_empty() {
        println!(
            "the crawl stopped at input blocks it had no answer for (give one with --answer \
             BLOCK=TEXT): {}",
            crawl.unanswered.join(", ")
        );
    }
    println!(
        "\n{} script(s) written; together they reach:\n{coverage}",
        crawl.scripts.len()
    );
    Ok(())
}

async fn converse(
    bot: &BotFile,
    backend: &Backend,
    scripts: &[String],
    min_coverage: Option<f64>,
) -> Result<(), Error> {
    let paths: Vec<PathBuf> = scripts.iter().map(PathBuf::from).collect();
    let reports = run_scripts(bot, backend, &paths)
        .await
        .map_err(Error::Usage)?;
    let mut out = String::new();
    for report in &reports {
        out.push_str(&format!(
            "== {} ({})\n{}",
            report.title, report.source, report.transcript
        ));
        match &report.failure {
            None => out.push_str("PASS\n\n"),
            Some(failure) => out.push_str(&format!("FAIL {failure}\n\n")),
        }
    }
    let failed = reports.iter().filter(|report| !report.passed()).count();
    out.push_str(&format!(
        "{} conversation script{}: {} passed, {failed} failed (steps: {})\n",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        reports.len() - failed,
        backend.describe()
    ));
    let mut coverage = None;
    if let Some(minimum) = min_coverage {
        let mut total = Coverage::new(bot);
        reports.iter().for_each(|report| total.add(&report.reached));
        out.push_str(&format!("\n{total}"));
        coverage = Some((total.percent(), minimum));
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(Error::Io)?;
    if failed > 0 {
        return Err(Error::Failed(format!(
            "{failed} of {} conversation scripts failed",
            reports.len()
        )));
    }
    match coverage {
        Some((percent, minimum)) if percent < minimum => Err(Error::Failed(format!(
            "the scripts cover {percent}% of the bot file, under the {minimum}% --min-coverage \
             asks: the report above lists what no script reached"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Option<Result<EmulatorCommand, String>> {
        parse_command(args[0], args[1..].iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn the_commands_parse() {
        assert_eq!(
            parse(&["emulate", "bot.yaml", "--backend", "http://x"]),
            Some(Ok(EmulatorCommand::Emulate {
                bot: "bot.yaml".into(),
                backend: Some("http://x".into())
            }))
        );
        assert_eq!(
            parse(&["emulate", "--init"]),
            Some(Ok(EmulatorCommand::Init { output: None }))
        );
        assert_eq!(
            parse(&["converse", "bot.yaml", "a.convo.txt", "dir"]),
            Some(Ok(EmulatorCommand::Converse {
                bot: "bot.yaml".into(),
                scripts: vec!["a.convo.txt".into(), "dir".into()],
                backend: None,
                coverage: None,
            }))
        );
        assert!(parse(&["converse", "bot.yaml"]).unwrap().is_err());
        let coverage = |args: &[&str]| match parse(args) {
            Some(Ok(EmulatorCommand::Converse { coverage, .. })) => Ok(coverage),
            other => Err(format!("{other:?}")),
        };
        assert_eq!(
            coverage(&["converse", "b", "s", "--coverage"]),
            Ok(Some(0.0))
        );
        assert_eq!(
            coverage(&["converse", "b", "s", "--coverage", "--min-coverage", "90"]),
            Ok(Some(90.0))
        );
        assert!(coverage(&["converse", "b", "s", "--min-coverage", "101"]).is_err());
        assert!(coverage(&["converse", "b", "s", "--min-coverage", "most"]).is_err());
        assert!(coverage(&["emulate", "b", "--coverage"]).is_err());
        assert_eq!(
            parse(&["emulate", "--recording", "recordings"]),
            Some(Ok(EmulatorCommand::Recording {
                dir: "recordings".into()
            }))
        );
        for wrong in [
            &["emulate", "--recording"][..],
            &["emulate", "--recording", "dir", "bot.yaml"],
            &["emulate", "--recording", "dir", "--backend", "http://x"],
            &["emulate", "--recording", "dir", "--init"],
            &["converse", "bot.yaml", "--recording", "dir"],
        ] {
            assert!(parse(wrong).unwrap().is_err(), "{wrong:?}");
        }
        assert_eq!(parse(&["serve"]), None);
    }

    #[test]
    fn the_page_listens_where_an_apps_server_would() {
        let at = |addr: Option<&str>, port: Option<&str>| {
            address_from(addr.map(str::to_owned), port.map(str::to_owned))
        };
        assert_eq!(at(None, None).unwrap(), "127.0.0.1:8080");
        assert_eq!(at(None, Some("9000")).unwrap(), "0.0.0.0:9000");
        assert_eq!(at(Some("[::1]:81"), Some("9000")).unwrap(), "[::1]:81");
        assert!(at(Some("nohost"), None).is_err());
        assert!(at(None, Some("http")).is_err());
    }
}
