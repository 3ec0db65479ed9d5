//! Botium's scripting memory, as its `ScriptingMemory` runs it with `SCRIPTING_ENABLE_MEMORY`
//! on: a `$name` in a bot section's text takes its value from what the bot said (a run of
//! non-space characters, or of word characters, or anything, per
//! `SCRIPTING_MEMORY_MATCHING_MODE`); in any later text, `$name` is replaced by its value;
//! `SET_SCRIPTING_MEMORY name|value` and `CLEAR_SCRIPTING_MEMORY name` set and forget one.
//! Botium's functions (`$now`, `$random10`, ...) are refused where a script is read.

use std::collections::BTreeMap;

/// Variable values by name (`$name`).
pub(crate) type Memory = BTreeMap<String, String>;

/// Botium's scripting functions: reserved names that are never variables.
pub(crate) const FUNCTIONS: [&str; 34] = [
    "$now",
    "$now_EN",
    "$now_DE",
    "$now_ISO",
    "$date",
    "$date_EN",
    "$date_DE",
    "$date_ISO",
    "$time",
    "$time_EN",
    "$time_DE",
    "$time_ISO",
    "$time_HH_MM",
    "$time_HH",
    "$time_H_A",
    "$timestamp",
    "$tomorrow",
    "$yesterday",
    "$date_add",
    "$date_subtract",
    "$year",
    "$month",
    "$month_MM",
    "$day_of_month",
    "$day_of_week",
    "$random",
    "$random10",
    "$uniqid",
    "$projectname",
    "$testsessionname",
    "$testcasename",
    "$env",
    "$cap",
    "$msg",
];

/// What a variable's value may be: `SCRIPTING_MEMORY_MATCHING_MODE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ValueChars {
    /// `non_whitespace`, the default: `\S+`.
    #[default]
    NonSpace,
    /// `word`: `\w+`.
    Word,
    /// `joker`: anything, at least one character.
    Any,
}

impl ValueChars {
    fn allows(self, c: char) -> bool {
        match self {
            ValueChars::NonSpace => !c.is_whitespace(),
            ValueChars::Word => c.is_alphanumeric() || c == '_',
            ValueChars::Any => true,
        }
    }
}

/// The variables in `text`, in order: `$` and a letter, then at least one word character
/// (Botium's `\$[A-Za-z]\w+`).
pub(crate) fn names(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (index, _) in text.match_indices('$') {
        let rest = &text[index + 1..];
        let mut chars = rest.char_indices();
        if !chars.next().is_some_and(|(_, c)| c.is_ascii_alphabetic()) {
            continue;
        }
        let end = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(at, _)| at);
        if end >= 2 {
            found.push(&text[index..index + 1 + end]);
        }
    }
    found
}

/// `text` with each known variable replaced by its value, the longest names first (so that
/// `$years` is not read as `$year` and `s`).
pub(crate) fn apply(memory: &Memory, text: &str) -> String {
    let mut keys: Vec<&String> = memory.keys().collect();
    keys.sort_by_key(|key| std::cmp::Reverse(key.len()));
    let mut text = text.to_owned();
    for key in keys {
        text = text.replace(key.as_str(), &memory[key]);
    }
    text
}

/// The values `expected`'s variables take in `actual`, as Botium's `fill` finds them: the
/// first place where `expected` (its variables standing for values) occurs in `actual`,
/// case counting. `None` when it occurs nowhere.
pub(crate) fn fill(
    expected: &str,
    actual: &str,
    chars: ValueChars,
) -> Option<Vec<(String, String)>> {
    let variables = names(expected);
    if variables.is_empty() {
        return None;
    }
    // Literal pieces around the variables.
    let mut literals = Vec::new();
    let mut rest = expected;
    for variable in &variables {
        let at = rest.find(variable).expect("names() found it in order");
        literals.push(&rest[..at]);
        rest = &rest[at + variable.len()..];
    }
    literals.push(rest);
    for (start, _) in actual.char_indices().chain([(actual.len(), ' ')]) {
        let mut values = Vec::new();
        if matches_from(&actual[start..], &literals, chars, &mut values) {
            return Some(
                variables
                    .iter()
                    .map(|name| (*name).to_owned())
                    .zip(values)
                    .collect(),
            );
        }
    }
    None
}

/// Whether `text` starts with `literals[0]`, then a value, `literals[1]`, ... (each value
/// as long as it can be, backing off as a regular expression's greedy group would).
fn matches_from(
    text: &str,
    literals: &[&str],
    chars: ValueChars,
    values: &mut Vec<String>,
) -> bool {
    let Some(rest) = text.strip_prefix(literals[0]) else {
        return false;
    };
    if literals.len() == 1 {
        return true;
    }
    let longest = rest
        .char_indices()
        .find(|(_, c)| !chars.allows(*c))
        .map_or(rest.len(), |(at, _)| at);
    let mut ends: Vec<usize> = rest[..longest]
        .char_indices()
        .map(|(at, c)| at + c.len_utf8())
        .collect();
    ends.reverse();
    for end in ends {
        values.push(rest[..end].to_owned());
        if matches_from(&rest[end..], &literals[1..], chars, values) {
            return true;
        }
        values.pop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_take_their_values_from_the_bot_and_fill_later_texts() {
        assert_eq!(
            names("buy $productName for $x or $customer1"),
            ["$productName", "$customer1"]
        );
        let found = fill(
            "Your order $orderId is $status.",
            "Your order A-17 is shipped.",
            ValueChars::NonSpace,
        )
        .unwrap();
        assert_eq!(
            found,
            [
                ("$orderId".to_owned(), "A-17".to_owned()),
                ("$status".to_owned(), "shipped".to_owned())
            ]
        );
        assert_eq!(
            fill("order $id.", "no order here", ValueChars::NonSpace),
            None
        );
        let memory = Memory::from([
            ("$year".to_owned(), "2026".to_owned()),
            ("$years".to_owned(), "3".to_owned()),
        ]);
        assert_eq!(apply(&memory, "$years since $year"), "3 since 2026");
    }
}
