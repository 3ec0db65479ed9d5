//! [`App::run`]: the standalone binary's `main`, with commands besides serving.

use std::io::Write;

use crate::app::{App, AppBuilder};
use crate::serve::ServeError;

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve,
    OpenApi {
        prefix: String,
        output: Option<String>,
    },
    Steps,
    HealthCheck,
    Sign {
        timestamp: Option<String>,
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
    /// `emulate` or `converse`, with the `emulator` feature.
    #[cfg(feature = "emulator")]
    Emulator(crate::emulator::EmulatorCommand),
}

const USAGE: &str = "\
usage: <program> [command]

commands:
  serve                       serve the steps (the default)
  openapi [--prefix P] [FILE] write the OpenAPI 3.1 document to FILE, or to stdout;
                              --prefix puts the steps under P, e.g. /chatlayer
  steps                       list the steps: method, path and function
  healthcheck                 ask the server running on this machine (at CHATLAYER_ADDR or
                              PORT) whether it is alive: exit status 0 if /healthz answers
                              200, else 1 (a container's HEALTHCHECK, with no curl needed)
  sign [--timestamp T] [FILE] print the signature headers a sender must send with the
                              body in FILE (or stdin), with this app's signature settings
  replay DIR [--ignore POINTER]... [--header 'NAME: VALUE']...
                              send every request recorded in DIR to this app again
                              (in-process) and compare the replies with the recorded ones;
                              exit status 1 with a diff when one differs. --ignore leaves a
                              part of the replies out (a JSON pointer, `*` for any key);
                              --header adds a header (credentials the recording redacted);
                              bodies are signed again when the app verifies signatures
  contract DIR                report what the recording in DIR shows: content types,
                              each parameter's kinds of values, parameters no step reads,
                              header names
  help                        show this text
{emulator}
environment (serve, emulate): CHATLAYER_ADDR=host:port, or PORT=port";

/// The usage text, with the emulator's commands when the feature is on.
fn usage() -> String {
    #[cfg(feature = "emulator")]
    let emulator = crate::emulator::USAGE;
    #[cfg(not(feature = "emulator"))]
    let emulator = "  emulate, converse           the conversation emulator: not in this build \
                    (chatlayer-runtime's `emulator` feature)";
    USAGE.replace("{emulator}", emulator)
}

impl App {
    /// Runs the command given on the command line: `serve` (the default), `openapi`,
    /// `steps` or `help`. The `main` of a standalone backend:
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
        match parse(std::env::args().skip(1)).map_err(ServeError::Usage)? {
            Command::Serve => self.serve().await,
            Command::OpenApi { prefix, output } => {
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
            Command::Steps => {
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
            Command::HealthCheck => {
                let address = crate::serve::listen_address(
                    std::env::var("CHATLAYER_ADDR").ok(),
                    std::env::var("PORT").ok(),
                )?;
                crate::health::probe(&address).map_err(ServeError::Unhealthy)
            }
            Command::Sign { timestamp, input } => {
                let verifier = self.guards().signature().ok_or_else(|| {
                    ServeError::Usage(
                        "this app verifies no signatures: configure verify_signatures(..) or \
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
                    verifier.sign(&body, timestamp.as_deref())
                ));
                std::io::stdout()
                    .write_all(out.as_bytes())
                    .map_err(ServeError::Io)
            }
            Command::Help => {
                println!("{}", usage());
                Ok(())
            }
            Command::Replay {
                dir,
                ignore,
                headers,
            } => {
                let mut replay = crate::record::Replay::from_dir(&dir);
                for pointer in ignore {
                    replay = replay.ignore(pointer);
                }
                for (name, value) in &headers {
                    replay = replay.header(name, value);
                }
                if let Some(verifier) = self.guards().signature() {
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
                    Err(ServeError::Usage(report.to_string()))
                }
            }
            Command::Contract { dir } => {
                let report = crate::record::ContractReport::from_dir(&dir, Some(&self))
                    .map_err(ServeError::Usage)?;
                std::io::stdout()
                    .write_all(report.to_string().as_bytes())
                    .map_err(ServeError::Io)
            }
            #[cfg(feature = "emulator")]
            Command::Emulator(command) => crate::emulator::run_command(command, Some(&self)).await,
        }
    }
}

impl AppBuilder {
    /// Builds the app and [runs](App::run) the command line's command.
    pub async fn run(self) -> Result<(), ServeError> {
        self.build()?.run().await
    }
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let command = match args.next().as_deref() {
        None | Some("serve") => Command::Serve,
        Some("steps") => Command::Steps,
        Some("healthcheck") => Command::HealthCheck,
        Some("help" | "--help" | "-h") => Command::Help,
        Some("sign") => {
            let (timestamp, input) = option_and_file(args, "--timestamp")?;
            return Ok(Command::Sign { timestamp, input });
        }
        Some(name @ ("emulate" | "converse")) => return emulator_command(name, args),
        Some("replay") => return replay_command(args),
        Some("contract") => {
            let dir = args
                .next()
                .ok_or_else(|| format!("contract: which folder?\n\n{}", usage()))?;
            if let Some(extra) = args.next() {
                return Err(format!("unexpected argument `{extra}`\n\n{}", usage()));
            }
            return Ok(Command::Contract { dir });
        }
        Some("openapi") => {
            let (prefix, output) = option_and_file(args, "--prefix")?;
            let prefix = prefix.unwrap_or_default();
            return Ok(Command::OpenApi { prefix, output });
        }
        Some(other) => return Err(format!("unknown command `{other}`\n\n{}", usage())),
    };
    match args.next() {
        Some(extra) => Err(format!("unexpected argument `{extra}`\n\n{}", usage())),
        None => Ok(command),
    }
}

/// `replay DIR [--ignore POINTER]... [--header 'NAME: VALUE']...`
fn replay_command(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let (mut dir, mut ignore, mut headers) = (None, Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ignore" => ignore.push(
                args.next()
                    .ok_or_else(|| format!("--ignore needs a JSON pointer\n\n{}", usage()))?,
            ),
            "--header" => {
                let header = args
                    .next()
                    .ok_or_else(|| format!("--header needs 'NAME: VALUE'\n\n{}", usage()))?;
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
                return Err(format!("unknown option `{other}`\n\n{}", usage()));
            }
            _ if dir.is_none() => dir = Some(arg),
            _ => return Err(format!("unexpected argument `{arg}`\n\n{}", usage())),
        }
    }
    let dir = dir.ok_or_else(|| format!("replay: which folder?\n\n{}", usage()))?;
    Ok(Command::Replay {
        dir,
        ignore,
        headers,
    })
}

#[cfg(feature = "emulator")]
fn emulator_command(name: &str, args: impl Iterator<Item = String>) -> Result<Command, String> {
    match crate::emulator::parse_command(name, args) {
        Some(Ok(command)) => Ok(Command::Emulator(command)),
        Some(Err(problem)) => Err(format!("{problem}\n\n{}", usage())),
        None => unreachable!("`{name}` is an emulator command"),
    }
}

#[cfg(not(feature = "emulator"))]
fn emulator_command(name: &str, _args: impl Iterator<Item = String>) -> Result<Command, String> {
    Err(format!(
        "`{name}` needs the conversation emulator, which this binary was built without: \
         enable chatlayer-runtime's `emulator` feature (e.g. a `dev` feature of your crate \
         that turns it on), or use the standalone `chatlayer-emulator` command"
    ))
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
                .ok_or_else(|| format!("{option} needs a value\n\n{}", usage()))?;
            value = Some(given);
        } else if arg.starts_with('-') {
            return Err(format!("unknown option `{arg}`\n\n{}", usage()));
        } else if file.is_none() {
            file = Some(arg);
        } else {
            return Err(format!("unexpected argument `{arg}`\n\n{}", usage()));
        }
    }
    Ok((value, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn serves_by_default() {
        assert_eq!(run(&[]), Ok(Command::Serve));
        assert_eq!(run(&["serve"]), Ok(Command::Serve));
    }

    #[test]
    fn openapi_takes_a_prefix_and_a_file() {
        assert_eq!(
            run(&["openapi"]),
            Ok(Command::OpenApi {
                prefix: String::new(),
                output: None
            })
        );
        assert_eq!(
            run(&["openapi", "--prefix", "/chatlayer", "out.json"]),
            Ok(Command::OpenApi {
                prefix: "/chatlayer".into(),
                output: Some("out.json".into())
            })
        );
    }

    #[test]
    fn sign_takes_a_timestamp_and_a_file() {
        assert_eq!(
            run(&["sign", "--timestamp", "1700000000", "body.json"]),
            Ok(Command::Sign {
                timestamp: Some("1700000000".into()),
                input: Some("body.json".into())
            })
        );
        assert_eq!(
            run(&["sign"]),
            Ok(Command::Sign {
                timestamp: None,
                input: None
            })
        );
    }

    #[test]
    fn mistakes_say_what_is_wrong_and_show_the_usage() {
        for (args, says) in [
            (&["opnapi"][..], "unknown command `opnapi`"),
            (&["openapi", "--prefix"][..], "--prefix needs a value"),
            (&["openapi", "--out", "x"][..], "unknown option `--out`"),
            (&["openapi", "a", "b"][..], "unexpected argument `b`"),
            (&["steps", "x"][..], "unexpected argument `x`"),
        ] {
            let message = run(args).unwrap_err();
            assert!(message.starts_with(says), "{message}");
            assert!(message.contains("usage:"), "{message}");
        }
    }
}
