//! What RON's syntax errors mean for a person: where an unclosed bracket, string or
//! comment opened, whether the file simply ends early, and RON's messages without the
//! names of internal types. Only the RON front end uses this.

use crate::front::locator::location_of;

/// The first imbalance of brackets, strings and comments in a RON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Imbalance {
    /// Everything opened is closed.
    None,
    /// Only comments and blanks: no value at all.
    OnlyComments,
    /// A closing bracket that closes nothing.
    Stray { close: u8, at: usize },
    /// The bracket `open` at `at` meets the wrong closer `close` at `close_at`.
    Mismatch {
        open: u8,
        at: usize,
        close: u8,
        close_at: usize,
    },
    /// The text ends with the bracket `open` at `at` (the innermost) unclosed.
    Unclosed { open: u8, at: usize },
    /// The text ends inside the string that opens at `at`.
    InString { at: usize },
    /// The text ends inside the block comment that opens at `at`.
    InComment { at: usize },
}

/// Scans `source` as RON's lexer would for brackets, strings (plain, raw, byte), char
/// literals and comments (block comments nest).
pub(crate) fn imbalance(source: &str) -> Imbalance {
    let bytes = source.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut any_token = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut level = 1;
                i += 2;
                while level > 0 {
                    if i + 1 >= bytes.len() {
                        return Imbalance::InComment { at: start };
                    }
                    if bytes[i] == b'/' && bytes[i + 1] == b'*' {
                        level += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                        level -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Imbalance::InString { at: start },
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'r' | b'b' if !preceded_by_ident(bytes, i) && raw_string_start(bytes, i).is_some() => {
                let (hashes, body) = raw_string_start(bytes, i).unwrap_or((0, i));
                let start = i;
                let close = format!("\"{}", "#".repeat(hashes));
                match source[body..].find(&close) {
                    Some(end) => i = body + end + close.len() - 1,
                    None => return Imbalance::InString { at: start },
                }
            }
            b'\'' => {
                // A char literal: 'x' or '\x'. A lone quote is left to RON.
                let width = if bytes.get(i + 1) == Some(&b'\\') {
                    3
                } else {
                    2
                };
                let close = source[i + 1..]
                    .char_indices()
                    .nth(width - 1)
                    .map(|(at, _)| i + 1 + at);
                if let Some(close) = close.filter(|&at| bytes.get(at) == Some(&b'\'')) {
                    i = close;
                }
            }
            b'(' | b'[' | b'{' => stack.push((c, i)),
            b')' | b']' | b'}' => match stack.pop() {
                None => return Imbalance::Stray { close: c, at: i },
                Some((open, at)) if closer(open) != c => {
                    return Imbalance::Mismatch {
                        open,
                        at,
                        close: c,
                        close_at: i,
                    };
                }
                Some(_) => {}
            },
            _ => {}
        }
        any_token |= !c.is_ascii_whitespace();
        i += 1;
    }
    match stack.last() {
        Some(&(open, at)) => Imbalance::Unclosed { open, at },
        None if !any_token && !source.trim().is_empty() => Imbalance::OnlyComments,
        None => Imbalance::None,
    }
}

fn preceded_by_ident(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

/// `r"`, `r#"`, `br"`, `b"` at `i`: the number of `#` and where the body starts.
fn raw_string_start(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if bytes[j] == b'b' {
        j += 1;
        if bytes.get(j) == Some(&b'"') {
            return Some((0, j + 1));
        }
    }
    if bytes.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = bytes[j..].iter().take_while(|&&b| b == b'#').count();
    (bytes.get(j + hashes) == Some(&b'"')).then_some((hashes, j + hashes + 1))
}

pub(crate) fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// What the imbalance says, as the start of a message, or `None` when there is none.
pub(crate) fn describe(source: &str, imbalance: Imbalance) -> Option<(String, String)> {
    let at = |offset: usize| location_of(source, offset);
    Some(match imbalance {
        Imbalance::None | Imbalance::OnlyComments => return None,
        Imbalance::Stray {
            close,
            at: close_at,
        } => (
            format!("the `{}` at {} closes nothing", close as char, at(close_at)),
            "remove it, or add the bracket it should close".to_owned(),
        ),
        Imbalance::Mismatch {
            open,
            at: open_at,
            close,
            close_at,
        } => (
            format!(
                "the `{}` opened at {} is not closed: a `{}` comes first, at {}",
                open as char,
                at(open_at),
                close as char,
                at(close_at)
            ),
            format!("add `{}` where that item ends", closer(open) as char),
        ),
        Imbalance::Unclosed { open, at: open_at } => (
            format!(
                "the file ends early: the `{}` opened at {} is not closed",
                open as char,
                at(open_at)
            ),
            format!(
                "add `{}`, or restore the rest of the file",
                closer(open) as char
            ),
        ),
        Imbalance::InString { at: open_at } => (
            format!(
                "the file ends early, inside the string that opens at {}",
                at(open_at)
            ),
            "close the string with `\"`, or restore the rest of the file".to_owned(),
        ),
        Imbalance::InComment { at: open_at } => (
            format!(
                "the file ends early, inside the comment that opens at {}",
                at(open_at)
            ),
            "close the comment with `*/`, or restore the rest of the file".to_owned(),
        ),
    })
}

/// RON's message with the names of the format's Rust types (`WorkflowSpec`,
/// `struct `TaskSpec``) turned into the words a file's author knows (`the workflow`,
/// `a task`).
pub(crate) fn humanise(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('`') {
        let Some(len) = rest[start + 1..].find('`') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        let before = &rest[..start];
        match name.strip_suffix("Spec").filter(|n| is_type_name(n)) {
            Some(stem) => {
                let before = before
                    .strip_suffix("struct ")
                    .or_else(|| before.strip_suffix("enum "))
                    .unwrap_or(before);
                out.push_str(before);
                out.push_str("the ");
                out.push_str(&words(stem));
            }
            None => {
                out.push_str(before);
                out.push('`');
                out.push_str(name);
                out.push('`');
            }
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `CalendarFile` → `calendar file`.
fn words(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The integer literal around `offset` (RON points into it, or just past a sign), for an
/// out-of-range number.
pub(crate) fn number_at(source: &str, offset: usize) -> Option<&str> {
    let bytes = source.as_bytes();
    let inner = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = offset.min(bytes.len());
    while start > 0 && (inner(bytes[start - 1]) || matches!(bytes[start - 1], b'-' | b'+')) {
        start -= 1;
    }
    let mut end = offset.min(bytes.len());
    while end < bytes.len() && inner(bytes[end]) {
        end += 1;
    }
    let text = &source[start..end];
    text.bytes().any(|b| b.is_ascii_digit()).then_some(text)
}
