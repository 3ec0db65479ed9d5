//! The emulator's commands, shared by an app's [`App::run`](crate::App::run) and by the
//! standalone `chatlayer-emulator` binary (for backends not written in Rust):
//!
//! * `emulate BOT_FILE [--backend URL]`: serve the page at `/emulator` (with the app's
//!   steps, in-process, or the backend at URL);
//! * `emulate --init [FILE]`: write a starter bot file from the app's steps;
//! * `emulate --recording DIR`: serve the page showing a recording, each recorded session
//!   as a conversation;
//! * `converse BOT_FILE SCRIPT... [--backend URL]`: run conversation scripts, print their
//!   transcripts, fail on the first unmet expectation.

use std::io::Write as _;
use std::path::PathBuf;

use tokio::net::TcpListener;

use super::backend::Backend;
use super::bot::BotFile;
use super::convo::run_scripts;
use super::page;
use super::recording::RecordedConversation;
use super::starter::starter_file;
use crate::App;
use crate::serve::{ServeError, ServerSettings, listen_address, shutdown_signal};

/// An emulator command, parsed.
#[derive(Debug, PartialEq, Eq)]
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
    },
}

/// The usage lines of the emulator's commands.
pub(crate) const USAGE: &str = "\
  emulate BOT_FILE [--backend URL]
                              serve the conversation emulator at /emulator, calling
                              the steps in-process (or the backend at URL)
  emulate --init [FILE]       write a starter bot file for these steps
  emulate --recording DIR     show a recording (CHATLAYER_RECORD) at /emulator, each
                              recorded session as a conversation
  converse BOT_FILE SCRIPT... [--backend URL]
                              run conversation scripts (*.convo.txt, or folders of
                              them); exits non-zero on the first unmet expectation";

/// Parses `emulate ...` or `converse ...`; `None` for another command.
pub(crate) fn parse_command(
    command: &str,
    args: impl Iterator<Item = String>,
) -> Option<Result<EmulatorCommand, String>> {
    if command != "emulate" && command != "converse" {
        return None;
    }
    let mut backend = None;
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
                    })
                }
            }
            None => Err("`converse` needs a bot file and at least one script or folder".to_owned()),
        },
    })
}

/// The `chatlayer-emulator` command, for a backend written in anything: `emulate BOT_FILE
/// --backend URL` serves the page, `converse BOT_FILE SCRIPT... --backend URL` runs
/// conversation scripts. `main` of the standalone binary:
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> Result<(), chatlayer_runtime::ServeError> {
///     chatlayer_runtime::emulator::run_standalone(std::env::args().skip(1)).await
/// }
/// ```
pub async fn run_standalone(args: impl IntoIterator<Item = String>) -> Result<(), ServeError> {
    let mut args = args.into_iter();
    let usage = || {
        format!(
            "usage: chatlayer-emulator <command>\n\ncommands:\n{}\n\nThe steps are those of \
             the backend at --backend URL (or `backend:` in the bot file).\nenvironment \
             (emulate): CHATLAYER_ADDR=host:port, or PORT=port",
            USAGE.replace(
                "  emulate --init [FILE]       write a starter bot file for these steps\n",
                ""
            )
        )
    };
    let command = match args.next() {
        None => return Err(ServeError::Usage(usage())),
        Some(help) if matches!(help.as_str(), "help" | "--help" | "-h") => {
            println!("{}", usage());
            return Ok(());
        }
        Some(command) => command,
    };
    match parse_command(&command, args) {
        Some(Ok(command)) => run_command(command, None).await,
        Some(Err(problem)) => Err(ServeError::Usage(format!("{problem}\n\n{}", usage()))),
        None => Err(ServeError::Usage(format!(
            "unknown command `{command}`\n\n{}",
            usage()
        ))),
    }
}

/// Runs an emulator command for `app` (an app's binary), or for a backend at a URL only
/// (the standalone binary, `app` is `None`).
pub(crate) async fn run_command(
    command: EmulatorCommand,
    app: Option<&App>,
) -> Result<(), ServeError> {
    match command {
        EmulatorCommand::Init { output } => {
            let app = app.ok_or_else(|| {
                ServeError::Usage(
                    "`emulate --init` writes a bot file from an app's steps: run it from the \
                     app's binary (`cargo run -- emulate --init`)"
                        .to_owned(),
                )
            })?;
            let text = starter_file(app);
            match output {
                Some(path) => std::fs::write(&path, text)
                    .map_err(|source| ServeError::Usage(format!("cannot write {path}: {source}"))),
                None => std::io::stdout()
                    .write_all(text.as_bytes())
                    .map_err(ServeError::Io),
            }
        }
        EmulatorCommand::Recording { dir } => {
            let conversations =
                RecordedConversation::read(dir.as_ref()).map_err(ServeError::Usage)?;
            let page = page::recording_router(conversations, &dir);
            serve_page(app, page, &format!("recording in {dir}")).await
        }
        EmulatorCommand::Emulate { bot, backend } => {
            let bot = load(&bot)?;
            let backend = choose_backend(app, backend.as_deref(), &bot)?;
            emulate(app, bot, backend).await
        }
        EmulatorCommand::Converse {
            bot,
            scripts,
            backend,
        } => {
            let bot = load(&bot)?;
            let backend = choose_backend(app, backend.as_deref(), &bot)?;
            converse(&bot, &backend, &scripts).await
        }
    }
}

fn load(path: &str) -> Result<BotFile, ServeError> {
    BotFile::load(path).map_err(|error| ServeError::Usage(error.to_string()))
}

/// `--backend URL` first, then the app in-process, then the bot file's `backend:`.
fn choose_backend(
    app: Option<&App>,
    url: Option<&str>,
    bot: &BotFile,
) -> Result<Backend, ServeError> {
    match (url, app, bot.backend()) {
        (Some(url), _, _) | (None, None, Some(url)) => Ok(Backend::url(url)),
        (None, Some(app), _) => Ok(Backend::in_process(app)),
        (None, None, None) => Err(ServeError::Usage(
            "where are the steps? give the backend's URL with --backend http://host:port (or \
             `backend:` in the bot file)"
                .to_owned(),
        )),
    }
}

async fn emulate(app: Option<&App>, bot: BotFile, backend: Backend) -> Result<(), ServeError> {
    let described = format!("steps: {}", backend.describe());
    serve_page(app, page::router(bot, backend), &described).await
}

/// Serves `page` (with the app's own routes, when there is an app) until a shutdown signal.
async fn serve_page(
    app: Option<&App>,
    page: axum::Router,
    described: &str,
) -> Result<(), ServeError> {
    let _log = crate::logging::install_default_subscriber();
    let address = listen_address(
        std::env::var("CHATLAYER_ADDR").ok(),
        std::env::var("PORT").ok(),
    )?;
    let (router, settings) = match app {
        Some(app) => {
            if app
                .steps()
                .iter()
                .any(|step| step.path().starts_with(page::PATH))
            {
                return Err(ServeError::Usage(format!(
                    "a step is served under {}, where the emulator's page goes",
                    page::PATH
                )));
            }
            (
                app.standalone_router().merge(page),
                app.server_settings().clone(),
            )
        }
        None => (page, ServerSettings::default()),
    };
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| ServeError::Bind {
            address: address.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Io)?;
    tracing::info!(
        "conversation emulator on http://{local}{} ({described})",
        page::PATH
    );
    crate::server::run(listener, router, settings, shutdown_signal())
        .await
        .map_err(ServeError::Io)
}

async fn converse(bot: &BotFile, backend: &Backend, scripts: &[String]) -> Result<(), ServeError> {
    let paths: Vec<PathBuf> = scripts.iter().map(PathBuf::from).collect();
    let reports = run_scripts(bot, backend, &paths)
        .await
        .map_err(ServeError::Usage)?;
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
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(ServeError::Io)?;
    if failed == 0 {
        Ok(())
    } else {
        Err(ServeError::Usage(format!(
            "{failed} of {} conversation scripts failed",
            reports.len()
        )))
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
                backend: None
            }))
        );
        assert!(parse(&["converse", "bot.yaml"]).unwrap().is_err());
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
}
