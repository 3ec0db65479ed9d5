//! Naming rules: `rename_all` for parameter names and the path derived for `#[next_block]`.

/// The `rename_all` conventions a step accepts, named as serde names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the variants are named as serde names the rules
pub(crate) enum RenameRule {
    /// `transaction_success` stays `transaction_success` (the default).
    SnakeCase,
    /// `transaction_success` becomes `transactionSuccess`.
    CamelCase,
    /// `transaction_success` becomes `TransactionSuccess`.
    PascalCase,
    /// `transaction_success` becomes `transaction-success`.
    KebabCase,
    /// `transaction_success` becomes `TRANSACTION_SUCCESS`.
    ScreamingSnakeCase,
}

impl RenameRule {
    pub(crate) const NAMES: &'static str =
        "\"camelCase\", \"snake_case\", \"PascalCase\", \"kebab-case\", \"SCREAMING_SNAKE_CASE\"";

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "snake_case" => RenameRule::SnakeCase,
            "camelCase" => RenameRule::CamelCase,
            "PascalCase" => RenameRule::PascalCase,
            "kebab-case" => RenameRule::KebabCase,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnakeCase,
            _ => return None,
        })
    }

    /// Applies the rule to a Rust identifier written in snake_case.
    pub(crate) fn apply(self, snake: &str) -> String {
        let words = snake.split('_').filter(|word| !word.is_empty());
        match self {
            RenameRule::SnakeCase => snake.to_owned(),
            RenameRule::KebabCase => words.collect::<Vec<_>>().join("-"),
            RenameRule::ScreamingSnakeCase => words
                .map(str::to_ascii_uppercase)
                .collect::<Vec<_>>()
                .join("_"),
            RenameRule::CamelCase => words
                .enumerate()
                .map(|(i, word)| {
                    if i == 0 {
                        word.to_owned()
                    } else {
                        capitalize(word)
                    }
                })
                .collect(),
            RenameRule::PascalCase => words.map(capitalize).collect(),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The path a `#[next_block]` without an explicit path is served at: the function name with
/// `_` turned into `-`, e.g. `opening_hours` -> `/opening-hours`.
pub(crate) fn path_from_fn_name(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let words: Vec<&str> = name.split('_').filter(|word| !word.is_empty()).collect();
    format!("/{}", words.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_rules_follow_serde_names() {
        let name = "transaction_no_money";
        assert_eq!(RenameRule::CamelCase.apply(name), "transactionNoMoney");
        assert_eq!(RenameRule::PascalCase.apply(name), "TransactionNoMoney");
        assert_eq!(RenameRule::KebabCase.apply(name), "transaction-no-money");
        assert_eq!(
            RenameRule::ScreamingSnakeCase.apply(name),
            "TRANSACTION_NO_MONEY"
        );
        assert_eq!(RenameRule::SnakeCase.apply(name), name);
        assert_eq!(RenameRule::CamelCase.apply("amount"), "amount");
    }

    #[test]
    fn next_block_paths_are_kebab_case() {
        assert_eq!(path_from_fn_name("opening_hours"), "/opening-hours");
        assert_eq!(path_from_fn_name("route"), "/route");
        assert_eq!(path_from_fn_name("r#type"), "/type");
    }
}
