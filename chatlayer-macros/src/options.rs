//! The options of `#[api_step]` and `#[next_block]`: one list, read by the attribute's
//! parser (an option not listed here is refused, whatever the parser would make of it) and
//! printed as the options table of the runtime's documentation (`__options_table!`), so the
//! reference cannot drift from what the macros accept.

/// One option of the attributes.
pub(crate) struct OptionDoc {
    /// Its name, e.g. `timeout`.
    pub(crate) name: &'static str,
    /// How it is written, e.g. `timeout = "5s"`.
    pub(crate) example: &'static str,
    /// What it does (Markdown; intra-doc links resolve in chatlayer-runtime's root).
    pub(crate) meaning: &'static str,
    /// What applies without it.
    pub(crate) default: &'static str,
    /// Whether `#[next_block]` takes it (`#[api_step]` takes them all).
    pub(crate) next_block: bool,
}

pub(crate) const OPTIONS: &[OptionDoc] = &[
    OptionDoc {
        name: "method",
        example: "method = GET",
        meaning: "`GET`, `POST`, `PUT`, `PATCH` or `DELETE`, as set in the API step",
        default: "`POST`",
        next_block: true,
    },
    OptionDoc {
        name: "rename_all",
        example: "rename_all = \"camelCase\"",
        meaning: "how argument names map to parameter names: `\"camelCase\"`, `\"snake_case\"`, \
                  `\"PascalCase\"`, `\"kebab-case\"`, `\"SCREAMING_SNAKE_CASE\"`",
        default: "names as written",
        next_block: true,
    },
    OptionDoc {
        name: "namespace",
        example: "namespace = \"order\"",
        meaning: "the session namespace [`Reply::add_session_data`] writes to",
        default: "none",
        next_block: false,
    },
    OptionDoc {
        name: "session",
        example: "session = OrderSession",
        meaning: "the type of the session data the step stores (a `JsonSchema` type), for the \
                  OpenAPI document; in debug builds a reply writing data of another shape \
                  fails with `invalid_reply`",
        default: "undocumented",
        next_block: false,
    },
    OptionDoc {
        name: "tag",
        example: "tag = \"shop\"",
        meaning: "a group name for documentation",
        default: "none",
        next_block: true,
    },
    OptionDoc {
        name: "fallback",
        example: "fallback = on_failure",
        meaning: "the argument (a [`BlockId`]) to jump to when the step fails; a string names a \
                  parameter as sent, e.g. `fallback = \"errorBlock\"`",
        default: "the app's [`Fallback`]",
        next_block: true,
    },
    OptionDoc {
        name: "fallback_message",
        example: "fallback_message = \"...\"",
        meaning: "a text sent along with the jump to the fallback block",
        default: "the app's [`Fallback::message`]",
        next_block: true,
    },
    OptionDoc {
        name: "timeout",
        example: "timeout = \"5s\"",
        meaning: "how long the step may run before it fails with `step_timeout`: a whole \
                  number and a unit (`ms`, `s`, `m`, `h`), the grammar of the environment's \
                  durations ([`config::parse_duration`]); checked at compile time",
        default: "the app's [`Limits::step_timeout`]",
        next_block: true,
    },
    OptionDoc {
        name: "deny_unknown_params",
        example: "deny_unknown_params",
        meaning: "refuse requests carrying parameters no argument reads, with a 400 \
                  `unknown_parameter`",
        default: "the app's [`AppBuilder::deny_unknown_params`]",
        next_block: true,
    },
    OptionDoc {
        name: "crate",
        example: "crate = path",
        meaning: "where `chatlayer_runtime` is, for crates that re-export it",
        default: "`::chatlayer_runtime`",
        next_block: true,
    },
];

/// The options `#[next_block]` takes (`next_block`), or `#[api_step]`.
pub(crate) fn of(next_block: bool) -> impl Iterator<Item = &'static OptionDoc> {
    OPTIONS
        .iter()
        .filter(move |option| !next_block || option.next_block)
}

/// Whether any attribute takes an option called `name`.
pub(crate) fn exists(name: &str) -> bool {
    OPTIONS.iter().any(|option| option.name == name)
}

/// The names the attribute takes, for error messages: `method, rename_all, ...`.
pub(crate) fn names(next_block: bool) -> String {
    of(next_block)
        .map(|option| option.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The options of the attribute as a Markdown table.
pub(crate) fn table(next_block: bool) -> String {
    let mut table = String::from("| option | meaning | default |\n|---|---|---|\n");
    for option in of(next_block) {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            option.example, option.meaning, option.default
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_block_takes_every_option_but_the_session_ones() {
        assert_eq!(
            names(true),
            "method, rename_all, tag, fallback, fallback_message, timeout, \
             deny_unknown_params, crate"
        );
        assert!(table(false).contains("| `timeout = \"5s\"` |"));
        assert!(!table(true).contains("namespace"));
    }
}
