//! An app whose dependency is made with `provide_with`, as a real one opens its database: the
//! dependency writes the file `DEFERRED_MARKER` names when it is made, and fails when
//! `DEFERRED_FAIL` is set. Every command of `App::run` is available.

use chatlayer_runtime::prelude::*;

/// What a database handle would be.
struct Db;

impl Db {
    fn open() -> std::io::Result<Db> {
        if std::env::var_os("DEFERRED_FAIL").is_some() {
            return Err(std::io::Error::other("read-only file system"));
        }
        if let Some(marker) = std::env::var_os("DEFERRED_MARKER") {
            std::fs::write(marker, "made")?;
        }
        Ok(Db)
    }
}

/// Looks a return up.
#[api_step("/returns")]
async fn returns(db: Dep<Db>) -> Reply {
    let Db = *db;
    Reply::new().add_message("found")
}

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    App::from_steps([returns::STEP])
        .provide_with(Db::open)
        .run()
        .await
}
