//! Where the annotated function sits: at module level, or inside an `impl` or `trait` block.
//!
//! An attribute macro sees only its item, yet a step inside an `impl` cannot work (its
//! companion type `name::STEP` cannot be declared there), and the errors rustc gives for the
//! items it would generate say nothing of the cause. So the macro reads the function's own
//! source file (the location rustc gives every span, stable since Rust 1.88) and scans it,
//! lexically, for the blocks enclosing the function. When the file cannot be read (a
//! generated file, an IDE that gives no location), nothing is found and the macro expands as
//! usual.

/// The kind of block a `{` opens, from the tokens before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// `impl ... {` or `trait ... {`: associated items.
    Associated,
    /// Anything else: a module, a function body, a struct...
    Other,
}

/// Whether the token at `line` (1-based) and `column` (1-based, in characters) of `source`
/// is directly inside an `impl` or `trait` block.
pub(crate) fn in_associated_block(source: &str, line: usize, column: usize) -> bool {
    let Some(target) = offset_of(source, line, column) else {
        return false;
    };
    let mut blocks: Vec<Block> = Vec::new();
    // The first keyword that decides a block's kind, since the last `;`, `{` or `}`.
    let mut decided: Option<Block> = None;
    let mut lexer = Lexer {
        bytes: source.as_bytes(),
        at: 0,
    };
    while let Some(token) = lexer.next_token(target) {
        match token {
            Token::Open => {
                blocks.push(decided.take().unwrap_or(Block::Other));
            }
            Token::Close => {
                blocks.pop();
                decided = None;
            }
            Token::Semicolon => decided = None,
            Token::Word(word) if decided.is_none() => {
                decided = match word {
                    "impl" | "trait" => Some(Block::Associated),
                    "fn" | "mod" | "struct" | "enum" | "union" | "macro_rules" => {
                        Some(Block::Other)
                    }
                    _ => None,
                };
            }
            Token::Word(_) => {}
        }
    }
    blocks.last() == Some(&Block::Associated)
}

/// The byte offset of a 1-based line and character column.
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        source.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &source[start..];
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(index, _)| index);
    Some(start + within)
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Semicolon,
    Word(&'a str),
}

/// Just enough of Rust's lexer to find braces and words outside comments and literals.
struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    /// The next brace, semicolon or word that starts before `end`.
    fn next_token(&mut self, end: usize) -> Option<Token<'a>> {
        while self.at < end.min(self.bytes.len()) {
            let byte = self.bytes[self.at];
            let next = self.bytes.get(self.at + 1).copied();
            match byte {
                b'{' => {
                    self.at += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.at += 1;
                    return Some(Token::Close);
                }
                b';' => {
                    self.at += 1;
                    return Some(Token::Semicolon);
                }
                b'/' if next == Some(b'/') => self.skip_line(),
                b'/' if next == Some(b'*') => self.skip_block_comment(),
                b'"' => self.skip_string(self.at + 1),
                b'\'' => self.skip_char_or_lifetime(),
                b'r' | b'b' | b'c' if self.raw_or_byte_string() => {}
                _ if byte == b'_' || byte.is_ascii_alphabetic() => {
                    let start = self.at;
                    while self
                        .bytes
                        .get(self.at)
                        .is_some_and(|b| *b == b'_' || b.is_ascii_alphanumeric())
                    {
                        self.at += 1;
                    }
                    let word = std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or("");
                    return Some(Token::Word(word));
                }
                _ => self.at += 1,
            }
        }
        None
    }

    fn skip_line(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
            self.at += 1;
        }
    }

    /// `/* ... */`, nested as Rust nests them.
    fn skip_block_comment(&mut self) {
        let mut depth = 0usize;
        while self.at < self.bytes.len() {
            match (self.bytes[self.at], self.bytes.get(self.at + 1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    self.at += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.at += 2;
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.at += 1,
            }
        }
    }

    /// A `"..."` string whose content starts at `from`, with backslash escapes.
    fn skip_string(&mut self, from: usize) {
        self.at = from;
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
    }

    /// `'a'`, `'\''` and `'\u{1F600}'` are characters; `'a` and `'static` are lifetimes.
    fn skip_char_or_lifetime(&mut self) {
        let rest = &self.bytes[self.at + 1..];
        if rest.first() == Some(&b'\\') {
            // An escaped character: up to the closing quote.
            let close = rest[2..]
                .iter()
                .position(|b| *b == b'\'')
                .map_or(rest.len(), |i| i + 2);
            self.at += close + 2;
            return;
        }
        let char_len = std::str::from_utf8(&rest[..rest.len().min(4)])
            .ok()
            .or_else(|| std::str::from_utf8(&rest[..rest.len().min(1)]).ok())
            .and_then(|text| text.chars().next())
            .map_or(1, char::len_utf8);
        if rest.get(char_len) == Some(&b'\'') {
            self.at += char_len + 2;
        } else {
            // A lifetime or a label: the quote alone; the name is read as a word.
            self.at += 1;
        }
    }

    /// `r"..."`, `r#"..."#`, `b"..."`, `br#"..."#`, `c"..."` and `cr"..."`: skips one and
    /// returns true; returns false when this is a plain word.
    fn raw_or_byte_string(&mut self) -> bool {
        let rest = &self.bytes[self.at..];
        let prefix = match rest {
            [b'b' | b'c', b'r', ..] => 2,
            [b'r', ..] => 1,
            [b'b' | b'c', b'"', ..] => {
                self.skip_string(self.at + 2);
                return true;
            }
            [b'b', b'\'', ..] => {
                self.at += 1;
                self.skip_char_or_lifetime();
                return true;
            }
            _ => return false,
        };
        let hashes = rest[prefix..].iter().take_while(|b| **b == b'#').count();
        if rest.get(prefix + hashes) != Some(&b'"') {
            return false;
        }
        let mut closing = vec![b'"'];
        closing.extend(std::iter::repeat_n(b'#', hashes));
        let content = self.at + prefix + hashes + 1;
        self.at = self.bytes[content..]
            .windows(closing.len())
            .position(|window| window == closing.as_slice())
            .map_or(self.bytes.len(), |index| content + index + closing.len());
        true
    }
}

/// Whether the function whose name is at `span` sits in an `impl` or `trait` block of its
/// source file. False whenever that cannot be known.
pub(crate) fn fn_in_associated_block(span: proc_macro::Span) -> bool {
    let Some(file) = span.local_file() else {
        return false;
    };
    let Ok(source) = std::fs::read_to_string(file) else {
        return false;
    };
    in_associated_block(&source, span.line(), span.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `fn target` in `source` is in an impl or trait block.
    fn target_in_block(source: &str) -> bool {
        let offset = source.find("target").expect("the source names `target`");
        let line = source[..offset].matches('\n').count() + 1;
        let line_start = source[..offset].rfind('\n').map_or(0, |index| index + 1);
        let column = source[line_start..offset].chars().count() + 1;
        in_associated_block(source, line, column)
    }

    #[test]
    fn functions_in_impl_and_trait_blocks_are_found() {
        assert!(target_in_block(
            "struct Shop;\nimpl Shop {\n    #[api_step(\"/x\")]\n    fn target() {}\n}"
        ));
        assert!(target_in_block("trait T {\n    fn target() {}\n}"));
        assert!(target_in_block(
            "unsafe impl<T: Clone> Trait for Box<T> where T: Send {\n fn a() {}\n fn target() {}\n}"
        ));
        assert!(target_in_block(
            "fn outer() {\n impl X {\n  fn target() {}\n }\n}"
        ));
    }

    #[test]
    fn module_level_functions_are_not() {
        for source in [
            "fn target() {}",
            "impl Shop { fn a() {} }\n#[api_step(\"/x\")]\nfn target() {}",
            "mod steps {\n  use super::*;\n  fn target() {}\n}",
            "fn f() -> impl Fn() { || {} }\nfn target() {}",
            "const C: &str = \"impl X {\";\nfn target() {}",
            "// impl X {\n/* impl Y { /* nested */ */\nfn target() {}",
            "static S: &str = r#\"impl X { \"#;\nfn target() {}",
            "fn f<'a>(x: &'a str) -> char { let c = '{'; let d = '\\''; c }\nfn target() {}",
            "#[derive(Debug)]\nstruct S { a: u8 }\nimpl S {}\nfn target() {}",
        ] {
            assert!(!target_in_block(source), "{source}");
        }
    }

    #[test]
    fn a_location_past_the_end_is_not_in_a_block() {
        assert!(!in_associated_block("impl X {", 9, 1));
    }
}
