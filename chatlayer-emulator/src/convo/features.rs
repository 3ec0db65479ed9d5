//! Every name Botium's convo format knows, and what this runner does with each: runs it, or
//! refuses the script with the reason. A name missing here is not Botium's (nor ours), so
//! its line is text, as Botium reads it. The table is the single source of what the runner
//! supports: `docs/emulator.md` lists it, and a test checks the list against it.

use super::botium::{HookKind, Sender};

/// What the runner does with a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Support {
    /// It runs as Botium runs it.
    Runs,
    /// The script is refused: the emulator cannot run it, for this reason.
    Refused(&'static str),
}

/// One name of the format.
pub(crate) struct Feature {
    pub(crate) name: &'static str,
    pub(crate) kind: HookKind,
    pub(crate) support: Support,
}

const NLP: Support = Support::Refused(
    "it checks what an NLP engine understood, and the emulator has none: run this script \
     against the live bot with Botium",
);
const TIMING: Support = Support::Refused(
    "it waits for time to pass or for late messages, and the emulator runs each turn to its \
     end at once",
);
const CONNECTOR: Support = Support::Refused(
    "it changes what a Botium connector sends or how it behaves, which has no meaning against \
     the emulator",
);
const CONDITIONAL: Support = Support::Refused(
    "conditional steps depend on the clock, capabilities or the bot's raw answer, which the \
     emulator does not model",
);
const NOT_YET: Support = Support::Refused("the emulator does not run this asserter yet");

const fn asserter(name: &'static str, support: Support) -> Feature {
    Feature {
        name,
        kind: HookKind::Asserter,
        support,
    }
}

const fn logic_hook(name: &'static str, support: Support) -> Feature {
    Feature {
        name,
        kind: HookKind::LogicHook,
        support,
    }
}

const fn user_input(name: &'static str, support: Support) -> Feature {
    Feature {
        name,
        kind: HookKind::UserInput,
        support,
    }
}

/// Botium's default asserters, logic hooks and user inputs (its `LogicHookConsts`), and
/// this emulator's extensions.
pub(crate) const FEATURES: &[Feature] = &[
    asserter("BUTTONS", Support::Runs),
    asserter("BUTTONS_COUNT", Support::Runs),
    asserter("BUTTONS_COUNT_REC", Support::Runs),
    asserter("MEDIA", Support::Runs),
    asserter("MEDIA_COUNT", Support::Runs),
    asserter("MEDIA_COUNT_REC", Support::Runs),
    asserter("CARDS", Support::Runs),
    asserter("CARDS_COUNT", Support::Runs),
    asserter("CARDS_COUNT_REC", Support::Runs),
    asserter("TEXT", Support::Runs),
    asserter("TEXT_IC", Support::Runs),
    asserter("TEXT_EQUALS", Support::Runs),
    asserter("TEXT_EQUALS_IC", Support::Runs),
    asserter("TEXT_CONTAINS_ANY", Support::Runs),
    asserter("TEXT_CONTAINS_ANY_IC", Support::Runs),
    asserter("TEXT_CONTAINS_ALL", Support::Runs),
    asserter("TEXT_CONTAINS_ALL_IC", Support::Runs),
    asserter("TEXT_WILDCARD_ANY", Support::Runs),
    asserter("TEXT_WILDCARD_ANY_IC", Support::Runs),
    asserter("TEXT_WILDCARD_ALL", Support::Runs),
    asserter("TEXT_WILDCARD_ALL_IC", Support::Runs),
    asserter("TEXT_WILDCARDEXACT_ANY", Support::Runs),
    asserter("TEXT_WILDCARDEXACT_ANY_IC", Support::Runs),
    asserter("TEXT_WILDCARDEXACT_ALL", Support::Runs),
    asserter("TEXT_WILDCARDEXACT_ALL_IC", Support::Runs),
    asserter("TEXT_REGEXP_ANY", Support::Runs),
    asserter("TEXT_REGEXP_ANY_IC", Support::Runs),
    asserter("TEXT_REGEXP_ALL", Support::Runs),
    asserter("TEXT_REGEXP_ALL_IC", Support::Runs),
    asserter("TEXT_WER", NOT_YET),
    asserter("BOT_CONSUMED", Support::Runs),
    asserter("BOT_UNCONSUMED_COUNT", Support::Runs),
    asserter("JSON_PATH", Support::Runs),
    asserter("JSON_PATH_COUNT", Support::Runs),
    asserter("RESPONSE_LENGTH", NOT_YET),
    asserter("FORMS", NOT_YET),
    asserter("PAUSE_ASSERTER", TIMING),
    asserter("INTENT", NLP),
    asserter("INTENT_UNIQUE", NLP),
    asserter("INTENT_CONFIDENCE", NLP),
    asserter("ENTITIES", NLP),
    asserter("ENTITY_VALUES", NLP),
    asserter("ENTITY_CONTENT", NLP),
    logic_hook("INCLUDE", Support::Runs),
    logic_hook("SKIP_BOT_UNCONSUMED", Support::Runs),
    logic_hook("PAUSE", TIMING),
    logic_hook("WAITFORBOT", TIMING),
    logic_hook("SET_SCRIPTING_MEMORY", Support::Runs),
    logic_hook("CLEAR_SCRIPTING_MEMORY", Support::Runs),
    logic_hook("ASSIGN_SCRIPTING_MEMORY", Support::Runs),
    logic_hook("UPDATE_CUSTOM", CONNECTOR),
    logic_hook("CONVO_STEP_PARAMETERS", CONNECTOR),
    logic_hook("ORDERED_LIST_TO_BUTTON", CONNECTOR),
    logic_hook("CONDITIONAL_STEP_TIME_BASED", CONDITIONAL),
    logic_hook("CONDITIONAL_STEP_BUSINESS_HOURS", CONDITIONAL),
    logic_hook("CONDITIONAL_STEP_CAPABILITY_VALUE_BASED", CONDITIONAL),
    logic_hook("CONDITIONAL_STEP_JSON_PATH_BASED", CONDITIONAL),
    user_input("BUTTON", Support::Runs),
    user_input(
        "MEDIA",
        Support::Refused("the emulator cannot send a file: Chatlayer's uploads are not modelled"),
    ),
    user_input(
        "FORM",
        Support::Refused("the emulator has no forms: Chatlayer's input blocks take text"),
    ),
    // This emulator's extensions.
    asserter("CHATLAYER_START", Support::Runs),
    asserter("CHATLAYER_BLOCK", Support::Runs),
    asserter("CHATLAYER_SESSION", Support::Runs),
    asserter("CHATLAYER_ERROR", Support::Runs),
];

/// How Botium's compiler classifies `name` in a section of `sender`: asserters outside
/// `#me`, user inputs in it, logic hooks anywhere. The emulator's `CHATLAYER_*` names are
/// always hooks, so that a mistyped one is refused rather than read as text.
pub(crate) fn classify(sender: Sender, name: &str) -> Option<HookKind> {
    if name.starts_with("CHATLAYER_") {
        return Some(if sender == Sender::Me {
            HookKind::UserInput
        } else {
            HookKind::Asserter
        });
    }
    FEATURES
        .iter()
        .filter(|feature| feature.name == name)
        .map(|feature| feature.kind)
        .find(|kind| match kind {
            HookKind::Asserter => sender != Sender::Me,
            HookKind::UserInput => sender == Sender::Me,
            HookKind::LogicHook => true,
        })
}

/// What the runner does with the hook `name` of `kind`; `None` for a `CHATLAYER_` name this
/// emulator does not have.
pub(crate) fn support(kind: HookKind, name: &str) -> Option<Support> {
    FEATURES
        .iter()
        .find(|feature| feature.name == name && feature.kind == kind)
        .map(|feature| feature.support)
}

/// Whether `word` looks like the name of an asserter, logic hook or utterance (upper case
/// with an underscore: `UTT_HELLO`, `MY_ASSERTER`) rather than words a user or bot says.
/// Botium reads such a name as a hook when botium.json registers it, and as an utterance
/// when an utterances file names it; unregistered, it is text. The runner reads neither
/// file, so it refuses such a line instead of guessing.
pub(crate) fn looks_like_a_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && word.contains('_')
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !word.ends_with('_')
}

#[cfg(test)]
mod tests {
    use super::FEATURES;

    /// docs/emulator.md lists every name the runner knows in its "runs" table when it runs
    /// and in its "refused" table when it does not, so the lists cannot drift.
    #[test]
    fn the_guide_lists_every_feature_where_it_belongs() {
        let guide = include_str!("../../../docs/emulator.md");
        let table = |header: &str| -> String {
            let start = guide
                .find(header)
                .unwrap_or_else(|| panic!("docs/emulator.md has no table `{header}`"));
            guide[start..]
                .lines()
                .take_while(|line| line.starts_with('|'))
                // The first column, where `\|` is a `|` inside it.
                .map(|line| {
                    let line = line.replace("\\|", "\u{1}");
                    line.split('|').nth(1).unwrap_or_default().to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (runs, refused) = (table("| runs | |"), table("| refused | why |"));
        for feature in FEATURES {
            let name = format!("`{}", feature.name);
            let named = |list: &str| {
                list.match_indices(&name).any(|(at, _)| {
                    let next = list[at + name.len()..].chars().next();
                    matches!(next, Some('`' | ' '))
                })
            };
            let runs_here = |support: super::Support| matches!(support, super::Support::Runs);
            let (belongs, other) = if runs_here(feature.support) {
                (&runs, &refused)
            } else {
                (&refused, &runs)
            };
            // A name with two kinds (`MEDIA`: an asserter that runs, a user input that does
            // not) is in both tables, and one that runs may be refused in a case the refused
            // table names (`SET_SCRIPTING_MEMORY` while scripting memory is off); a refused
            // name is never in the runs table.
            let twin = FEATURES.iter().any(|twin| {
                twin.name == feature.name && runs_here(twin.support) != runs_here(feature.support)
            });
            let exclusive = !runs_here(feature.support) && !twin;
            assert!(
                named(belongs) && !(exclusive && named(other)),
                "docs/emulator.md lists `{}` in the wrong table, or in none",
                feature.name
            );
        }
    }
}
