//! What a team's `botium.json` says that changes how its scripts read: the custom asserters,
//! logic hooks and user inputs it registers (their lines are hooks, not text), and the
//! matching mode of bot texts. The nearest `botium.json` in the script's folder or above it
//! is read, as Botium reads the one of the project it runs in.

use std::path::Path;

use serde_json::Value;

use super::TextHow;
use super::botium::HookKind;
use super::memory::ValueChars;

/// The settings of one `botium.json`, or Botium's defaults when there is none.
#[derive(Clone, Debug)]
pub(crate) struct BotiumConfig {
    /// The file, for messages.
    pub(crate) file: Option<String>,
    /// Custom hooks by name.
    pub(crate) custom: Vec<(String, HookKind)>,
    /// How a bot section's text is compared: `SCRIPTING_MATCHING_MODE`.
    pub(crate) matching: Matching,
    /// `SCRIPTING_ENABLE_MEMORY`: whether `$name` is a variable (else it is text).
    pub(crate) memory: bool,
    /// `SCRIPTING_MEMORY_MATCHING_MODE`: what a variable's value may hold.
    pub(crate) value_chars: ValueChars,
}

/// A text comparison: how, and whether case counts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Matching {
    pub(crate) how: TextHow,
    pub(crate) ignore_case: bool,
}

impl Default for BotiumConfig {
    fn default() -> Self {
        BotiumConfig {
            file: None,
            custom: Vec::new(),
            // Botium's default, `wildcardIgnoreCase`.
            matching: Matching {
                how: TextHow::Wildcard,
                ignore_case: true,
            },
            memory: false,
            value_chars: ValueChars::NonSpace,
        }
    }
}

impl BotiumConfig {
    /// The nearest `botium.json` from `folder` upwards, or the defaults.
    pub(crate) fn find(folder: &Path) -> Result<BotiumConfig, String> {
        let start = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
        for dir in start.ancestors() {
            let file = dir.join("botium.json");
            if file.is_file() {
                let text = std::fs::read_to_string(&file)
                    .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
                return Self::parse(&file.display().to_string(), &text);
            }
        }
        Ok(BotiumConfig::default())
    }

    /// Reads a `botium.json`'s text; `file` names it in messages.
    pub(crate) fn parse(file: &str, text: &str) -> Result<BotiumConfig, String> {
        let json: Value =
            serde_json::from_str(text).map_err(|error| format!("{file}: not JSON: {error}"))?;
        let capabilities = &json["botium"]["Capabilities"];
        let mut config = BotiumConfig {
            file: Some(file.to_owned()),
            ..BotiumConfig::default()
        };
        for (key, kind) in [
            ("ASSERTERS", HookKind::Asserter),
            ("LOGIC_HOOKS", HookKind::LogicHook),
            ("USER_INPUTS", HookKind::UserInput),
        ] {
            for entry in capabilities[key].as_array().into_iter().flatten() {
                if let Some(name) = entry["ref"].as_str() {
                    config.custom.push((name.to_owned(), kind));
                }
            }
        }
        config.memory = match &capabilities["SCRIPTING_ENABLE_MEMORY"] {
            Value::Bool(on) => *on,
            Value::String(text) => text == "true",
            _ => false,
        };
        if let Some(mode) = capabilities["SCRIPTING_MEMORY_MATCHING_MODE"].as_str() {
            config.value_chars = match mode {
                "word" => ValueChars::Word,
                "joker" => ValueChars::Any,
                "non_whitespace" => ValueChars::NonSpace,
                other => {
                    return Err(format!(
                        "{file}: SCRIPTING_MEMORY_MATCHING_MODE `{other}` is none of Botium's \
                         (non_whitespace, word, joker)"
                    ));
                }
            };
        }
        if let Some(mode) = capabilities["SCRIPTING_MATCHING_MODE"].as_str() {
            config.matching = matching(mode).ok_or_else(|| {
                format!(
                    "{file}: SCRIPTING_MATCHING_MODE `{mode}` compares bot texts in a way the \
                     emulator does not run (it runs wildcard, wildcardExact, include and \
                     equals, each with IgnoreCase)"
                )
            })?;
        }
        Ok(config)
    }

    /// The custom hook `name`, when the file registers one for a section of this kind.
    pub(crate) fn custom(&self, name: &str) -> Option<HookKind> {
        self.custom
            .iter()
            .find(|(custom, _)| custom == name)
            .map(|(_, kind)| *kind)
    }
}

/// Botium's matching modes that the runner compares as Botium does.
fn matching(mode: &str) -> Option<Matching> {
    let (how, ignore_case) = match mode {
        "wildcard" => (TextHow::Wildcard, false),
        "wildcardIgnoreCase" | "wildcardLowerCase" => (TextHow::Wildcard, true),
        "wildcardExact" => (TextHow::WildcardExact, false),
        "wildcardExactIgnoreCase" | "wildcardExactLowerCase" => (TextHow::WildcardExact, true),
        "include" => (TextHow::Contains, false),
        "includeIgnoreCase" | "includeLowerCase" => (TextHow::Contains, true),
        "equals" => (TextHow::Equals, false),
        "equalsIgnoreCase" => (TextHow::Equals, true),
        "regexp" => (TextHow::Regexp, false),
        "regexpIgnoreCase" => (TextHow::Regexp, true),
        _ => return None,
    };
    Some(Matching { how, ignore_case })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_hooks_and_the_matching_mode_are_read() {
        let config = BotiumConfig::parse(
            "botium.json",
            r#"{"botium": {"Capabilities": {
                "ASSERTERS": [{"ref": "CUSTOMASSERTER", "src": "./a.js"}],
                "LOGIC_HOOKS": [{"ref": "MYHOOK", "src": "./h.js"}],
                "SCRIPTING_MATCHING_MODE": "equals"}}}"#,
        )
        .unwrap();
        assert_eq!(config.custom("CUSTOMASSERTER"), Some(HookKind::Asserter));
        assert_eq!(config.custom("MYHOOK"), Some(HookKind::LogicHook));
        assert!(matches!(config.matching.how, TextHow::Equals) && !config.matching.ignore_case);
        let error = BotiumConfig::parse(
            "botium.json",
            r#"{"botium": {"Capabilities": {"SCRIPTING_MATCHING_MODE": "wer"}}}"#,
        )
        .unwrap_err();
        assert!(error.contains("`wer`"), "{error}");
    }
}
