//! The guide states facts the code also holds; these tests keep them one fact each.

use chatlayer_runtime::ErrorCode;

const START: &str = "<!-- error-codes:start";
const END: &str = "<!-- error-codes:end -->";

/// The guide's table of error codes is `ErrorCode`'s table: written from it with
/// `CHATLAYER_BLESS=1 cargo test -p chatlayer-tests --test docs`, checked otherwise.
#[test]
fn the_readme_error_table_is_the_code_table() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../chatlayer-runtime/src/guide/failures.md"
    );
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(START)
        .expect("the guide has the error-codes markers");
    let body_start = start + readme[start..].find("-->\n").unwrap() + "-->\n".len();
    let end = readme
        .find(END)
        .expect("the guide closes the error-codes markers");
    let table = ErrorCode::markdown_table();
    if std::env::var_os("CHATLAYER_BLESS").is_some() {
        let written = format!("{}{table}{}", &readme[..body_start], &readme[end..]);
        std::fs::write(path, written).unwrap();
        return;
    }
    assert!(
        readme[body_start..end] == table,
        "the guide's error table is out of date; rerun with CHATLAYER_BLESS=1:\n{table}"
    );
}
