//! A hint for YAML errors that are reported where the reader noticed them, not where they
//! are: a `[` or `{` left open on one line makes the reader complain about the indentation
//! of the next one. Finding the bracket still open there names the line to fix.

/// The `[` or `{` still open when line `error_line` (from 1) begins, outside quotes and
/// comments, as a sentence naming where it was opened; `None` when every bracket was closed.
pub(crate) fn unclosed_bracket(text: &str, error_line: usize) -> Option<String> {
    let mut open: Vec<(char, usize, usize)> = Vec::new();
    for (index, line) in text.lines().take(error_line.saturating_sub(1)).enumerate() {
        let mut quote = None;
        let mut previous = ' ';
        for (column, c) in line.chars().enumerate() {
            match (quote, c) {
                (Some('"'), '\\') if previous != '\\' => {}
                (Some(q), _) if c == q && !(q == '"' && previous == '\\') => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if matches!(previous, ' ' | '[' | '{' | ',' | ':') => {
                    quote = Some(c);
                }
                (None, '#') if previous == ' ' || column == 0 => break,
                (None, '[' | '{') => open.push((c, index + 1, column + 1)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
            previous = if previous == '\\' && c == '\\' {
                ' '
            } else {
                c
            };
        }
    }
    let (bracket, line, column) = open.pop()?;
    let closing = if bracket == '[' { ']' } else { '}' };
    (line < error_line).then(|| {
        format!(
            "the `{bracket}` opened at line {line} column {column} is not closed: a missing \
             `{closing}` there makes the next lines read as part of it"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::unclosed_bracket;

    #[test]
    fn names_the_bracket_left_open() {
        let text = "a:\n  b: [ \"x\",\n  c: 1\n";
        let hint = unclosed_bracket(text, 3).unwrap();
        assert!(hint.contains("`[` opened at line 2 column 6"), "{hint}");
    }

    #[test]
    fn brackets_in_quotes_and_comments_and_closed_ones_do_not_count() {
        let text = "a: \"[\" # {\nb: ['x]', { y: 1 }]\nc: '[{'\nd: 1\n";
        assert_eq!(unclosed_bracket(text, 4), None);
    }
}
