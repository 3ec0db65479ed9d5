//! Puts the latest results into bench/README.md, between pairs of markers, so the numbers there
//! are always the ones the harness wrote, never retyped: the performance figures (machine,
//! load, micro-benchmarks, compile time) in the Performance section, and what the attack
//! and memory harnesses found in the Security section.

use std::path::Path;

use crate::{Result, tools};

/// One generated part of the README.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// The line before it.
    pub start: &'static str,
    /// The line after it.
    pub end: &'static str,
    /// The result files it is made of, in order (those that exist).
    pub parts: &'static [&'static str],
}

/// The Performance section's figures.
pub const BENCH: Block = Block {
    start: "<!-- bench:start (written by `cargo run --release -p chatlayer-bench`; edit bench/src/readme.rs instead) -->",
    end: "<!-- bench:end -->",
    parts: &[
        "machine.md",
        "load.md",
        "instructions.md",
        "shapes.md",
        "micro.md",
        "compile.md",
    ],
};

/// The Operations section's figures.
pub const OPERATIONS: Block = Block {
    start: "<!-- rolling:start (written by `cargo run --release -p chatlayer-bench -- rolling`; edit bench/src/readme.rs instead) -->",
    end: "<!-- rolling:end -->",
    parts: &["rolling.md"],
};

/// The Security section's figures.
pub const ATTACK: Block = Block {
    start: "<!-- attack:start (written by `cargo run --release -p chatlayer-bench -- attack` and `-- memory`; edit bench/src/readme.rs instead) -->",
    end: "<!-- attack:end -->",
    parts: &["attack.md", "memory.md"],
};

/// Replaces what is between the block's markers in `readme` with `generated`.
pub fn replace_between_markers(readme: &str, block: Block, generated: &str) -> Result<String> {
    let start = readme
        .find(block.start)
        .ok_or_else(|| format!("the README has no line `{}`", block.start))?;
    let end = readme[start..]
        .find(block.end)
        .map(|offset| start + offset)
        .ok_or_else(|| {
            format!(
                "the README has no line `{}` after the start marker",
                block.end
            )
        })?;
    Ok(format!(
        "{}{}\n{}\n{}",
        &readme[..start],
        block.start,
        generated.trim_end(),
        &readme[end..]
    ))
}

/// Rewrites the README's generated parts from the result files in `results`. A block none
/// of whose files exist is left as it is.
pub fn update(readme: &Path, results: &Path) -> Result<()> {
    let mut text = tools::read(readme)?;
    for block in [BENCH, ATTACK, OPERATIONS] {
        let mut generated = String::new();
        for part in block.parts {
            let path = results.join(part);
            if path.exists() {
                generated.push_str(tools::read(&path)?.trim_end());
                generated.push_str("\n\n");
            }
        }
        if !generated.is_empty() {
            text = replace_between_markers(&text, block, &generated)?;
        }
    }
    tools::write(readme, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_generated_part() {
        let (start, end) = (BENCH.start, BENCH.end);
        let readme = format!("# Title\n\n{start}\nold numbers\n{end}\n\nMore prose.\n");
        let updated = replace_between_markers(&readme, BENCH, "new numbers\n").unwrap();
        assert_eq!(
            updated,
            format!("# Title\n\n{start}\nnew numbers\n{end}\n\nMore prose.\n")
        );
        assert!(
            replace_between_markers("# Title\n", BENCH, "x")
                .unwrap_err()
                .contains("no line")
        );
    }

    #[test]
    fn the_readme_has_both_blocks() {
        let readme = tools::read(&crate::workspace_root().join("bench").join("README.md")).unwrap();
        for block in [BENCH, ATTACK, OPERATIONS] {
            assert!(
                replace_between_markers(&readme, block, "x").is_ok(),
                "{block:?}"
            );
        }
    }
}
