//! Writing conversations as convo files, so the runner reads back exactly what happened:
//! the crawler's scripts.

use super::botium::Sender;
use super::features;
use crate::messages;
use crate::transcript::Entry;

/// What the user did in one turn.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UserAction {
    /// Typed a text (an input block's answer).
    Say(String),
    /// Clicked the button or quick reply with this title.
    Click(String),
}

impl UserAction {
    /// What the user typed, or the title clicked.
    pub(crate) fn text(&self) -> &str {
        match self {
            UserAction::Say(text) | UserAction::Click(text) => text,
        }
    }
}

/// A conversation to write: where it started, then each user action with the entries of
/// the turn it caused; `opening` holds the entries of the start.
pub(crate) struct Written<'a> {
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    /// `CHATLAYER_START` when the conversation did not start at the bot file's start.
    pub(crate) start: Option<&'a str>,
    pub(crate) opening: &'a [Entry],
    pub(crate) turns: &'a [(UserAction, Vec<Entry>)],
    /// The block the conversation ended at.
    pub(crate) ends_at: Option<&'a str>,
}

/// The convo file of `written`: a `#bot` per message or error, with its text, buttons,
/// cards and media, then the block it ends at.
pub(crate) fn convo_text(written: &Written<'_>) -> Result<String, String> {
    let mut out = format!("{}\n\n{}\n", one_line(written.title), written.description);
    if let Some(block) = written.start {
        out.push_str(&format!("\n#begin\nCHATLAYER_START {block}\n"));
    }
    let mut sections = Vec::new();
    sections.extend(bot_sections(written.opening));
    for (action, entries) in written.turns {
        let line = user_line(action).ok_or_else(|| {
            format!(
                "the answer `{}` would read as a section header or a Botium hook in a #me \
                 section: choose another answer",
                action.text()
            )
        })?;
        sections.push(format!("#me\n{line}\n"));
        sections.extend(bot_sections(entries));
    }
    if let Some(block) = written.ends_at {
        match sections.last_mut() {
            Some(last) if last.starts_with("#bot") => {
                last.push_str(&format!("CHATLAYER_BLOCK {block}\n"));
            }
            _ => sections.push(format!("#bot\nCHATLAYER_BLOCK {block}\n")),
        }
    }
    for section in sections {
        out.push('\n');
        out.push_str(&section);
    }
    Ok(out)
}

/// A `#bot` section per message and error of a turn, in order.
fn bot_sections(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Bot { message, .. } => Some(message_section(message)),
            Entry::Error { message, code, .. } => Some(format!(
                "#bot\nCHATLAYER_ERROR {}\n",
                one_line(code.as_deref().unwrap_or(message))
            )),
            _ => None,
        })
        .collect()
}

fn message_section(message: &serde_json::Value) -> String {
    let mut section = "#bot\n".to_owned();
    // The text the emulator shows is the first variant; the runner accepts any of them.
    if let Some(text) = messages::texts(message).first() {
        for line in text.lines() {
            section.push_str(&text_line(line));
            section.push('\n');
        }
    }
    let list = |name: &str, items: Vec<String>| -> Option<String> {
        (!items.is_empty()).then(|| {
            let items: Vec<String> = items.iter().map(|item| list_item(item)).collect();
            format!("{name} {}\n", items.join("|"))
        })
    };
    let buttons = messages::choices(message)
        .into_iter()
        .filter(|choice| !choice.title.is_empty())
        .map(|choice| choice.title)
        .collect();
    for line in [
        list("BUTTONS", buttons),
        list("CARDS", messages::card_titles(message)),
        list("MEDIA", messages::media_urls(message)),
    ]
    .into_iter()
    .flatten()
    {
        section.push_str(&line);
    }
    section
}

/// A bot's line of text the runner reads back as matching this text: `!` and `?` doubled
/// (Botium's escapes), and a line that would read as a section header or a hook made a
/// wildcard at its first character, so it still matches (`*` is any text).
fn text_line(text: &str) -> String {
    let text = one_line(text);
    if misread(&text, Sender::Bot) {
        let rest: String = text.chars().skip(1).collect();
        return format!("*{rest}");
    }
    escaped(text)
}

/// What the user does, as a `#me` line the runner reads back as that action: a click as
/// its title (or `BUTTON title` where the title would read as something else), a text as
/// written; `None` for a text the format cannot carry as it is.
fn user_line(action: &UserAction) -> Option<String> {
    match action {
        UserAction::Click(title) if misread(title, Sender::Me) || title.contains(['\r', '\n']) => {
            Some(format!("BUTTON {}", list_item(title)))
        }
        UserAction::Click(text) | UserAction::Say(text) => (!misread(text, Sender::Me)
            && !text.contains(['\r', '\n']))
        .then(|| escaped(text.clone())),
    }
}

/// Whether a line would read as a section header or a hook rather than text.
fn misread(text: &str, sender: Sender) -> bool {
    let first_word = text.split_whitespace().next().unwrap_or_default();
    text.starts_with('#') || features::classify(sender, first_word).is_some()
}

/// Botium's escapes for a line starting `!` (not) or `?` (optional).
fn escaped(text: String) -> String {
    if text.starts_with('!') || text.starts_with('?') {
        format!("{}{text}", &text[..1])
    } else {
        text
    }
}

/// An item of a `BUTTONS`/`CARDS`/`MEDIA` list: `|` escaped as Botium reads it.
fn list_item(item: &str) -> String {
    one_line(item).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Script;
    use serde_json::json;

    fn message(text: &str) -> super::super::Said {
        super::super::Said {
            entry: Entry::Bot {
                block: "b".to_owned(),
                message: json!({ "type": "text", "config": { "textMessages": [{ "text": text }] } }),
            },
            reply: None,
        }
    }

    #[test]
    fn a_written_bot_line_matches_its_text_when_read_back() {
        for text in [
            "!important",
            "?maybe",
            "plain",
            "BUTTONS galore",
            "#1 in town",
            "a*b",
        ] {
            let line = text_line(text);
            let script = Script::parse("t.convo.txt", &format!("T\n\n#bot\n{line}\n")).unwrap();
            let section = &script.sections[0];
            assert!(
                !section.negated_text && !section.optional,
                "{text} -> {line}"
            );
            let mut memory = super::super::memory::Memory::new();
            super::super::check_said(section, &message(text), &mut memory, script.value_chars)
                .unwrap_or_else(|problem| panic!("{text} -> {line}: {problem}"));
            let other = message("something else entirely");
            assert!(
                super::super::check_said(section, &other, &mut memory, script.value_chars).is_err(),
                "{text} -> {line} matches anything"
            );
        }
        assert_eq!(text_line("!important"), "!!important");
        assert_eq!(text_line("BUTTONS galore"), "*UTTONS galore");
    }

    #[test]
    fn a_click_whose_title_reads_as_a_hook_is_written_as_button() {
        assert_eq!(
            user_line(&UserAction::Click("Order".to_owned())).as_deref(),
            Some("Order")
        );
        assert_eq!(
            user_line(&UserAction::Click("#1 deal".to_owned())).as_deref(),
            Some("BUTTON #1 deal")
        );
        assert_eq!(user_line(&UserAction::Say("#me".to_owned())), None);
        assert_eq!(
            user_line(&UserAction::Say("!yes".to_owned())).as_deref(),
            Some("!!yes")
        );
    }
}
