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
    "9999",
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
    "9999-12-31T23:59:59+07:00",
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

/// Applies one or two (now and then up to four) random token-level mutations to `text`.
/// Returns `None` when the text has nothing to mutate.
pub fn mutate(text: &str, rng: &mut Rng) -> Option<String> {
    let count = if rng.below(8) == 0 {
        1 + rng.below(4)
    } else {
        1 + rng.below(2)
    };
    let mut text = text.to_owned();
    for _ in 0..count {
        text = mutate_once(&text, rng)?;
    }
    Some(text)
}

/// One mutation. Weighted towards the ones that keep the text parseable (swapping
/// strings, value identifiers and numbers, editing inside strings, duplicating or dropping
/// list entries), since those reach the validator; token insertion and deletion keep
/// some pressure on the parser.
fn mutate_once(text: &str, rng: &mut Rng) -> Option<String> {
    let tokens = tokenize(text);
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].kind, Kind::Space | Kind::Comment))
        .collect();
    if solid.is_empty() {
        return None;
    }
    let slice = |i: usize| &text[tokens[i].start..tokens[i].end];
    // The solid token after solid position `k`, if any.
    let next_solid = |k: usize| solid.get(k + 1).map(|&i| slice(i));
    let strings: Vec<usize> = solid
        .iter()
        .copied()
        .filter(|&i| tokens[i].kind == Kind::Str)
        .collect();
    let numbers: Vec<usize> = solid
        .iter()
        .copied()
        .filter(|&i| tokens[i].kind == Kind::Num)
        .collect();
    // Identifiers in value position (enum variants such as `Lead` or `Escalate`), not
    // field names: a renamed field is only ever a syntax error.
    let values: Vec<usize> = (0..solid.len())
        .filter(|&k| tokens[solid[k]].kind == Kind::Ident && next_solid(k) != Some(":"))
        .map(|k| solid[k])
        .collect();
    let splice = |start: usize, end: usize, with: &str| {
        let mut out = String::with_capacity(text.len() + with.len());
        out.push_str(&text[..start]);
        out.push_str(with);
        out.push_str(&text[end..]);
        out
    };
    for _ in 0..8 {
        match rng.below(16) {
            // Another string in place of a string: swaps ids and references.
            0..=3 if strings.len() >= 2 => {
                let (a, b) = (*rng.pick(&strings), *rng.pick(&strings));
                return Some(splice(tokens[a].start, tokens[a].end, slice(b)));
            }
            // Another value identifier: another role, action, target or variant.
            4 if values.len() >= 2 => {
                let (a, b) = (*rng.pick(&values), *rng.pick(&values));
                return Some(splice(tokens[a].start, tokens[a].end, slice(b)));
            }
            // An edge number.
            5 if !numbers.is_empty() => {
                let t = tokens[*rng.pick(&numbers)];
                let number = NUMBERS[rng.below(NUMBERS.len())];
                return Some(splice(t.start, t.end, number));
            }
            // Inside a string: change a digit run (dates, times, durations) or splice in
            // a piece.
            6..=8 if !strings.is_empty() => {
                let t = tokens[*rng.pick(&strings)];
                // An unterminated string (at the end of the text) has no closing quote
                // to strip: its last character may be a multi-byte one.
                let Some(inner) = text[t.start..t.end]
                    .strip_prefix('"')
                    .and_then(|l| l.strip_suffix('"'))
                else {
                    continue;
                };
                let mutated = mutate_string(inner, rng);
                return Some(splice(t.start, t.end, &format!("\"{mutated}\"")));
            }
            // Duplicate a list entry: a second entry with the same id.
            9 | 10 => {
                let Some((start, end)) = entry(text, &tokens, &solid, rng) else {
                    continue;
                };
                return Some(splice(start, start, &format!("{}, ", &text[start..end])));
            }
            // Drop a list entry (and the comma after it).
            11 | 12 => {
                let Some((start, mut end)) = entry(text, &tokens, &solid, rng) else {
                    continue;
                };
                if text[end..].starts_with(',') {
                    end += 1;
                }
                return Some(splice(start, end, ""));
            }
            // Delete a token.
            13 => {
                let t = tokens[*rng.pick(&solid)];
                return Some(splice(t.start, t.end, ""));
            }
            // Insert a copy of a token before another.
            14 => {
                let (at, what) = (tokens[*rng.pick(&solid)], *rng.pick(&solid));
                return Some(splice(at.start, at.start, &format!("{} ", slice(what))));
            }
            // Copy a list entry to the front of a list (often another kind of list).
            15 => {
                let Some((start, end)) = entry(text, &tokens, &solid, rng) else {
                    continue;
                };
                let lists: Vec<usize> =
                    solid.iter().copied().filter(|&i| slice(i) == "[").collect();
                if lists.is_empty() {
                    continue;
                }
                let at = tokens[*rng.pick(&lists)].end;
                return Some(splice(at, at, &format!("{}, ", &text[start..end])));
            }
            _ => {}
        }
    }
    None
}

/// A random list entry: a bracketed group (with the identifier naming it, as in
/// `Every(...)`) or a single token, right after a `[` or a `,` inside a `[...]` list.
/// Returns its byte range.
fn entry(text: &str, tokens: &[Token], solid: &[usize], rng: &mut Rng) -> Option<(usize, usize)> {
    let slice = |i: usize| &text[tokens[i].start..tokens[i].end];
    // For each solid token, the innermost open bracket around it.
    let mut stack: Vec<&str> = Vec::new();
    let mut starts = Vec::new();
    for (k, &i) in solid.iter().enumerate() {
        let token = slice(i);
        let after_separator = k > 0 && matches!(slice(solid[k - 1]), "[" | ",");
        if after_separator && stack.last() == Some(&"[") && !matches!(token, "]" | ")" | "}") {
            starts.push(k);
        }
        match token {
            "(" | "[" | "{" => stack.push(token),
            ")" | "]" | "}" => {
                stack.pop();
            }
            _ => {}
        }
    }
    if starts.is_empty() {
        return None;
    }
    let k = *rng.pick(&starts);
    let first = solid[k];
    // A named group (`Every(`) or a bare group starts a bracketed entry.
    let open = match (slice(first), solid.get(k + 1)) {
        ("(" | "[" | "{", _) => Some(k),
        (_, Some(&next)) if tokens[first].kind == Kind::Ident && slice(next) == "(" => Some(k + 1),
        _ => None,
    };
    let Some(open) = open else {
        return Some((tokens[first].start, tokens[first].end));
    };
    let mut depth = 0usize;
    for &i in &solid[open..] {
        match slice(i) {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some((tokens[first].start, tokens[i].end));
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
    fn an_unterminated_string_ending_in_a_multibyte_character_mutates() {
        // Slicing its "closing quote" off cut into `ă` (found by the `follow_up` target:
        // the mutator panicked, which libFuzzer reports as a crash with an empty input).
        for seed in 0..2_000 {
            let _ = mutate("(a: \"b\", c: \"dă", &mut Rng::new(seed));
        }
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
