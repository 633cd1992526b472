//! Where things are in RON text: byte offsets to line:column ([`location_of`], kept in the
//! model because the engine locates its follow-up checks too) and back, and the
//! [`Locator`] that finds the span of an id or a field, so semantic diagnostics point at
//! what was written. Front-end only: the model's [`Diagnostic`](crate::Diagnostic) is data.

use crate::model::diagnostic::Location;
pub(crate) use crate::model::diagnostic::location_of;
use std::ops::Range;

/// Converts a 1-based line:column (columns in characters) to a byte offset.
pub(crate) fn offset_of(source: &str, location: Location) -> usize {
    let mut offset = 0;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        if index + 1 == location.line {
            let column_bytes: usize = line
                .chars()
                .take(location.column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + column_bytes;
        }
        offset += line.len();
    }
    source.len()
}
/// A raw string literal (`r"..."`, `r#"..."#`) whose prefix is the identifier at
/// `start..ident_end`: its value and the end of the literal.
fn raw_string(source: &str, start: usize, ident_end: usize) -> Option<(String, usize)> {
    if !matches!(&source[start..ident_end], "r" | "br") {
        return None;
    }
    let rest = &source[ident_end..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    let body = rest[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let (value, end) = match body.find(&close) {
        Some(at) => (&body[..at], at + close.len()),
        None => (body, body.len()),
    };
    Some((value.to_owned(), ident_end + hashes + 1 + end))
}

/// A string literal's value as ids are compared: in NFC (see [`crate::model::ident`]).
fn nfc(mut value: String) -> String {
    crate::model::ident::id(&mut value);
    value
}

/// Finds where things are in RON source text, so semantic diagnostics can point at the
/// offending item. RON's deserializer keeps no spans, so this scans the text for string
/// literals and the field name before each; good enough to point at ids and references.
#[derive(Debug)]
pub(crate) struct Locator {
    strings: Vec<StringToken>,
    /// Each key with its byte offset and nesting depth (1: a field of the root struct).
    fields: Vec<(String, usize, u32)>,
}

#[derive(Debug)]
struct StringToken {
    field: Option<String>,
    value: String,
    span: Range<usize>,
}

impl Locator {
    pub(crate) fn new(source: &str) -> Self {
        let bytes = source.as_bytes();
        let mut strings = Vec::new();
        let mut fields = Vec::new();
        let mut last_ident: Option<(String, usize)> = None;
        let mut pending_field: Option<String> = None;
        let mut depth: u32 = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                b'"' => {
                    let start = i;
                    let mut value = Vec::new();
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' && i + 1 < bytes.len() {
                            i += 1;
                        }
                        value.push(bytes[i]);
                        i += 1;
                    }
                    i += 1;
                    strings.push(StringToken {
                        field: pending_field.clone(),
                        value: nfc(String::from_utf8_lossy(&value).into_owned()),
                        span: start..i.min(bytes.len()),
                    });
                    last_ident = None;
                    continue;
                }
                b':' => {
                    if let Some((ident, at)) = last_ident.take() {
                        fields.push((ident.clone(), at, depth));
                        pending_field = Some(ident);
                    }
                }
                b')' | b']' => depth = depth.saturating_sub(1),
                b'[' | b'(' | b',' | b' ' | b'\t' | b'\r' | b'\n' => {
                    if matches!(bytes[i], b'[' | b'(') {
                        depth += 1;
                    }
                    if matches!(bytes[i], b',') {
                        pending_field = None;
                    }
                    if bytes[i] == b'(' {
                        // A struct opens: its first string is not a value of the enclosing field.
                        last_ident = None;
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    if let Some((value, end)) = raw_string(source, start, i) {
                        strings.push(StringToken {
                            field: pending_field.clone(),
                            value: nfc(value),
                            span: start..end,
                        });
                        last_ident = None;
                        i = end;
                        continue;
                    }
                    last_ident = Some((source[start..i].to_owned(), start));
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        Self { strings, fields }
    }

    /// The spans of string literals (quotes included) whose text between the quotes is
    /// longer than `max` bytes.
    pub(crate) fn long_strings(&self, max: u64) -> impl Iterator<Item = Range<usize>> + '_ {
        self.strings
            .iter()
            .filter(move |s| s.span.len().saturating_sub(2) as u64 > max)
            .map(|s| s.span.clone())
    }

    /// Byte offset where the field `name` first appears as a key.
    pub(crate) fn field(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .find(|(field, _, _)| field == name)
            .map(|(_, at, _)| *at)
    }

    /// Byte offset of the root struct's field `name`: a nested field of the same name
    /// (a template's `tasks`) is not it.
    pub(crate) fn top_field(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .find(|(field, _, depth)| field == name && *depth == 1)
            .map(|(_, at, _)| *at)
    }

    /// The `nth` (0-based) occurrence of `field: "value"` at or after `from`.
    pub(crate) fn keyed(
        &self,
        field: &str,
        value: &str,
        from: usize,
        nth: usize,
    ) -> Option<Range<usize>> {
        self.strings_from(from)
            .iter()
            .filter(|s| s.value == value && s.field.as_deref() == Some(field))
            .nth(nth)
            .map(|s| s.span.clone())
    }

    /// The string literals from byte `from` on (they are stored in file order).
    fn strings_from(&self, from: usize) -> &[StringToken] {
        &self.strings[self.strings.partition_point(|s| s.span.start < from)..]
    }

    /// The first string literal `"value"` in `within`.
    pub(crate) fn string_in(&self, value: &str, within: Range<usize>) -> Option<Range<usize>> {
        self.strings_from(within.start)
            .iter()
            .take_while(|s| s.span.start < within.end)
            .find(|s| s.value == value)
            .map(|s| s.span.clone())
    }

    /// The first string literal of field `field` in `within`.
    pub(crate) fn field_string_in(
        &self,
        field: &str,
        within: Range<usize>,
    ) -> Option<Range<usize>> {
        self.strings_from(within.start)
            .iter()
            .take_while(|s| s.span.start < within.end)
            .find(|s| s.field.as_deref() == Some(field))
            .map(|s| s.span.clone())
    }

    /// Byte offsets of every key `name`, in file order.
    pub(crate) fn fields_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.fields
            .iter()
            .filter(move |(field, _, _)| field == name)
            .map(|(_, at, _)| *at)
    }

    /// Byte offset of the first key `field` in `within`.
    pub(crate) fn field_in(&self, field: &str, within: Range<usize>) -> Option<usize> {
        let first = self.fields.partition_point(|(_, at, _)| *at < within.start);
        self.fields[first..]
            .iter()
            .take_while(|(_, at, _)| *at < within.end)
            .find(|(name, _, _)| name == field)
            .map(|(_, at, _)| *at)
    }
}
