//! A structure-aware mutator for RON text: it edits whole tokens and bracketed groups
//! (swap ids, duplicate or drop entries, change numbers, dates and durations) so that
//! most mutants still parse and the fuzzer spends its time in the validator, the
//! compiler and the engine instead of the RON lexer.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Spaces and newlines.
    Space,
    /// `// ...` or `/* ... */`.
    Comment,
    /// `"..."`.
    Str,
    /// A number (with sign, fraction or suffix).
    Num,
    /// An identifier or keyword.
    Ident,
    /// One punctuation character.
    Punct,
}

/// A token: its kind and byte range.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
}

/// Splits `text` into tokens covering it entirely (the lexing is forgiving: anything it
/// does not recognise is a one-character `Punct`).
pub fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let kind = if c.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Kind::Space
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            Kind::Comment
        } else if bytes[i..].starts_with(b"/*") {
            i += 2;
            while i < bytes.len() && !bytes[i..].starts_with(b"*/") {
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            Kind::Comment
        } else if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            Kind::Str
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || b"._".contains(&bytes[i]))
            {
                i += 1;
            }
            Kind::Num
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Ident
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Punct
        };
        // Keep every token on character boundaries (an escape may have jumped into a
        // multi-byte character).
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// A small deterministic generator (SplitMix64): libFuzzer hands the mutator a seed and
/// expects the same mutation for the same seed.
pub struct Rng(u64);

impl Rng {
    /// A generator from libFuzzer's seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Numbers that sit on the edges validators and arithmetic tend to get wrong.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "24",
    "31",
    "59",
    "60",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "0.5",
    "1e400",
];

/// Pieces to splice into strings: duration units, date separators, and odd characters.
const STRING_PIECES: &[&str] = &[
    "",
    "d",
    "h",
    "m",
    "s",
    "w",
    "wd",
    "0d",
    "-1d",
    "1d",
    "25h",
    "99999999999d",
    "1y",
    "-",
    ":",
    " ",
    "T",
    "Z",
    "+07:00",
    "9999-12-31",
    "0000-01-01",
    "2021-02-29",
    "2021-05-07 08:00",
    "24:00",
    "23:59:60",
    "..",
    "[",
    "]",
    "\\u{0}",
    "ă",
    "🦀",
];

/// Applies one to four random token-level mutations to `text`. Returns `None` when the
/// text has nothing to mutate.
pub fn mutate(text: &str, rng: &mut Rng) -> Option<String> {
    let mut text = text.to_owned();
    for _ in 0..=rng.below(4) {
        text = mutate_once(&text, rng)?;
    }
    Some(text)
}

fn mutate_once(text: &str, rng: &mut Rng) -> Option<String> {
    let tokens = tokenize(text);
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].kind, Kind::Space | Kind::Comment))
        .collect();
    if solid.is_empty() {
        return None;
    }
    let of_kind = |kind: Kind| -> Vec<usize> {
        solid
            .iter()
            .copied()
            .filter(|&i| tokens[i].kind == kind)
            .collect()
    };
    let slice = |t: &Token| &text[t.start..t.end];
    let splice = |start: usize, end: usize, with: &str| {
        let mut out = String::with_capacity(text.len() + with.len());
        out.push_str(&text[..start]);
        out.push_str(with);
        out.push_str(&text[end..]);
        out
    };
    for _ in 0..8 {
        match rng.below(10) {
            // Replace a token with another of the same kind: swaps ids and references.
            0 | 1 => {
                let kind = *rng.pick(&[Kind::Str, Kind::Str, Kind::Ident, Kind::Num]);
                let same = of_kind(kind);
                if same.len() < 2 {
                    continue;
                }
                let (a, b) = (tokens[*rng.pick(&same)], tokens[*rng.pick(&same)]);
                return Some(splice(a.start, a.end, slice(&b)));
            }
            // Delete a token.
            2 => {
                let t = tokens[*rng.pick(&solid)];
                return Some(splice(t.start, t.end, ""));
            }
            // Insert a copy of a token before another.
            3 => {
                let (at, what) = (tokens[*rng.pick(&solid)], tokens[*rng.pick(&solid)]);
                return Some(splice(at.start, at.start, &format!("{} ", slice(&what))));
            }
            // An edge number.
            4 => {
                let numbers = of_kind(Kind::Num);
                if numbers.is_empty() {
                    continue;
                }
                let t = tokens[*rng.pick(&numbers)];
                let number = NUMBERS[rng.below(NUMBERS.len())];
                return Some(splice(t.start, t.end, number));
            }
            // Inside a string: change a digit run (dates, times, durations) or splice in
            // a piece.
            5 | 6 => {
                let strings = of_kind(Kind::Str);
                if strings.is_empty() {
                    continue;
                }
                let t = tokens[*rng.pick(&strings)];
                let inner = &text[t.start..t.end];
                if inner.len() < 2 {
                    continue;
                }
                let inner = &inner[1..inner.len() - 1];
                let mutated = mutate_string(inner, rng);
                return Some(splice(t.start, t.end, &format!("\"{mutated}\"")));
            }
            // Duplicate a bracketed group with its comma: a second entry with the same id.
            7 => {
                let Some((start, end)) = group(text, &tokens, rng) else {
                    continue;
                };
                let copy = format!("{}, ", &text[start..end]);
                return Some(splice(start, start, &copy));
            }
            // Delete a bracketed group (and the comma after it).
            8 => {
                let Some((start, mut end)) = group(text, &tokens, rng) else {
                    continue;
                };
                if text[end..].starts_with(',') {
                    end += 1;
                }
                return Some(splice(start, end, ""));
            }
            // Copy a group into another place that takes a list entry.
            _ => {
                let Some((start, end)) = group(text, &tokens, rng) else {
                    continue;
                };
                let openers: Vec<usize> = solid
                    .iter()
                    .copied()
                    .filter(|&i| matches!(slice(&tokens[i]), "[" | "("))
                    .collect();
                if openers.is_empty() {
                    continue;
                }
                let at = tokens[*rng.pick(&openers)].end;
                let copy = format!("{}, ", &text[start..end]);
                return Some(splice(at, at, &copy));
            }
        }
    }
    None
}

/// A random bracketed group: a `(`, `[` or `{` token (with the identifier naming a
/// struct before it, if any) up to its matching closer. Returns its byte range.
fn group(text: &str, tokens: &[Token], rng: &mut Rng) -> Option<(usize, usize)> {
    let openers: Vec<usize> = (0..tokens.len())
        .filter(|&i| matches!(&text[tokens[i].start..tokens[i].end], "(" | "[" | "{"))
        .collect();
    if openers.is_empty() {
        return None;
    }
    let open = *rng.pick(&openers);
    let mut depth = 0usize;
    for t in &tokens[open..] {
        match &text[t.start..t.end] {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    let start = match open.checked_sub(1).map(|i| tokens[i]) {
                        Some(name) if name.kind == Kind::Ident => name.start,
                        _ => tokens[open].start,
                    };
                    return Some((start, t.end));
                }
            }
            _ => {}
        }
    }
    None
}

/// Mutates the inside of a string literal.
fn mutate_string(inner: &str, rng: &mut Rng) -> String {
    let digit_runs: Vec<(usize, usize)> = {
        let bytes = inner.as_bytes();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push((start, i));
            } else {
                i += 1;
            }
        }
        runs
    };
    let boundaries: Vec<usize> = (0..=inner.len())
        .filter(|&i| inner.is_char_boundary(i))
        .collect();
    match rng.below(4) {
        0 | 1 if !digit_runs.is_empty() => {
            let (start, end) = *rng.pick(&digit_runs);
            let number = rng.pick(NUMBERS).trim_start_matches('-');
            format!("{}{}{}", &inner[..start], number, &inner[end..])
        }
        2 => {
            let at = *rng.pick(&boundaries);
            format!(
                "{}{}{}",
                &inner[..at],
                rng.pick(STRING_PIECES),
                &inner[at..]
            )
        }
        _ => {
            let (mut a, mut b) = (*rng.pick(&boundaries), *rng.pick(&boundaries));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            format!("{}{}{}", &inner[..a], rng.pick(STRING_PIECES), &inner[b..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_the_text() {
        let text = "A(id: \"x\\\"y\", n: -5, l: [1, 2]) // c\n/* d */ ă";
        let tokens = tokenize(text);
        let mut at = 0;
        for t in &tokens {
            assert_eq!(t.start, at);
            at = t.end;
        }
        assert_eq!(at, text.len());
        assert_eq!(tokens[0].kind, Kind::Ident);
        assert!(
            tokens
                .iter()
                .any(|t| t.kind == Kind::Str && &text[t.start..t.end] == "\"x\\\"y\"")
        );
        assert!(
            tokens
                .iter()
                .any(|t| t.kind == Kind::Num && &text[t.start..t.end] == "-5")
        );
    }

    #[test]
    fn mutants_are_valid_utf8_and_differ() {
        let text = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
        let mut rng = Rng::new(7);
        let mut changed = 0;
        for _ in 0..500 {
            if let Some(mutant) = mutate(text, &mut rng) {
                changed += usize::from(mutant != text);
            }
        }
        assert!(changed > 400);
    }
}
