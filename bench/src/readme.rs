//! Puts the latest results into the README, between two markers, so the numbers there are
//! always the ones the harness wrote, never retyped.

use std::path::Path;

use crate::{Result, tools};

/// The line before the generated part.
pub const START: &str = "<!-- bench:start (written by `cargo run --release -p chatlayer-bench`; edit bench/src/readme.rs instead) -->";
/// The line after it.
pub const END: &str = "<!-- bench:end -->";

/// Replaces what is between the markers in `readme` with `generated`.
pub fn replace_between_markers(readme: &str, generated: &str) -> Result<String> {
    let start = readme
        .find(START)
        .ok_or_else(|| format!("the README has no line `{START}`"))?;
    let end = readme[start..]
        .find(END)
        .map(|offset| start + offset)
        .ok_or_else(|| format!("the README has no line `{END}` after the start marker"))?;
    Ok(format!(
        "{}{START}\n{}\n{}",
        &readme[..start],
        generated.trim_end(),
        &readme[end..]
    ))
}

/// Rewrites the README's generated part from the result files in `results`: the machine,
/// then the load, micro-benchmark and compile-time sections that exist.
pub fn update(readme: &Path, results: &Path) -> Result<()> {
    let mut generated = String::new();
    for part in ["machine.md", "load.md", "micro.md", "compile.md"] {
        let path = results.join(part);
        if path.exists() {
            generated.push_str(tools::read(&path)?.trim_end());
            generated.push_str("\n\n");
        }
    }
    let text = tools::read(readme)?;
    tools::write(readme, &replace_between_markers(&text, &generated)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_generated_part() {
        let readme = format!("# Title\n\n{START}\nold numbers\n{END}\n\nMore prose.\n");
        let updated = replace_between_markers(&readme, "new numbers\n").unwrap();
        assert_eq!(
            updated,
            format!("# Title\n\n{START}\nnew numbers\n{END}\n\nMore prose.\n")
        );
        assert!(
            replace_between_markers("# Title\n", "x")
                .unwrap_err()
                .contains("no line")
        );
    }
}
