//! [`Command`]: a command that another crate adds to an app's binary, run by
//! [`App::run`](crate::App::run) beside the app's own (`serve`, `openapi`, ...).

use std::future::Future;
use std::pin::Pin;

use super::App;
use crate::problems::ServeError;

/// The future a [`Command`] runs.
pub type CommandFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ServeError>> + Send + 'a>>;

/// A command of an app's binary, added with
/// [`AppBuilder::command`](crate::AppBuilder::command): the command line
/// `<binary> NAME ARGS...` runs it with the built app. The conversation emulator's
/// `emulate` and `converse` are commands of this kind (the `chatlayer-emulator` crate);
/// anything a team needs beside serving (a data import, a smoke test) can be one.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::cli::{Command, CommandFuture};
///
/// /// `<binary> count`: prints how many steps the app serves.
/// struct Count;
///
/// impl Command for Count {
///     fn name(&self) -> &'static str { "count" }
///     fn synopsis(&self) -> &'static str { "count" }
///     fn about(&self) -> &'static str { "print how many steps the app serves" }
///     fn run<'a>(&'a self, app: &'a App, _args: Vec<String>) -> CommandFuture<'a> {
///         Box::pin(async move {
///             println!("{}", app.steps().len());
///             Ok(())
///         })
///     }
/// }
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::from_steps([x::STEP]).command(Count).build().unwrap();
/// // `app.run().await` now runs `count` when the command line says `count`.
/// # let _ = app;
/// ```
pub trait Command: Send + Sync + 'static {
    /// The word that names it on the command line, e.g. `emulate`.
    fn name(&self) -> &'static str;

    /// How it is called, for the help text: the name and its arguments, e.g.
    /// `emulate BOT_FILE [--backend URL]`.
    fn synopsis(&self) -> &'static str;

    /// What it does, for the help text (wrapped there).
    fn about(&self) -> &'static str;

    /// Runs it with the arguments after its name. The default logger is installed
    /// before, as for `serve`; an error is printed by `main` (through `ServeError`'s
    /// `Debug`) and makes the process exit non-zero.
    fn run<'a>(&'a self, app: &'a App, args: Vec<String>) -> CommandFuture<'a>;
}
