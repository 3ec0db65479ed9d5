//! Whether two arguments read the same parameter is decided by their types, not by how the
//! types are spelled: an alias of `Dep` reads no parameter, so it may share a name.
use chatlayer_runtime::prelude::*;

struct Database;
type Db = Dep<Database>;
type Ctx = Context;

#[api_step("/lookup")]
async fn lookup(db: Db, #[param(rename = "db")] database_name: String, context: Ctx) -> Reply {
    let _ = (db, context);
    Reply::new().add_message(database_name)
}

fn main() {
    let app = App::from_steps([lookup::STEP]).provide(Database).build().unwrap();
    assert_eq!(app.steps().len(), 1);
}
