//! Loading: RON text → [`WorkflowSpec`] → validated [`Workflow`], reporting every problem.
//! The entry points and the RON parser are here; validation and compilation, section by
//! section, in `compile`, and the diagnostics' collector in `reporter`.

use crate::front::compile::{calendar_file, check_registry as check_registry_file, compile};
use crate::front::locator::{location_of, offset_of};
use crate::front::reporter::{Reporter, capped};
use crate::model::diagnostic::{
    Code, Diagnostic, Severity, floor_char_boundary, suggestion, summary,
};
use crate::model::limits::{Limits, raise_hint};
use crate::model::options::LoadOptions;
use crate::model::spec::{self, WorkflowSpec};
use crate::model::workflow::{Origin, Workflow};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

/// A successfully loaded workflow and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated workflow.
    pub workflow: Workflow,
    /// Suspicious but legal things.
    pub warnings: Vec<Diagnostic>,
}

/// Loading failed: every problem found, errors and warnings, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.diagnostics))]
pub struct LoadError {
    /// All diagnostics; at least one is an error.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and validates a workflow.
///
/// # Errors
/// A [`LoadError`] holding every diagnostic when the text is not valid RON or the model
/// has any error; warnings alone do not fail.
///
/// # Example
/// ```
/// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
/// let loaded = directrix_core::load(source).unwrap();
/// // Item 6 starts at 12:00 on 06/05, the day before the letter: legal, but flagged.
/// assert!(loaded.warnings.iter().any(|w| w.code.as_str() == "starts-before-issue"));
/// ```
///
/// Two unrelated mistakes are both reported:
/// ```
/// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")
///     .replacen("lead: [\"health\"]", "lead: [\"heath\"]", 1)
///     .replacen("utc_offset: \"+07:00\"", "utc_offset: \"+7\"", 1);
/// let error = directrix_core::load(&source).unwrap_err();
/// let codes: Vec<_> = error.diagnostics.iter().map(|d| d.code.as_str()).collect();
/// assert!(codes.contains(&"unknown-agency") && codes.contains(&"invalid-offset"));
/// ```
pub fn load(source: &str) -> Result<Loaded, LoadError> {
    load_with(source, &LoadOptions::default())
}

/// [`load`] with [`LoadOptions`].
///
/// # Errors
/// As [`load`]; also when the workflow names a calendar the options do not supply
/// (`unknown-calendar`), or a named calendar's text is invalid (diagnostics whose
/// `origin` is the calendar's name).
pub fn load_with(source: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut spec = parse_ron::<WorkflowSpec>(source, &options.limits).map_err(|d| LoadError {
        diagnostics: vec![d],
    })?;
    crate::front::nfc::workflow(&mut spec);
    let mut loaded = compile(&spec, source, options)?;
    loaded.workflow.origin = Some(std::sync::Arc::new(Origin {
        spec,
        options: options.clone(),
        follow_ups: Vec::new(),
        children: Vec::new(),
    }));
    Ok(loaded)
}

/// Every diagnostic of a workflow text, errors and warnings, without keeping the result.
///
/// ```
/// let diagnostics = directrix_core::check("not ron at all");
/// assert_eq!(diagnostics[0].code.as_str(), "syntax");
/// ```
pub fn check(source: &str) -> Vec<Diagnostic> {
    check_with(source, &LoadOptions::default())
}

/// [`check`] with [`LoadOptions`].
pub fn check_with(source: &str, options: &LoadOptions) -> Vec<Diagnostic> {
    match load_with(source, options) {
        Ok(loaded) => loaded.warnings,
        Err(error) => error.diagnostics,
    }
}

/// Every diagnostic of a shared calendar text (a
/// [`CalendarFileSpec`](crate::model::spec::CalendarFileSpec)), located in that text.
///
/// ```
/// let diagnostics = directrix_core::diagnostic::check_calendar(r#"(format: 1, years: [(year: 2024, holidays: ["2025-01-01"])])"#);
/// assert_eq!(diagnostics[0].code.as_str(), "date-outside-year");
/// assert!(directrix_core::diagnostic::check_calendar(r#"(format: 1, years: [])"#).is_empty());
/// ```
pub fn check_calendar(source: &str) -> Vec<Diagnostic> {
    let mut r = Reporter::new(source);
    match parse_ron::<spec::CalendarFileSpec>(source, &Limits::default()) {
        Ok(file) => calendar_file(&mut r, &file, &mut BTreeSet::new(), &mut BTreeSet::new()),
        Err(diagnostic) => r.diagnostics.push(diagnostic),
    }
    r.finish()
}

/// Every diagnostic of a shared agency registry text (a
/// [`RegistryFileSpec`](crate::model::spec::RegistryFileSpec)), located in that text.
///
/// ```
/// let diagnostics = directrix_core::diagnostic::check_registry(
///     r#"(format: 1, agencies: [(id: "a", name: "A", replaced_by: ["b"])])"#,
/// );
/// assert_eq!(diagnostics[0].code.as_str(), "unknown-agency");
/// assert!(directrix_core::diagnostic::check_registry(r#"(format: 1, agencies: [])"#).is_empty());
/// ```
pub fn check_registry(source: &str) -> Vec<Diagnostic> {
    let mut r = Reporter::new(source);
    match parse_ron::<spec::RegistryFileSpec>(source, &Limits::default()) {
        Ok(mut file) => {
            crate::front::nfc::registry(&mut file);
            check_registry_file(&mut r, &file);
        }
        Err(diagnostic) => r.diagnostics.push(diagnostic),
    }
    r.finish()
}

/// Parses RON with the extensions directrix files use, mapping errors to a located
/// `syntax` diagnostic. The `input-bytes` limit is checked before parsing; the `depth`
/// limit is the parser's recursion limit, so deep nesting is an error, not a stack
/// overflow.
pub(crate) fn parse_ron<T: DeserializeOwned>(
    source: &str,
    limits: &Limits,
) -> Result<T, Diagnostic> {
    let size = source.len() as u64;
    if size > limits.input_bytes {
        let at = floor_char_boundary(source, usize::try_from(limits.input_bytes).unwrap_or(0));
        return Err(Diagnostic {
            severity: Severity::Error,
            code: Code::LimitExceeded,
            message: format!(
                "the text is {size} bytes, more than the `input-bytes` limit of {} (it is crossed here)",
                limits.input_bytes
            ),
            span: Some(at..at),
            location: Some(location_of(source, at)),
            origin: None,
            hint: Some(raise_hint("input-bytes", size)),
        });
    }
    let options = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(usize::try_from(limits.depth).unwrap_or(usize::MAX));
    // A UTF-8 byte-order mark (what some editors write first) is not RON: skip it, and
    // count it back into columns of the first line.
    let (text, bom) = match source.strip_prefix('\u{feff}') {
        Some(text) => (text, 1),
        None => (source, 0),
    };
    options.from_str::<T>(text).map_err(|error| {
        let line = error.span.start.line.max(1);
        let start = crate::model::diagnostic::Location {
            line,
            column: error.span.start.col.max(1) + if line == 1 { bom } else { 0 },
        };
        // RON may point at the whitespace before the offending token; point at the token,
        // unless only whitespace follows (then the end of the text is the problem).
        let mut offset = offset_of(source, start);
        let rest = &source[offset..];
        let blank = rest.len() - rest.trim_start().len();
        if blank < rest.len() {
            offset += blank;
        }
        if error.code == ron::Error::ExceededRecursionLimit {
            return Diagnostic {
                severity: Severity::Error,
                code: Code::LimitExceeded,
                message: format!(
                    "the text nests `(`, `[` or `{{` deeper than the `depth` limit of {}",
                    limits.depth
                ),
                span: Some(offset..offset),
                location: Some(location_of(source, offset)),
                origin: None,
                hint: Some(raise_hint("depth", limits.depth.saturating_mul(2))),
            };
        }
        let (message, hint) = syntax_message::<T>(&error.code, source, offset);
        Diagnostic {
            severity: Severity::Error,
            code: Code::Syntax,
            message: capped(format!("invalid RON: {message}")),
            span: Some(offset..offset),
            location: Some(location_of(source, offset)),
            hint: hint.map(capped),
            origin: None,
        }
    })
}

/// The message (after "invalid RON: ") and hint of a RON error at `offset` while reading a
/// `T`: RON's own words without Rust type names, unless the text's brackets, strings or
/// comments tell more (where an unclosed one opened, that the file ends early).
fn syntax_message<T>(code: &ron::Error, source: &str, offset: usize) -> (String, Option<String>) {
    use crate::front::syntax::{Imbalance, describe, humanise, imbalance, number_at};
    use ron::Error as E;
    let ron_message = humanise(&code.to_string());
    let what = std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or_default();
    let what = humanise(&format!("`{what}`"));
    let what = what.strip_prefix("the ").unwrap_or("file");
    let starts = format!("a {what} starts with `(format: 1, ...)`");
    // RON reports an empty file as a missing `(`, not as an early end.
    if source.trim_start_matches('\u{feff}').trim().is_empty() {
        return (ron_message, Some(format!("the file is empty; {starts}")));
    }
    if source.contains('\0') {
        let hint = "the file looks binary; directrix reads RON text".to_owned();
        return (ron_message, Some(hint));
    }
    let found = imbalance(source);
    if found == Imbalance::OnlyComments {
        return ("the file holds only comments".to_owned(), Some(starts));
    }
    // Where RON stopped is in the text's last token: the file ends before it is complete.
    let rest = &source[offset.min(source.len())..];
    let at_end = !rest.trim().contains(char::is_whitespace);
    let ends_early = at_end
        || matches!(
            code,
            E::Eof | E::ExpectedStringEnd | E::UnclosedBlockComment
        );
    match found {
        Imbalance::Unclosed { .. } | Imbalance::InString { .. } | Imbalance::InComment { .. }
            if ends_early =>
        {
            if let Some((message, hint)) = describe(source, found) {
                return (message, Some(hint));
            }
        }
        // Only when RON stopped inside the unbalanced stretch: a mistake before it is
        // RON's to describe.
        Imbalance::Mismatch { at, close_at, .. } if (at..=close_at).contains(&offset) => {
            if let Some((message, hint)) = describe(source, found) {
                return (
                    message,
                    Some(format!("{hint}; RON stopped here: {ron_message}")),
                );
            }
        }
        Imbalance::Stray { at, .. } if offset <= at => {
            if let Some((message, hint)) = describe(source, found) {
                return (
                    message,
                    Some(format!("{hint}; RON stopped here: {ron_message}")),
                );
            }
        }
        _ => {}
    }
    if let (E::IntegerOutOfBounds, Some(number)) = (code, number_at(source, offset)) {
        let hint = if number.starts_with('-') {
            "it counts days or items: write 0 or more"
        } else {
            "it is too large: counts go up to 4294967295"
        };
        return (
            format!("the number `{number}` is out of range"),
            Some(hint.to_owned()),
        );
    }
    let hint = match code {
        E::Eof => Some("the file ends too early; check for a missing `)` or `]`".to_owned()),
        // RON's message already lists what is expected; suggest the likely intent.
        E::NoSuchStructField {
            expected, found, ..
        }
        | E::NoSuchEnumVariant {
            expected, found, ..
        } => suggestion(found, expected.iter().copied()),
        E::MissingStructField { field, .. } => Some(format!("add the field `{field}`")),
        _ => None,
    };
    let message = match found {
        // The text also ends with a bracket, string or comment open: say so after what
        // RON found.
        Imbalance::Unclosed { .. } | Imbalance::InString { .. } | Imbalance::InComment { .. } => {
            match describe(source, found) {
                Some((open, _)) => format!("{ron_message}; {open}"),
                None => ron_message,
            }
        }
        _ => ron_message,
    };
    (message, hint)
}
