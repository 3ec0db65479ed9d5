//! The command line of an app's binary ([`App::run`]): `serve` (the default), the built-in
//! commands beside it, and the [`Command`]s other crates add
//! ([`AppBuilder::command`](crate::AppBuilder::command)), e.g. the conversation emulator's
//! `emulate` and `converse`.

use std::io::Write;

use crate::app::{App, AppBuilder};
use crate::problems::ServeError;
use crate::security::SignedContent;
use crate::server::listen_address;

pub use crate::app::{Command, CommandFuture};

/// A built-in command, as the command line asked for it.
#[derive(Debug, PartialEq, Eq)]
enum BuiltIn {
    Serve,
    OpenApi {
        prefix: String,
        output: Option<String>,
    },
    Steps,
    HealthCheck,
    Sign {
        timestamp: Option<String>,
        /// `POST /order?lang=en`: what a signature that covers the request signs with the body.
        request: Option<String>,
        input: Option<String>,
    },
    Help,
    /// Replay a recording against this app, in-process.
    Replay {
        dir: String,
        ignore: Vec<String>,
        headers: Vec<(String, String)>,
    },
    /// Report what a recording shows.
    Contract {
        dir: String,
    },
}

/// The built-in commands, for the help text: how each is called, and what it does.
const BUILT_IN: &[(&str, &str)] = &[
    ("serve", "serve the steps (the default)"),
    (
        "openapi [--prefix P] [FILE]",
        "write the OpenAPI 3.1 document to FILE, or to stdout; --prefix puts the steps \
         under P, e.g. /chatlayer",
    ),
    ("steps", "list the steps: method, path and function"),
    (
        "healthcheck",
        "ask the server running on this machine (at CHATLAYER_ADDR or PORT) whether it is \
         alive: exit status 0 if /healthz answers 200, else 1 (a container's HEALTHCHECK, \
         with no curl needed)",
    ),
    (
        "sign [--timestamp T] [--request 'POST /path?query'] [FILE]",
        "print the signature headers a sender must send with the body in FILE (or stdin), \
         with this app's signature settings; --request names the method and path, which \
         signatures that cover the request need",
    ),
    (
        "replay DIR [--ignore POINTER]... [--header 'NAME: VALUE']...",
        "send every request recorded in DIR to this app again (in-process) and compare the \
         replies with the recorded ones; exit status 1 with a diff when one differs. --ignore \
         leaves a part of the replies out (a JSON pointer, `*` for any key); --header adds a \
         header (credentials the recording redacted); bodies are signed again when the app \
         verifies signatures",
    ),
    (
        "contract DIR",
        "report what the recording in DIR shows: content types, each parameter's kinds of \
         values, parameters no step reads, header names",
    ),
];

/// The last entry of the help text, after the app's own commands.
const HELP: (&str, &str) = ("help", "show this text");

/// The help text: the built-in commands, the app's own, then `help`.
fn usage(extra: &[std::sync::Arc<dyn Command>]) -> String {
    let mut text = String::from("usage: <program> [command]\n\ncommands:\n");
    let entries = BUILT_IN
        .iter()
        .copied()
        .chain(
            extra
                .iter()
                .map(|command| (command.synopsis(), command.about())),
        )
        .chain([HELP]);
    for (synopsis, about) in entries {
        write_entry(&mut text, synopsis, about);
    }
    text.push_str("\nenvironment (serve, healthcheck): CHATLAYER_ADDR=host:port, or PORT=port");
    text
}

/// One command of the help text: the synopsis, then what it does wrapped beside it (or
/// under it, when the synopsis is longer than the column).
fn write_entry(text: &mut String, synopsis: &str, about: &str) {
    const COLUMN: usize = 30;
    const WIDTH: usize = 92;
    text.push_str("  ");
    text.push_str(synopsis);
    let mut used = 2 + synopsis.len();
    if used + 1 > COLUMN {
        text.push('\n');
        used = 0;
    }
    let mut line_start = true;
    for word in about.split_whitespace() {
        if !line_start && used + 1 + word.len() > WIDTH {
            text.push('\n');
            used = 0;
            line_start = true;
        }
        if line_start {
            text.push_str(&" ".repeat(COLUMN - used));
            used = COLUMN;
        } else {
            text.push(' ');
            used += 1;
        }
        text.push_str(word);
        used += word.len();
        line_start = false;
    }
    text.push('\n');
}

/// What the command line asked for: a built-in command, or one the app added.
enum Invocation {
    BuiltIn(BuiltIn),
    Added(std::sync::Arc<dyn Command>, Vec<String>),
}

impl App {
    /// Runs the command given on the command line: `serve` (the default), `openapi`,
    /// `steps`, `healthcheck`, `sign`, `replay`, `contract`, `help`, or a [`Command`] added
    /// with [`AppBuilder::command`]. The `main` of a standalone backend:
    ///
    /// ```no_run
    /// # use chatlayer_runtime::prelude::*;
    /// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
    /// #[tokio::main]
    /// async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    ///     App::discover().build()?.run().await
    /// }
    /// ```
    ///
    /// Then `cargo run -- openapi > openapi.json` writes the document without starting a
    /// server (for CI, or to import it into other tools), `cargo run -- openapi --prefix
    /// /chatlayer docs.json` writes it for steps served under a prefix, and `cargo run --
    /// steps` lists the steps.
    pub async fn run(self) -> Result<(), ServeError> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let invocation = match args.first() {
            Some(name) if !is_built_in(name) => match self
                .commands()
                .iter()
                .find(|command| command.name() == name)
            {
                Some(command) => Invocation::Added(command.clone(), args[1..].to_vec()),
                None => {
                    return Err(ServeError::Usage(format!(
                        "unknown command `{name}`\n\n{}",
                        usage(self.commands())
                    )));
                }
            },
            _ => Invocation::BuiltIn(parse(args).map_err(|problem| {
                ServeError::Usage(format!("{problem}\n\n{}", usage(self.commands())))
            })?),
        };
        match invocation {
            Invocation::Added(command, args) => {
                // Held until the command returns: dropping it writes the last lines.
                let _log = crate::logging::install_default_subscriber(self.environment());
                command.run(&self, args).await
            }
            Invocation::BuiltIn(command) => self.run_built_in(command).await,
        }
    }

    async fn run_built_in(self, command: BuiltIn) -> Result<(), ServeError> {
        match command {
            BuiltIn::Serve => self.serve().await,
            BuiltIn::OpenApi { prefix, output } => {
                let text = self.openapi_at(&prefix).to_json_pretty();
                match output {
                    Some(path) => std::fs::write(&path, text).map_err(|source| {
                        ServeError::Usage(format!("cannot write {path}: {source}"))
                    }),
                    None => std::io::stdout()
                        .write_all(text.as_bytes())
                        .map_err(ServeError::Io),
                }
            }
            BuiltIn::Steps => {
                let mut out = String::new();
                for step in self.steps() {
                    out.push_str(&format!(
                        "{:<6} {:<30} {}::{}\n",
                        step.method(),
                        step.path(),
                        step.module_path(),
                        step.name()
                    ));
                }
                std::io::stdout()
                    .write_all(out.as_bytes())
                    .map_err(ServeError::Io)
            }
            BuiltIn::HealthCheck => {
                let address = listen_address(self.environment())?;
                crate::health::probe(&address).map_err(ServeError::Unhealthy)
            }
            BuiltIn::Sign {
                timestamp,
                request,
                input,
            } => {
                let verifier = self.signature_verifier().ok_or_else(|| {
                    ServeError::Usage(
                        "this app verifies no signatures: configure Security::signatures(..) or \
                         set CHATLAYER_SIGNATURE_SECRET"
                            .to_owned(),
                    )
                })?;
                let body = match &input {
                    Some(path) => std::fs::read(path).map_err(|source| {
                        ServeError::Usage(format!("cannot read {path}: {source}"))
                    })?,
                    None => {
                        let mut body = Vec::new();
                        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
                            .map_err(ServeError::Io)?;
                        body
                    }
                };
                let (method, target) = match request.as_deref().and_then(split_request) {
                    Some(given) => given,
                    None if verifier.signed_content() == SignedContent::Request => {
                        return Err(ServeError::Usage(
                            "this app's signatures cover the method, path and query: say which \
                             request the body is for, e.g. --request 'POST /order'"
                                .to_owned(),
                        ));
                    }
                    None => ("POST", "/"),
                };
                let mut out = String::new();
                let timestamp = verifier.timestamp_header().map(|header| {
                    let value = timestamp.clone().unwrap_or_else(|| {
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default()
                            .as_secs()
                            .to_string()
                    });
                    out.push_str(&format!("{header}: {value}\n"));
                    value
                });
                out.push_str(&format!(
                    "{}: {}\n",
                    verifier.header_name(),
                    verifier.sign(method, target, &body, timestamp.as_deref())
                ));
                std::io::stdout()
                    .write_all(out.as_bytes())
                    .map_err(ServeError::Io)
            }
            BuiltIn::Help => {
                println!("{}", usage(self.commands()));
                Ok(())
            }
            BuiltIn::Replay {
                dir,
                ignore,
                headers,
            } => {
                self.make_dependencies()?;
                let mut replay = crate::record::Replay::from_dir(&dir);
                for pointer in ignore {
                    replay = replay.ignore(pointer);
                }
                for (name, value) in &headers {
                    replay = replay.header(name, value);
                }
                if let Some(verifier) = self.signature_verifier() {
                    replay = replay.sign_with(verifier.clone());
                }
                let report = replay
                    .run(&self)
                    .await
                    .map_err(|error| ServeError::Usage(error.to_string()))?;
                if report.is_green() {
                    print!("{report}");
                    Ok(())
                } else {
                    Err(ServeError::Failed(report.to_string()))
                }
            }
            BuiltIn::Contract { dir } => {
                let report = crate::record::ContractReport::from_dir(&dir, Some(&self))
                    .map_err(ServeError::Usage)?;
                std::io::stdout()
                    .write_all(report.to_string().as_bytes())
                    .map_err(ServeError::Io)
            }
        }
    }
}

impl AppBuilder {
    /// Builds the app and [runs](App::run) the command line's command.
    pub async fn run(self) -> Result<(), ServeError> {
        self.build()?.run().await
    }
}

/// Whether `name` names a built-in command (or asks for help).
fn is_built_in(name: &str) -> bool {
    matches!(
        name,
        "serve"
            | "openapi"
            | "steps"
            | "healthcheck"
            | "sign"
            | "replay"
            | "contract"
            | "help"
            | "--help"
            | "-h"
    )
}

/// Parses a built-in command line; the error says what is wrong (the usage is added by the
/// caller).
fn parse(args: impl IntoIterator<Item = String>) -> Result<BuiltIn, String> {
    let mut args = args.into_iter();
    let command = match args.next().as_deref() {
        None | Some("serve") => BuiltIn::Serve,
        Some("steps") => BuiltIn::Steps,
        Some("healthcheck") => BuiltIn::HealthCheck,
        Some("help" | "--help" | "-h") => BuiltIn::Help,
        Some("sign") => return sign_command(args),
        Some("replay") => return replay_command(args),
        Some("contract") => {
            let dir = args.next().ok_or("contract: which folder?")?;
            if let Some(extra) = args.next() {
                return Err(format!("unexpected argument `{extra}`"));
            }
            return Ok(BuiltIn::Contract { dir });
        }
        Some("openapi") => {
            let (prefix, output) = option_and_file(args, "--prefix")?;
            let prefix = prefix.unwrap_or_default();
            return Ok(BuiltIn::OpenApi { prefix, output });
        }
        Some(other) => return Err(format!("unknown command `{other}`")),
    };
    match args.next() {
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
        None => Ok(command),
    }
}

/// `sign [--timestamp T] [--request 'METHOD TARGET'] [FILE]`
fn sign_command(mut args: impl Iterator<Item = String>) -> Result<BuiltIn, String> {
    let (mut timestamp, mut request, mut input) = (None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--timestamp" => timestamp = Some(args.next().ok_or("--timestamp needs a value")?),
            "--request" => {
                let given = args.next().ok_or("--request needs 'METHOD /path?query'")?;
                if split_request(&given).is_none() {
                    return Err(format!(
                        "--request {given:?}: expected a method and a path, e.g. 'POST /order'"
                    ));
                }
                request = Some(given);
            }
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            _ if input.is_none() => input = Some(arg),
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    Ok(BuiltIn::Sign {
        timestamp,
        request,
        input,
    })
}

/// `POST /order?lang=en` as its method and target.
fn split_request(text: &str) -> Option<(&str, &str)> {
    let (method, target) = text.trim().split_once(' ')?;
    let target = target.trim();
    let valid =
        axum::http::Method::from_bytes(method.as_bytes()).is_ok() && target.starts_with('/');
    valid.then_some((method, target))
}

/// `replay DIR [--ignore POINTER]... [--header 'NAME: VALUE']...`
fn replay_command(mut args: impl Iterator<Item = String>) -> Result<BuiltIn, String> {
    let (mut dir, mut ignore, mut headers) = (None, Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ignore" => ignore.push(args.next().ok_or("--ignore needs a JSON pointer")?),
            "--header" => {
                let header = args.next().ok_or("--header needs 'NAME: VALUE'")?;
                let (name, value) = header
                    .split_once(':')
                    .filter(|(name, _)| axum::http::HeaderName::try_from(name.trim()).is_ok())
                    .ok_or_else(|| format!("--header {header:?}: expected 'NAME: VALUE'"))?;
                if axum::http::HeaderValue::try_from(value.trim()).is_err() {
                    return Err(format!(
                        "--header {header:?}: the value is not a header value"
                    ));
                }
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown option `{other}`"));
            }
            _ if dir.is_none() => dir = Some(arg),
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    let dir = dir.ok_or("replay: which folder?")?;
    Ok(BuiltIn::Replay {
        dir,
        ignore,
        headers,
    })
}

/// The rest of a command line that takes one `option VALUE` and at most one file, in any
/// order.
fn option_and_file(
    mut args: impl Iterator<Item = String>,
    option: &str,
) -> Result<(Option<String>, Option<String>), String> {
    let mut value = None;
    let mut file = None;
    while let Some(arg) = args.next() {
        if arg == option {
            let given = args
                .next()
                .ok_or_else(|| format!("{option} needs a value"))?;
            value = Some(given);
        } else if arg.starts_with('-') {
            return Err(format!("unknown option `{arg}`"));
        } else if file.is_none() {
            file = Some(arg);
        } else {
            return Err(format!("unexpected argument `{arg}`"));
        }
    }
    Ok((value, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<BuiltIn, String> {
        parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn serves_by_default() {
        assert_eq!(run(&[]), Ok(BuiltIn::Serve));
        assert_eq!(run(&["serve"]), Ok(BuiltIn::Serve));
    }

    #[test]
    fn openapi_takes_a_prefix_and_a_file() {
        assert_eq!(
            run(&["openapi"]),
            Ok(BuiltIn::OpenApi {
                prefix: String::new(),
                output: None
            })
        );
        assert_eq!(
            run(&["openapi", "--prefix", "/chatlayer", "out.json"]),
            Ok(BuiltIn::OpenApi {
                prefix: "/chatlayer".into(),
                output: Some("out.json".into())
            })
        );
    }

    #[test]
    fn sign_takes_a_timestamp_and_a_file() {
        assert_eq!(
            run(&["sign", "--timestamp", "1700000000", "body.json"]),
            Ok(BuiltIn::Sign {
                timestamp: Some("1700000000".into()),
                request: None,
                input: Some("body.json".into())
            })
        );
        assert_eq!(
            run(&["sign", "--request", "POST /order?lang=en", "body.json"]),
            Ok(BuiltIn::Sign {
                timestamp: None,
                request: Some("POST /order?lang=en".into()),
                input: Some("body.json".into())
            })
        );
        assert_eq!(
            run(&["sign"]),
            Ok(BuiltIn::Sign {
                timestamp: None,
                request: None,
                input: None
            })
        );
        assert!(run(&["sign", "--request", "order"]).is_err());
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        for (args, says) in [
            (&["openapi", "--prefix"][..], "--prefix needs a value"),
            (&["openapi", "--out", "x"][..], "unknown option `--out`"),
            (&["openapi", "a", "b"][..], "unexpected argument `b`"),
            (&["steps", "x"][..], "unexpected argument `x`"),
            (&["replay"][..], "replay: which folder?"),
        ] {
            let message = run(args).unwrap_err();
            assert!(message.starts_with(says), "{message}");
        }
    }

    #[test]
    fn every_built_in_command_is_in_the_help_and_recognised() {
        let help = usage(&[]);
        for (synopsis, _) in BUILT_IN {
            let name = synopsis.split(' ').next().unwrap();
            assert!(is_built_in(name), "{name}");
            assert!(help.contains(&format!("  {synopsis}")), "{help}");
        }
        for line in help.lines() {
            assert!(line.len() <= 92, "too long: {line}");
        }
    }
}
