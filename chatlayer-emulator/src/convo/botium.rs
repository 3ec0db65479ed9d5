//! What Botium's text compiler makes of a convo file, line for line: the same sections,
//! the same split of each section into text, asserters, logic hooks and user inputs, the
//! same prefixes and escapes. The runner then decides, per name, whether it can run what was
//! read (`features`); nothing here guesses.
//!
//! The rules, as Botium's `CompilerTxt` and `linesToConvoStep` apply them:
//!
//! - lines end at `\r\n`, `\r` or `\n`; a byte-order mark that starts the file is the file's
//!   encoding, not its text (Botium keeps it, and then misses a first `#me`);
//! - a section starts at a line `#<sender>` or `#<sender> <channel>`, where the sender is
//!   exactly `begin`, `include`, `me`, `bot` or `end` (so `# one hash` and `#Me` are text);
//!   the lines before the first section are the title and the description;
//! - in a section, a line starting `?` is optional (`??` is a literal `?`), then `!` negates
//!   (`!!` is a literal `!`); its first word (up to a space) names an asserter (not in `#me`),
//!   a user input (in `#me` only) or a logic hook, whose arguments follow, split at `|`
//!   (`\|` is a literal `|`) and trimmed; any other line is text;
//! - the text is the lines that are not hooks, joined with `\n`, without the empty lines
//!   after the last non-empty one (a section of empty lines only is the empty text, a section
//!   with no line at all has none); its first line may carry `?` and `!`;
//! - in `#me`, text after a user input or a logic hook is an error.

/// Who a section is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sender {
    Begin,
    Include,
    Me,
    Bot,
    End,
}

impl Sender {
    /// The sender a section header names, exactly (Botium's `validSenders`).
    fn named(name: &str) -> Option<Sender> {
        Some(match name {
            "begin" => Sender::Begin,
            "include" => Sender::Include,
            "me" => Sender::Me,
            "bot" => Sender::Bot,
            "end" => Sender::End,
            _ => return None,
        })
    }

    pub(crate) fn header(self) -> &'static str {
        match self {
            Sender::Begin => "#begin",
            Sender::Include => "#include",
            Sender::Me => "#me",
            Sender::Bot => "#bot",
            Sender::End => "#end",
        }
    }
}

/// What a hook line is, as Botium classifies it by its section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookKind {
    /// An asserter: a check on what the bot said (any section but `#me`).
    Asserter,
    /// A user input: what the user does besides text (`#me` only).
    UserInput,
    /// A logic hook: anything else with a registered name (any section).
    LogicHook,
}

/// An asserter, user input or logic hook line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hook {
    pub(crate) kind: HookKind,
    pub(crate) name: String,
    pub(crate) args: Vec<String>,
    pub(crate) not: bool,
    pub(crate) optional: bool,
    /// 1-based.
    pub(crate) line: usize,
    /// The line as written, for messages.
    pub(crate) raw: String,
}

/// The text of a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    pub(crate) text: String,
    pub(crate) not: bool,
    pub(crate) optional: bool,
    /// The line the text starts on, 1-based.
    pub(crate) line: usize,
}

/// One section, as Botium's compiler reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) sender: Sender,
    /// What follows the sender on the header line (`#include Login`, `#me #private`).
    pub(crate) channel: Option<String>,
    /// The header's line, 1-based.
    pub(crate) line: usize,
    /// `None` when the section has no line at all: no message, which differs from an empty
    /// one.
    pub(crate) text: Option<Text>,
    pub(crate) hooks: Vec<Hook>,
}

/// A convo file read as Botium reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Compiled {
    /// The first line before any section, when there is one.
    pub(crate) title: Option<String>,
    pub(crate) steps: Vec<Step>,
}

/// Whether `name` is a hook Botium knows of this kind in `sender`'s section, or one this
/// emulator adds (`CHATLAYER_*`, read as an asserter outside `#me` and as a user input in
/// it). Names come from `features`, which says what each does here.
pub(crate) type Registry<'a> = &'a dyn Fn(Sender, &str) -> Option<HookKind>;

/// Splits `text` into lines as Botium does (`\r\n`, `\r`, `\n`), numbered from 1.
pub(crate) fn lines(text: &str) -> Vec<(usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => {
                lines.push(&text[start..index]);
                start = index + 1;
            }
            b'\r' => {
                lines.push(&text[start..index]);
                if bytes.get(index + 1) == Some(&b'\n') {
                    index += 1;
                }
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    lines.push(&text[start..]);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .collect()
}

/// The sender and channel of a section header line, or `None` for any other line.
fn header(line: &str) -> Option<(Sender, Option<String>)> {
    let rest = line.strip_prefix('#')?;
    Sender::named(rest.split(' ').next().unwrap_or_default())?;
    let rest = rest.trim();
    let (sender, channel) = match rest.split_once(' ') {
        Some((sender, channel)) => (sender.trim(), Some(channel.trim().to_owned())),
        None => (rest, None),
    };
    Some((Sender::named(sender)?, channel.filter(|c| !c.is_empty())))
}

/// Reads a convo file's text; `Err` holds the line and what Botium would refuse.
pub(crate) fn compile(text: &str, registry: Registry<'_>) -> Result<Compiled, (usize, String)> {
    let mut title = None;
    let mut seen_header_line = false;
    let mut steps: Vec<(Step, Vec<(usize, &str)>)> = Vec::new();
    for (number, line) in lines(text) {
        if let Some((sender, channel)) = header(line) {
            steps.push((
                Step {
                    sender,
                    channel,
                    line: number,
                    text: None,
                    hooks: Vec::new(),
                },
                Vec::new(),
            ));
            continue;
        }
        match steps.last_mut() {
            Some((_, body)) => body.push((number, line)),
            None if !seen_header_line => {
                seen_header_line = true;
                title = Some(line.trim().to_owned()).filter(|line| !line.is_empty());
            }
            None => {}
        }
    }
    let steps = steps
        .into_iter()
        .map(|(mut step, body)| {
            read_body(&mut step, &body, registry)?;
            Ok(step)
        })
        .collect::<Result<Vec<_>, (usize, String)>>()?;
    Ok(Compiled { title, steps })
}

/// `?` (optional, `??` a literal `?`), then `!` (not, `!!` a literal `!`): the flags and
/// the rest of the line.
fn prefixes(line: &str) -> (bool, bool, &str) {
    let mut rest = line;
    let mut optional = false;
    if let Some(after) = rest.strip_prefix('?') {
        optional = !after.starts_with('?');
        rest = after;
    }
    let mut not = false;
    if let Some(after) = rest.strip_prefix('!') {
        not = !after.starts_with('!');
        rest = after;
    }
    (optional, not, rest)
}

/// Arguments after a hook's name: split at `|` (`\|` is a literal `|`), each trimmed.
pub(crate) fn arguments(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut args = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => args.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    args.push(current);
    args.into_iter().map(|arg| arg.trim().to_owned()).collect()
}

fn read_body(
    step: &mut Step,
    body: &[(usize, &str)],
    registry: Registry<'_>,
) -> Result<(), (usize, String)> {
    let mut pending_empty: Vec<(usize, &str)> = Vec::new();
    let mut text_lines: Vec<(usize, &str)> = Vec::new();
    let mut text_accepted = true;
    for &(number, raw) in body {
        let (optional, not, logic) = prefixes(raw);
        let name = logic.split(' ').next().unwrap_or_default();
        let kind = if name.is_empty() {
            None
        } else {
            registry(step.sender, name)
        };
        if let Some(kind) = kind {
            let args = if logic.len() > name.len() {
                arguments(&logic[name.len() + 1..])
            } else {
                Vec::new()
            };
            if kind != HookKind::Asserter {
                text_accepted = false;
            }
            step.hooks.push(Hook {
                kind,
                name: name.to_owned(),
                args,
                not,
                optional,
                line: number,
                raw: raw.to_owned(),
            });
        } else if step.sender == Sender::Me && !text_accepted {
            if !raw.trim().is_empty() {
                return Err((
                    number,
                    format!(
                        "`{}`: no text may follow a user input or a logic hook in a #me section \
                         (Botium refuses it too)",
                        raw.trim()
                    ),
                ));
            }
        } else {
            pending_empty.push((number, raw));
        }
        // A text line counts once a non-empty line follows it: empty lines at the end go.
        if !pending_empty.is_empty() && !raw.trim().is_empty() {
            text_lines.append(&mut pending_empty);
        }
    }
    if text_lines.is_empty() {
        // Only empty lines: they make the empty text (no line at all makes none).
        text_lines = pending_empty;
    }
    if text_lines.is_empty() {
        return Ok(());
    }
    let line = text_lines[0].0;
    let (optional, not, first) = prefixes(text_lines[0].1);
    let mut text = first.to_owned();
    for (_, raw) in &text_lines[1..] {
        text.push('\n');
        text.push_str(raw);
    }
    let text = text.trim_end_matches(['\n', '\t', '\r']).to_owned();
    step.text = Some(Text {
        text,
        not,
        optional,
        line,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(sender: Sender, name: &str) -> Option<HookKind> {
        match (sender, name) {
            (Sender::Me, "BUTTON") => Some(HookKind::UserInput),
            (Sender::Me, _) if name == "INCLUDE" => Some(HookKind::LogicHook),
            (_, "INCLUDE") => Some(HookKind::LogicHook),
            (Sender::Me, _) => None,
            (_, "BUTTONS") => Some(HookKind::Asserter),
            _ => None,
        }
    }

    fn steps(text: &str) -> Vec<Step> {
        compile(text, &registry).unwrap().steps
    }

    #[test]
    fn line_ends_are_crlf_cr_or_lf_and_a_leading_byte_order_mark_is_not_text() {
        for text in [
            "\u{feff}#me\nhi\n#bot\nho\n",
            "#me\r\nhi\r\n#bot\r\nho\r\n",
            "#me\rhi\r#bot\rho\r",
        ] {
            let steps = steps(text);
            assert_eq!(steps.len(), 2, "{text:?}");
            assert_eq!(steps[0].text.as_ref().unwrap().text, "hi");
            assert_eq!(steps[1].text.as_ref().unwrap().text, "ho");
        }
    }

    #[test]
    fn headers_are_exact_senders_with_an_optional_channel() {
        let steps = steps("T\n#me #private\nhi\n#include Login\n#bot\n# one hash\n#Me\n");
        assert_eq!(steps[0].channel.as_deref(), Some("#private"));
        assert_eq!(
            (steps[1].sender, steps[1].channel.as_deref()),
            (Sender::Include, Some("Login"))
        );
        assert_eq!(steps[2].text.as_ref().unwrap().text, "# one hash\n#Me");
    }

    #[test]
    fn prefixes_and_escapes_follow_botium() {
        let step = &steps("#bot\n!!test 2\n")[0];
        let text = step.text.as_ref().unwrap();
        assert_eq!((text.text.as_str(), text.not), ("!test 2", false));
        let step = &steps("#bot\n?!BUTTONS Test\\|1|Test\\|2\n")[0];
        let hook = &step.hooks[0];
        assert_eq!(hook.args, ["Test|1", "Test|2"]);
        assert!(hook.optional && hook.not);
        let step = &steps("#me\nBUTTON payload|text\n")[0];
        assert_eq!(step.hooks[0].args, ["payload", "text"]);
        assert_eq!(step.text, None);
    }

    #[test]
    fn an_empty_section_has_no_text_and_one_of_empty_lines_has_the_empty_text() {
        let steps = steps("#bot\n#bot\n\n\n#me\nhi\n\n\n");
        assert_eq!(steps[0].text, None);
        assert_eq!(steps[1].text.as_ref().unwrap().text, "");
        assert_eq!(steps[2].text.as_ref().unwrap().text, "hi");
    }

    #[test]
    fn text_after_a_user_input_in_me_is_refused() {
        let error = compile("#me\nBUTTON Order\nplease\n", &registry).unwrap_err();
        assert_eq!(error.0, 3);
        assert!(error.1.contains("`please`"), "{}", error.1);
    }
}
