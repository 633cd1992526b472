//! Loading: RON text → [`WorkflowSpec`] → validated [`Workflow`], reporting every problem.

use crate::front::builtin;
use crate::front::cascade::is_placeholder;
use crate::front::graph::find_cycles;
use crate::front::locator::{Locator, location_of, offset_of};
use crate::model::calendar::Calendar;
use crate::model::diagnostic::{
    Code, Diagnostic, Severity, floor_char_boundary, suggestion, summary,
};
use crate::model::limits::{Limits, raise_hint};
use crate::model::options::LoadOptions;
use crate::model::spec::{self, Anchor, RoleSpec, StartSpec, StateKind, WorkflowSpec};
use crate::model::time::{Span, TimeError, Timestamp, parse_clock, parse_date, parse_offset};
use crate::model::workflow::*;
use serde::de::DeserializeOwned;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use time::{Date, UtcOffset, Weekday};

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

/// `message` cut by [`cap_message`](crate::model::diagnostic::cap_message), so no diagnostic echoes a huge
/// input whole.
pub(crate) fn capped(message: String) -> String {
    match crate::model::diagnostic::cap_message(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(short) => short,
    }
}

/// Collects diagnostics with locations.
pub(crate) struct Reporter<'s> {
    source: &'s str,
    pub(crate) locator: Locator,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'s> Reporter<'s> {
    pub(crate) fn new(source: &'s str) -> Self {
        Self {
            source,
            locator: Locator::new(source),
            diagnostics: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        code: Code,
        span: Option<Range<usize>>,
        message: String,
        hint: Option<String>,
    ) {
        let location = span.as_ref().map(|s| location_of(self.source, s.start));
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            message: capped(message),
            span,
            location,
            hint: hint.map(capped),
            origin: None,
        });
    }

    pub(crate) fn error(&mut self, code: Code, span: Option<Range<usize>>, message: String) {
        self.push(Severity::Error, code, span, message, None);
    }

    pub(crate) fn error_hint(
        &mut self,
        code: Code,
        span: Option<Range<usize>>,
        message: String,
        hint: Option<String>,
    ) {
        self.push(Severity::Error, code, span, message, hint);
    }

    pub(crate) fn warning(&mut self, code: Code, span: Option<Range<usize>>, message: String) {
        self.push(Severity::Warning, code, span, message, None);
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Sorts into file order (unlocated last), the loaded text before each named
    /// calendar's, keeping discovery order among equals.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.as_ref().map_or(usize::MAX, |s| s.start);
            a.origin.cmp(&b.origin).then(key(a).cmp(&key(b)))
        });
        self.diagnostics
    }

    /// The item spans of a top-level list section: item `i` runs from its key (`id` or
    /// `number`) to the next item's key or the next top-level field.
    fn item_spans<'a>(
        &self,
        section: &str,
        key: &str,
        ids: impl Iterator<Item = &'a str>,
    ) -> Vec<Option<Range<usize>>> {
        let Some(section_start) = self.locator.top_field(section) else {
            return ids.map(|_| None).collect();
        };
        let section_end = TOP_LEVEL
            .iter()
            .filter_map(|f| self.locator.top_field(f))
            .filter(|&at| at > section_start)
            .min()
            .unwrap_or(self.source.len());
        // Items normally appear in file order: search each from the previous one's end,
        // falling back to the whole section (with the occurrence count) if not found.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut cursor = section_start;
        let starts: Vec<Option<usize>> = ids
            .map(|id| {
                let nth = seen.entry(id).or_insert(0);
                let found = self
                    .locator
                    .keyed(key, id, cursor, 0)
                    .filter(|s| s.start < section_end)
                    .or_else(|| {
                        self.locator
                            .keyed(key, id, section_start, *nth)
                            .filter(|s| s.start < section_end)
                    });
                *nth += 1;
                if let Some(span) = &found {
                    cursor = cursor.max(span.end);
                }
                found.map(|s| s.start)
            })
            .collect();
        (0..starts.len())
            .map(|i| {
                let start = starts[i]?;
                let end = starts[i + 1..]
                    .iter()
                    .flatten()
                    .copied()
                    .find(|&s| s > start)
                    .unwrap_or(section_end);
                Some(start..end)
            })
            .collect()
    }

    /// The spans of items inside `within` keyed by `key: "id"`, in order: item `i` runs
    /// to the next item's key or the end of `within`.
    pub(crate) fn spans_within<'a>(
        &self,
        within: &Option<Range<usize>>,
        key: &str,
        ids: impl Iterator<Item = &'a str>,
    ) -> Vec<Option<Range<usize>>> {
        let Some(within) = within else {
            return ids.map(|_| None).collect();
        };
        let mut from = within.start;
        let starts: Vec<Option<usize>> = ids
            .map(|id| {
                let found = self
                    .locator
                    .keyed(key, id, from, 0)
                    .filter(|s| s.start < within.end);
                if let Some(found) = &found {
                    from = found.end;
                }
                found.map(|s| s.start)
            })
            .collect();
        (0..starts.len())
            .map(|i| {
                let start = starts[i]?;
                let next = starts[i + 1..].iter().flatten().next().copied();
                Some(start..next.unwrap_or(within.end))
            })
            .collect()
    }

    /// The location of `"value"` inside `item`, else the item itself.
    pub(crate) fn at(&self, item: &Option<Range<usize>>, value: &str) -> Option<Range<usize>> {
        match item {
            Some(range) => self
                .locator
                .string_in(value, range.clone())
                .or(Some(range.start..range.start)),
            None => self.locator.string_in(value, 0..self.source.len()),
        }
    }

    /// The location of field `field`'s value inside `item`, else of the key, else the item.
    pub(crate) fn field_at(
        &self,
        item: &Option<Range<usize>>,
        field: &str,
    ) -> Option<Range<usize>> {
        let range = item.clone()?;
        self.locator
            .field_string_in(field, range.clone())
            .or_else(|| {
                self.locator
                    .field_in(field, range.clone())
                    .map(|at| at..at + field.len())
            })
            .or(Some(range.start..range.start))
    }

    /// A top-level or nested field key anywhere.
    fn key(&self, field: &str) -> Option<Range<usize>> {
        self.locator.field(field).map(|at| at..at + field.len())
    }
}

const TOP_LEVEL: [&str; 10] = [
    "format",
    "directive",
    "documents",
    "calendar",
    "agencies",
    "groups",
    "machines",
    "policies",
    "tasks",
    "templates",
];

/// The item spans of a list section, its duplicate ids reported, and the position of
/// each id's first item.
pub(crate) fn section<'a, T>(
    r: &mut Reporter<'_>,
    what: &str,
    name: &str,
    key: &str,
    items: &'a [T],
    id: impl Fn(&'a T) -> &'a str,
) -> (Vec<Option<Range<usize>>>, HashMap<&'a str, usize>) {
    let spans = r.item_spans(name, key, items.iter().map(&id));
    duplicates(r, what, items.iter().map(&id).zip(spans.iter()));
    let mut positions = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        positions.entry(id(item)).or_insert(i);
    }
    (spans, positions)
}

fn spans_of<T>(
    r: &Reporter<'_>,
    section: &str,
    key: &str,
    items: &[T],
    id: impl Fn(&T) -> &str,
) -> Vec<Option<Range<usize>>> {
    r.item_spans(section, key, items.iter().map(id))
}

/// A name that may be an agency or a group.
#[derive(Clone, Copy)]
enum Party {
    Agency(AgencyId),
    Group(GroupId),
}

pub(crate) struct Names {
    pub(crate) agencies: HashMap<String, AgencyId>,
    pub(crate) groups: HashMap<String, GroupId>,
}

impl Names {
    fn lookup(&self, id: &str) -> Option<Party> {
        self.agencies
            .get(id)
            .map(|&a| Party::Agency(a))
            .or_else(|| self.groups.get(id).map(|&g| Party::Group(g)))
    }

    fn suggest(&self, wrong: &str, with_groups: bool) -> Option<String> {
        let agencies = self.agencies.keys().map(String::as_str);
        let groups = self
            .groups
            .keys()
            .map(String::as_str)
            .filter(|_| with_groups);
        suggestion(wrong, agencies.chain(groups))
    }
}

fn time_code(error: &TimeError) -> Code {
    match error {
        TimeError::Time(_) | TimeError::OutOfRange => Code::InvalidTime,
        TimeError::Date(_) => Code::InvalidDate,
        TimeError::ClockTime(_) => Code::InvalidClockTime,
        TimeError::Span(_) => Code::InvalidDuration,
        TimeError::Offset(_) => Code::InvalidOffset,
    }
}

fn duplicates<'a, 'b>(
    r: &mut Reporter<'_>,
    what: &str,
    ids: impl Iterator<Item = (&'a str, &'b Option<Range<usize>>)>,
) {
    let mut seen: HashSet<&str> = HashSet::new();
    for (id, span) in ids {
        if !seen.insert(id) {
            r.error_hint(
                Code::DuplicateId,
                r.at(span, id),
                format!("duplicate {what} id `{id}`"),
                Some("ids must be unique; rename one of them".to_owned()),
            );
        }
    }
}

pub(crate) fn compile(
    spec: &WorkflowSpec,
    source: &str,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let limits = &options.limits;
    let mut r = Reporter::new(source);
    // Size limits first: past them, the rest of validation is not worth its cost.
    check_shape_limits(&mut r, spec, limits);
    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }

    if spec.format != spec::FORMAT_VERSION {
        r.error_hint(
            Code::UnsupportedFormat,
            r.key("format"),
            format!("format version {} is not supported", spec.format),
            Some(format!(
                "this directrix reads format {}",
                spec::FORMAT_VERSION
            )),
        );
    }

    let calendar = compile_calendar(&mut r, &spec.calendar, options);
    let offset = calendar.offset();

    // Agencies and groups share one namespace: addressees and supporters name either.
    let agency_spans = spans_of(&r, "agencies", "id", &spec.agencies, |a| &a.id);
    let group_spans = spans_of(&r, "groups", "id", &spec.groups, |g| &g.id);
    duplicates(
        &mut r,
        "agency or group",
        spec.agencies
            .iter()
            .map(|a| a.id.as_str())
            .zip(agency_spans.iter())
            .chain(
                spec.groups
                    .iter()
                    .map(|g| g.id.as_str())
                    .zip(group_spans.iter()),
            ),
    );
    let mut names = Names {
        agencies: HashMap::new(),
        groups: HashMap::new(),
    };
    for (i, agency) in spec.agencies.iter().enumerate() {
        names
            .agencies
            .entry(agency.id.clone())
            .or_insert(AgencyId(i as u32));
    }
    for (i, group) in spec.groups.iter().enumerate() {
        if !names.agencies.contains_key(&group.id) {
            names
                .groups
                .entry(group.id.clone())
                .or_insert(GroupId(i as u32));
        }
    }

    let mut agencies = Vec::with_capacity(spec.agencies.len());
    for (agency, span) in spec.agencies.iter().zip(&agency_spans) {
        let parent = agency.parent.as_ref().and_then(|p| {
            let found = names.agencies.get(p).copied();
            if found.is_none() {
                let hint = names.suggest(p, false);
                r.error_hint(
                    Code::UnknownAgency,
                    r.field_at(span, "parent"),
                    format!("agency `{}` has unknown parent `{p}`", agency.id),
                    hint,
                );
            }
            found
        });
        agencies.push(Agency {
            id: agency.id.clone(),
            name: agency.name.clone(),
            gloss: agency.gloss.clone(),
            kind: agency.kind,
            parent,
        });
    }
    let parent_edges: Vec<(usize, usize)> = agencies
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.parent.map(|p| (i, p.index())))
        .collect();
    let mut agency_cycle = false;
    for cycle in find_cycles(agencies.len(), &parent_edges) {
        agency_cycle = true;
        let path = cycle_text(&cycle, |i| &agencies[i].id);
        r.error_hint(
            Code::AgencyCycle,
            r.at(&agency_spans[cycle[0]], &agencies[cycle[0]].id),
            format!("agency reporting lines form a cycle: {path}"),
            Some("every agency's chain of parents must end at a root".to_owned()),
        );
    }
    if agency_cycle {
        // Break the cycles so later walks up the reporting line terminate.
        for agency in &mut agencies {
            agency.parent = None;
        }
    }

    let mut groups = Vec::with_capacity(spec.groups.len());
    for (group, span) in spec.groups.iter().zip(&group_spans) {
        let mut members = Vec::new();
        for member in &group.members {
            match names.agencies.get(member) {
                Some(&a) => members.push(a),
                None => {
                    let hint = names.suggest(member, false);
                    r.error_hint(
                        Code::UnknownAgency,
                        r.at(span, member),
                        format!("group `{}` has unknown member `{member}`", group.id),
                        hint,
                    );
                }
            }
        }
        if group.members.is_empty() {
            r.warning(
                Code::EmptyGroup,
                span.clone(),
                format!("group `{}` has no members", group.id),
            );
        }
        groups.push(Group {
            id: group.id.clone(),
            name: group.name.clone(),
            gloss: group.gloss.clone(),
            members,
        });
    }

    // Appends the agencies of `party` not yet in `out`. A group may hold ten thousand
    // communes: membership is checked in a set, not by scanning `out`.
    let expand = |party: Party, out: &mut Vec<AgencyId>| {
        let single;
        let members: &[AgencyId] = match party {
            Party::Agency(a) => {
                single = [a];
                &single
            }
            Party::Group(g) => &groups[g.index()].members,
        };
        let mut seen: HashSet<AgencyId> = out.iter().copied().collect();
        out.extend(members.iter().copied().filter(|m| seen.insert(*m)));
    };

    // Directive.
    let directive_span = r.key("directive").map(|s| s.start..source.len());
    let d = &spec.directive;
    let issuer = match names.agencies.get(&d.issuer) {
        Some(&a) => a,
        None => {
            let hint = names.suggest(&d.issuer, false);
            r.error_hint(
                Code::UnknownAgency,
                r.field_at(&directive_span, "issuer"),
                format!("the issuer `{}` is not an agency", d.issuer),
                hint,
            );
            AgencyId(0)
        }
    };
    let issued_span = r.field_at(&directive_span, "issued_at");
    let issued_at = parse_time_at(&mut r, &d.issued_at, offset, issued_span)
        .unwrap_or(Timestamp::from_seconds(0));
    let mut addressees = Vec::new();
    for addressee in &d.addressees {
        match names.lookup(addressee) {
            Some(p) => expand(p, &mut addressees),
            None => {
                let hint = names.suggest(addressee, true);
                r.error_hint(
                    Code::UnknownAgency,
                    r.at(&directive_span, addressee),
                    format!("addressee `{addressee}` is not an agency or group"),
                    hint,
                );
            }
        }
    }
    let mut copies = Vec::new();
    for copy in &d.copies {
        let mut push = |to: Option<AgencyId>| {
            copies.push(CopyLine {
                to,
                purpose: copy.purpose.clone(),
                purpose_gloss: copy.purpose_gloss.clone(),
            })
        };
        if copy.to == "addressees" {
            push(None);
            continue;
        }
        match names.lookup(&copy.to) {
            Some(p) => {
                let mut recipients = Vec::new();
                expand(p, &mut recipients);
                recipients.into_iter().for_each(|a| push(Some(a)));
            }
            None => {
                let hint = names.suggest(&copy.to, true);
                r.error_hint(
                    Code::UnknownAgency,
                    r.at(&directive_span, &copy.to),
                    format!("copy recipient `{}` is not an agency or group", copy.to),
                    hint.or(Some(
                        "write `addressees` for \"như trên\" (as above)".to_owned(),
                    )),
                );
            }
        }
    }

    // Documents of the chain.
    let (document_spans, document_numbers) = section(
        &mut r,
        "document",
        "documents",
        "number",
        &spec.documents,
        |d| &d.number,
    );
    let check_document = |r: &mut Reporter<'_>, number: &str, span: Option<Range<usize>>| {
        if !document_numbers.contains_key(number) && !spec.documents.is_empty() {
            let hint = suggestion(number, document_numbers.keys().copied()).or(Some(
                "list it under `documents` to draw the chain".to_owned(),
            ));
            r.push(
                Severity::Warning,
                Code::UnknownDocument,
                span,
                format!("document `{number}` is not listed under `documents`"),
                hint,
            );
        }
    };
    for number in &d.implements {
        let span = r.at(&directive_span, number);
        check_document(&mut r, number, span);
    }
    let mut document_edges = Vec::new();
    for (i, (document, span)) in spec.documents.iter().zip(&document_spans).enumerate() {
        if let Err(e) = parse_date(&document.issued_on) {
            r.error(time_code(&e), r.field_at(span, "issued_on"), e.to_string());
        }
        for number in &document.implements {
            match document_numbers.get(number.as_str()) {
                Some(&j) => document_edges.push((i, j)),
                None => {
                    let at = r.at(span, number);
                    check_document(&mut r, number, at);
                }
            }
        }
    }
    for cycle in find_cycles(spec.documents.len(), &document_edges) {
        let path = cycle_text(&cycle, |i| &spec.documents[i].number);
        r.error(
            Code::DocumentCycle,
            document_spans[cycle[0]].clone(),
            format!("documents implement each other in a cycle: {path}"),
        );
    }
    let mut documents: Vec<Document> = spec
        .documents
        .iter()
        .map(|d| Document {
            number: d.number.clone(),
            kind: d.kind.clone(),
            issuer: d.issuer.clone(),
            issued_on: d.issued_on.clone(),
            subject: d.subject.clone(),
            gloss: d.gloss.clone(),
            implements: d.implements.clone(),
        })
        .collect();

    // Machines: the built-ins first, then the file's.
    let builtins = builtin::machines();
    let machine_spans = spans_of(&r, "machines", "id", &spec.machines, |m| &m.id);
    let all_machines: Vec<(&spec::MachineSpec, Option<Range<usize>>, bool)> = builtins
        .iter()
        .map(|m| (m, None, true))
        .chain(
            spec.machines
                .iter()
                .zip(machine_spans.iter().cloned())
                .map(|(m, s)| (m, s, false)),
        )
        .collect();
    {
        let mut seen = HashSet::new();
        for (machine, span, builtin) in &all_machines {
            if !seen.insert(machine.id.as_str()) && !builtin {
                r.error_hint(
                    Code::DuplicateId,
                    r.at(span, &machine.id),
                    format!("duplicate machine id `{}`", machine.id),
                    Some(
                        if machine.id == builtin::DEFAULT || machine.id == builtin::RECURRING {
                            "`default` and `recurring` are built in; give your machine another id"
                                .to_owned()
                        } else {
                            "ids must be unique; rename one of them".to_owned()
                        },
                    ),
                );
            }
        }
    }
    let mut machine_index: HashMap<&str, MachineId> = HashMap::new();
    for (i, (machine, _, _)) in all_machines.iter().enumerate() {
        machine_index
            .entry(machine.id.as_str())
            .or_insert(MachineId(i as u32));
    }
    let mut actions: Vec<String> = Vec::new();
    let mut action_index: HashMap<String, ActionId> = HashMap::new();
    let mut machines = Vec::with_capacity(all_machines.len());
    for (machine, span, _) in &all_machines {
        machines.push(compile_machine(
            &mut r,
            machine,
            span,
            &names,
            &mut actions,
            &mut action_index,
        ));
    }

    // Policies.
    let (policy_spans, policy_index) =
        section(&mut r, "policy", "policies", "id", &spec.policies, |p| {
            &p.id
        });
    let mut policies = Vec::new();
    let mut level_spans = Vec::new();
    for (policy, span) in spec.policies.iter().zip(&policy_spans) {
        let (policy, spans) = compile_policy(&mut r, policy, span, &names);
        policies.push(policy);
        level_spans.push(spans);
    }

    // Tasks: the file's, then those its cascades expand to.
    let (mut task_spans, task_positions) =
        section(&mut r, "task", "tasks", "id", &spec.tasks, |t| &t.id);
    let expansion = crate::front::cascade::expand(
        &mut r,
        spec,
        &task_spans,
        &crate::front::cascade::Context {
            names: &names,
            agencies: &agencies,
            groups: &groups,
            calendar: &calendar,
            offset,
            issued_at,
            issuer,
            number: &d.number,
        },
    );
    let top_level = spec.tasks.len();
    let mut task_index: HashMap<String, TaskId> = task_positions
        .iter()
        .map(|(id, &i)| ((*id).to_owned(), TaskId(i as u32)))
        .collect();
    for (k, generated) in expansion.tasks.iter().enumerate() {
        let id = &generated.spec.id;
        // Two generated tasks clash only when the template repeats an id: reported there.
        if task_positions.contains_key(id.as_str()) {
            r.error_hint(
                Code::DuplicateId,
                generated.span.clone(),
                format!("the cascade generates task id `{id}`, which is already taken"),
                Some("rename the task or the template task".to_owned()),
            );
        } else {
            task_index
                .entry(id.clone())
                .or_insert(TaskId((top_level + k) as u32));
        }
    }
    task_spans.extend(expansion.tasks.iter().map(|g| g.span.clone()));
    // Diagnostics of a template task are kept for its first expansion only.
    let mut keys_seen = HashSet::new();
    let first_of_key: Vec<bool> = (0..top_level)
        .map(|_| true)
        .chain(expansion.tasks.iter().map(|g| keys_seen.insert(g.key)))
        .collect();
    let mut tasks = Vec::with_capacity(task_spans.len());
    let mut dependency_edges = Vec::new();
    let mut anchors_checked = HashSet::new();
    for (i, span) in task_spans.iter().enumerate() {
        let (task, generated, extra_depends) = match i.checked_sub(top_level) {
            None => (&spec.tasks[i], None, &expansion.top_depends[i]),
            Some(k) => (
                &expansion.tasks[k].spec,
                Some(&expansion.tasks[k]),
                &Vec::new(),
            ),
        };
        let mark = r.diagnostics.len();
        let mut leads = Vec::new();
        // Placeholders left after expansion were reported by `cascade::expand`.
        for lead in task.lead.iter().filter(|l| !is_placeholder(l)) {
            match names.lookup(lead) {
                Some(Party::Agency(a)) => {
                    if !leads.contains(&a) {
                        leads.push(a);
                    }
                }
                Some(Party::Group(_)) => r.error_hint(
                    Code::UnknownAgency,
                    r.at(span, lead),
                    format!(
                        "lead `{lead}` of task `{}` is a group, not an agency",
                        task.id
                    ),
                    Some(format!(
                        "write `for_each: \"{lead}\"` to give each member its own instance"
                    )),
                ),
                None => {
                    let hint = names.suggest(lead, false);
                    r.error_hint(
                        Code::UnknownAgency,
                        r.at(span, lead),
                        format!("unknown agency `{lead}` in the lead of task `{}`", task.id),
                        hint,
                    );
                }
            }
        }
        let mut support = Vec::new();
        for supporter in task.support.iter().filter(|s| !is_placeholder(s)) {
            match names.lookup(supporter) {
                Some(p) => expand(p, &mut support),
                None => {
                    let hint = names.suggest(supporter, true);
                    r.error_hint(
                        Code::UnknownAgency,
                        r.at(span, supporter),
                        format!(
                            "unknown agency or group `{supporter}` supporting task `{}`",
                            task.id
                        ),
                        hint,
                    );
                }
            }
        }
        let for_each = task
            .for_each
            .as_ref()
            .filter(|g| !is_placeholder(g))
            .and_then(|g| match names.groups.get(g) {
                Some(&group) => Some(group),
                None => {
                    let hint = suggestion(g, names.groups.keys().map(String::as_str));
                    r.error_hint(
                        Code::UnknownGroup,
                        r.at(span, g),
                        format!("unknown group `{g}` in `for_each` of task `{}`", task.id),
                        hint,
                    );
                    None
                }
            });
        if task.for_each.is_some() && !task.lead.is_empty() {
            r.error_hint(
                Code::LeadWithForEach,
                r.field_at(span, "lead"),
                format!("task `{}` has both `lead` and `for_each`", task.id),
                Some(
                    "with `for_each` each member leads its own instance; remove `lead`".to_owned(),
                ),
            );
        } else if task.for_each.is_none() && task.lead.is_empty() {
            r.error_hint(
                Code::MissingLead,
                r.at(span, &task.id),
                format!("task `{}` has no lead agency", task.id),
                Some("add `lead: [\"agency\"]` or `for_each: \"group\"`".to_owned()),
            );
        }
        let mut depends_on = Vec::new();
        for dep in task.depends_on.iter().chain(extra_depends) {
            match task_index.get(dep) {
                Some(&t) => {
                    if !depends_on.contains(&t) {
                        depends_on.push(t);
                        dependency_edges.push((i, t.index()));
                    }
                }
                None => {
                    let hint = suggestion(dep, task_index.keys().map(String::as_str));
                    r.error_hint(
                        Code::UnknownTask,
                        r.at(span, dep),
                        format!("task `{}` depends on unknown task `{dep}`", task.id),
                        hint,
                    );
                }
            }
        }
        let start = match &task.start {
            StartSpec::AtIssue => Start::AtIssue,
            StartSpec::AfterDependencies => Start::AfterDependencies,
            StartSpec::At(text) => {
                let at = r.at(span, text);
                match parse_time_at(&mut r, text, offset, at.clone()) {
                    Some(t) => {
                        if t < issued_at {
                            r.warning(
                                Code::StartsBeforeIssue,
                                at,
                                format!(
                                    "task `{}` starts at {}, before the directive is issued at {}",
                                    task.id,
                                    t.to_rfc3339(offset),
                                    issued_at.to_rfc3339(offset)
                                ),
                            );
                        }
                        Start::At(t)
                    }
                    None => Start::AtIssue,
                }
            }
        };
        let due = match generated.and_then(|g| g.due) {
            Some(at) => Some(Due::At(at)),
            None => task
                .due
                .as_ref()
                .and_then(|due| compile_due(&mut r, due, span, offset)),
        };
        let machine_name = task.machine.clone().unwrap_or_else(|| {
            if due.is_some_and(|d| d.is_recurring()) {
                builtin::RECURRING
            } else {
                builtin::DEFAULT
            }
            .to_owned()
        });
        let machine = match machine_index.get(machine_name.as_str()) {
            Some(&m) => m,
            None => {
                let hint = suggestion(&machine_name, machine_index.keys().copied());
                r.error_hint(
                    Code::UnknownMachine,
                    r.at(span, &machine_name),
                    format!("task `{}` uses unknown machine `{machine_name}`", task.id),
                    hint,
                );
                MachineId(0)
            }
        };
        let policy = task
            .policy
            .as_ref()
            .and_then(|p| match policy_index.get(p.as_str()) {
                Some(&i) => Some(i),
                None => {
                    let hint = suggestion(p, policy_index.keys().copied());
                    r.error_hint(
                        Code::UnknownPolicy,
                        r.at(span, p),
                        format!("task `{}` uses unknown policy `{p}`", task.id),
                        hint,
                    );
                    None
                }
            });
        let level_states = match policy {
            Some(p) => {
                // Report a policy's unknown anchor states once per machine, not per task.
                let first_use = anchors_checked.insert((p, machine.index()));
                let machine = &machines[machine.index()];
                spec.policies[p]
                    .levels
                    .iter()
                    .map(|level| match &level.from {
                        Anchor::Due => None,
                        Anchor::Entered(state) => {
                            let found = machine.states.iter().position(|s| &s.id == state);
                            if found.is_none() && first_use {
                                let hint = suggestion(state, machine.states.iter().map(|s| s.id.as_str()));
                                r.error_hint(
                                    Code::UnknownState,
                                    r.at(&policy_spans[p], state),
                                    format!(
                                        "policy `{}` escalates from state `{state}`, which machine `{}` of task `{}` does not have",
                                        spec.policies[p].id, machine.id, task.id
                                    ),
                                    hint,
                                );
                            }
                            found.map(|s| StateId(s as u32))
                        }
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        // In a template the member issues the directive, and the report task reports up.
        let default_supervisor = generated.map_or(issuer, |g| g.reports_to.unwrap_or(g.issuer));
        let supervisor = match task.supervisor.as_ref().filter(|s| !is_placeholder(s)) {
            None => default_supervisor,
            Some(s) => match names.agencies.get(s) {
                Some(&a) => a,
                None => {
                    let hint = names.suggest(s, false);
                    r.error_hint(
                        Code::UnknownAgency,
                        r.at(span, s),
                        format!("task `{}` has unknown supervisor `{s}`", task.id),
                        hint,
                    );
                    default_supervisor
                }
            },
        };
        let (expected, minimum) = compile_efforts(&mut r, task, span, issued_at, &calendar);
        tasks.push(Task {
            id: task.id.clone(),
            title: task.title.clone(),
            gloss: task.gloss.clone(),
            leads,
            support,
            for_each,
            depends_on,
            start,
            due,
            machine,
            policy,
            level_states,
            supervisor,
            expected,
            minimum,
            parent_issuer: generated.map(|g| g.parent_issuer),
            instances: 0..0,
        });
        if !first_of_key[i] {
            r.diagnostics.truncate(mark);
        }
    }
    let mut dependency_cycle = false;
    for cycle in find_cycles(tasks.len(), &dependency_edges) {
        dependency_cycle = true;
        let path = cycle_text(&cycle, |i| &tasks[i].id);
        r.error_hint(
            Code::DependencyCycle,
            r.at(&task_spans[cycle[0]], &tasks[cycle[0]].id),
            format!("tasks depend on each other in a cycle: {path}"),
            Some("remove one of these `depends_on` entries".to_owned()),
        );
    }

    // Count the task instances before allocating them: a `for_each` over a large group,
    // repeated over many tasks, must fail here, not in the allocator.
    let fan_out = |task: &Task| {
        task.for_each
            .map_or(1, |g| groups[g.index()].members.len() as u64)
    };
    let instances: u64 = tasks.iter().map(fan_out).sum();
    if instances > limits.instances {
        let widest = (0..tasks.len()).max_by_key(|&i| (fan_out(&tasks[i]), usize::MAX - i));
        r.error_hint(
            Code::LimitExceeded,
            widest.and_then(|i| task_spans[i].clone()),
            format!(
                "the tasks fan out to {instances} task instances, more than the `instances` limit of {}",
                limits.instances
            ),
            Some(raise_hint("instances", instances)),
        );
    }

    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }

    let mut workflow = Workflow::assemble(
        Parts {
            directive: Directive {
                number: d.number.clone(),
                kind: d.kind.clone(),
                kind_gloss: d.kind_gloss.clone(),
                urgency: d.urgency,
                issuer,
                signer: d.signer.clone(),
                place: d.place.clone(),
                issued_at,
                subject: d.subject.clone(),
                subject_gloss: d.subject_gloss.clone(),
                addressees,
                copies,
                implements: d.implements.clone(),
            },
            documents: {
                documents.extend(expansion.documents);
                documents
            },
            calendar,
            agencies,
            groups,
            machines,
            actions,
            policies,
            tasks,
        },
        String::new(),
        limits,
    );
    workflow.content_hash = crate::model::hash::content_hash(&workflow);

    // The analysis warnings (schedule, levels, reporting lines, addressees) need the
    // compiled workflow; only their locations are found here.
    debug_assert!(!dependency_cycle);
    let analysis = crate::model::analysis::analyse(&workflow);
    // Due rules and efforts out of the representable range are errors, located the same
    // way as the warnings.
    let out_of_range = crate::model::analysis::out_of_range(&workflow, &analysis);
    for finding in out_of_range
        .into_iter()
        .chain(crate::model::analysis::findings(&workflow, &analysis))
    {
        use crate::model::analysis::Place;
        // A task expanded from a template is reported once, at the template.
        if let Place::TaskDue(t) | Place::InTask(t, _) | Place::TaskField(t, _) = &finding.place
            && !first_of_key[t.index()]
        {
            continue;
        }
        let at = match &finding.place {
            Place::TaskDue(t) => r.field_at(&task_spans[t.index()], "due"),
            Place::TaskField(t, field) => r.field_at(&task_spans[t.index()], field),
            Place::InTask(t, value) => r.at(&task_spans[t.index()], value),
            Place::Level { policy, level } => level_spans[*policy][*level].clone(),
            Place::Addressee(agency) => d
                .addressees
                .iter()
                .find(|entry| match workflow.agency_id(entry) {
                    Some(a) => a == *agency,
                    None => names
                        .groups
                        .get(entry.as_str())
                        .is_some_and(|g| workflow.groups[g.index()].members.contains(agency)),
                })
                .and_then(|entry| r.at(&directive_span, entry)),
        };
        let severity = match finding.code {
            Code::OutOfRange => Severity::Error,
            _ => Severity::Warning,
        };
        r.push(severity, finding.code, at, finding.message, finding.hint);
    }
    if r.has_errors() {
        return Err(LoadError {
            diagnostics: r.finish(),
        });
    }
    Ok(Loaded {
        workflow,
        warnings: r.finish(),
    })
}

fn compile_effort(
    r: &mut Reporter<'_>,
    effort: &spec::EffortSpec,
    span: &Option<Range<usize>>,
) -> Option<Effort> {
    match effort {
        spec::EffortSpec::WorkingDays(n) => Some(Effort::WorkingDays(*n)),
        spec::EffortSpec::Elapsed(text) => {
            let at = r.at(span, text);
            let elapsed = parse_span_at(r, text, at.clone())?;
            if elapsed.as_seconds() < 0 {
                r.error_hint(
                    Code::InvalidEffort,
                    at,
                    format!("an effort of {elapsed} is negative"),
                    Some("write how long the work takes, such as `Elapsed(\"8h\")`".to_owned()),
                );
                return None;
            }
            Some(Effort::Elapsed(elapsed))
        }
    }
}

/// A task's `expected` and `minimum` efforts, checked: the minimum needs an expected
/// effort and may not exceed it (compared as work begun when the directive is issued).
fn compile_efforts(
    r: &mut Reporter<'_>,
    task: &spec::TaskSpec,
    span: &Option<Range<usize>>,
    issued_at: Timestamp,
    calendar: &Calendar,
) -> (Option<Effort>, Option<Effort>) {
    let expected = task
        .expected
        .as_ref()
        .and_then(|e| compile_effort(r, e, span));
    let minimum = task
        .minimum
        .as_ref()
        .and_then(|e| compile_effort(r, e, span));
    match (task.expected.is_some(), minimum) {
        (false, Some(_)) => r.error_hint(
            Code::InvalidEffort,
            r.field_at(span, "minimum"),
            format!(
                "task `{}` has a `minimum` effort but no `expected` one",
                task.id
            ),
            Some("add `expected`, the usual effort; `minimum` is how far it can shrink".to_owned()),
        ),
        (true, Some(min)) => {
            if let Some(exp) = expected
                && min.finish(calendar, issued_at) > exp.finish(calendar, issued_at)
            {
                r.error_hint(
                    Code::InvalidEffort,
                    r.field_at(span, "minimum"),
                    format!(
                        "task `{}` has a `minimum` effort longer than its `expected` one",
                        task.id
                    ),
                    Some(
                        "`minimum` is the least the work can take; make it at most `expected`"
                            .to_owned(),
                    ),
                );
            }
        }
        _ => {}
    }
    (expected, minimum)
}

/// The limits that the parsed text alone shows: agencies and string lengths.
fn check_shape_limits(r: &mut Reporter<'_>, spec: &WorkflowSpec, limits: &Limits) {
    let agencies = spec.agencies.len() as u64;
    if agencies > limits.agencies {
        r.error_hint(
            Code::LimitExceeded,
            r.key("agencies"),
            format!(
                "the file lists {agencies} agencies, more than the `agencies` limit of {}",
                limits.agencies
            ),
            Some(raise_hint("agencies", agencies)),
        );
    }
    let long: Vec<Range<usize>> = r.locator.long_strings(limits.string_bytes).collect();
    for span in long {
        // The span includes the quotes.
        let bytes = span.len().saturating_sub(2) as u64;
        r.error_hint(
            Code::LimitExceeded,
            Some(span),
            format!(
                "a string of {bytes} bytes is longer than the `string-bytes` limit of {}",
                limits.string_bytes
            ),
            Some(raise_hint("string-bytes", bytes)),
        );
    }
}

/// Warns about an interval under a minute: directives count in hours and days, and such
/// a timer fires tens of thousands of times a day.
fn check_interval(r: &mut Reporter<'_>, interval: Span, span: Option<Range<usize>>, what: String) {
    if (1..60).contains(&interval.as_seconds()) {
        r.push(
            Severity::Warning,
            Code::ShortInterval,
            span,
            format!("{what} every {interval}, more often than once a minute"),
            Some("directives count in hours and days; write e.g. `1h` or `1d`".to_owned()),
        );
    }
}

pub(crate) fn parse_time_at(
    r: &mut Reporter<'_>,
    text: &str,
    offset: UtcOffset,
    span: Option<Range<usize>>,
) -> Option<Timestamp> {
    match Timestamp::parse(text, offset) {
        Ok(t) => Some(t),
        Err(e) => {
            r.error(time_code(&e), span, e.to_string());
            None
        }
    }
}

fn parse_span_at(r: &mut Reporter<'_>, text: &str, span: Option<Range<usize>>) -> Option<Span> {
    match Span::parse(text) {
        Ok(s) => Some(s),
        Err(e) => {
            r.error(time_code(&e), span, e.to_string());
            None
        }
    }
}

pub(crate) fn cycle_text<'a>(cycle: &[usize], name: impl Fn(usize) -> &'a str) -> String {
    let mut names: Vec<&str> = cycle.iter().map(|&i| name(i)).collect();
    if let Some(&first) = names.first() {
        names.push(first);
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The dates of the shared calendars a workflow names, merged; problems inside a calendar
/// are reported in its own text (`origin`), an unknown name in the workflow's.
fn named_calendars(
    r: &mut Reporter<'_>,
    spec: &spec::CalendarSpec,
    options: &LoadOptions,
) -> (BTreeSet<Date>, BTreeSet<Date>) {
    let mut holidays = BTreeSet::new();
    let mut working = BTreeSet::new();
    let section = r.key("calendar").map(|s| s.start..usize::MAX);
    for name in &spec.uses {
        let Some(text) = options.calendars.get(name) else {
            let how = "the directrix CLI reads `calendars/NAME.ron` in the workflow's directory; \
                       other hosts supply calendars with `LoadOptions::with_calendar`";
            let hint = match suggestion(name, options.calendar_names()) {
                Some(s) => format!("{s} ({how})"),
                None if options.calendars.is_empty() => {
                    format!("no calendars were supplied; {how}")
                }
                None => format!(
                    "the calendars supplied are {}; {how}",
                    options
                        .calendar_names()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            r.error_hint(
                Code::UnknownCalendar,
                r.at(&section, name),
                format!("the calendar `{name}` is unknown"),
                Some(hint),
            );
            continue;
        };
        let mut inner = Reporter::new(text);
        match parse_ron::<spec::CalendarFileSpec>(text, &options.limits) {
            Ok(file) => calendar_file(&mut inner, &file, &mut holidays, &mut working),
            Err(diagnostic) => inner.diagnostics.push(diagnostic),
        }
        for mut diagnostic in inner.finish() {
            diagnostic.origin = Some(name.as_str().into());
            r.diagnostics.push(diagnostic);
        }
    }
    (holidays, working)
}

/// Checks a shared calendar file and collects its dates.
fn calendar_file(
    r: &mut Reporter<'_>,
    file: &spec::CalendarFileSpec,
    holidays: &mut BTreeSet<Date>,
    working: &mut BTreeSet<Date>,
) {
    if file.format != spec::FORMAT_VERSION {
        r.error_hint(
            Code::UnsupportedFormat,
            r.key("format"),
            format!("format version {} is not supported", file.format),
            Some(format!(
                "this directrix reads format {}",
                spec::FORMAT_VERSION
            )),
        );
    }
    // Years are numbers, which the locator does not index: entry i runs from the i-th
    // `year:` key to the next.
    let starts: Vec<usize> = r.locator.fields_named("year").collect();
    let spans: Vec<Option<Range<usize>>> = (0..file.years.len())
        .map(|i| {
            let start = *starts.get(i)?;
            Some(start..starts.get(i + 1).copied().unwrap_or(usize::MAX))
        })
        .collect();
    let mut seen = BTreeSet::new();
    for (year, span) in file.years.iter().zip(&spans) {
        if !seen.insert(year.year) {
            r.error_hint(
                Code::DuplicateId,
                span.as_ref().map(|s| s.start..s.start + "year".len()),
                format!("the year {} is listed twice", year.year),
                Some("merge the two entries into one".to_owned()),
            );
        }
        for (dates, into) in [
            (&year.holidays, &mut *holidays),
            (&year.extra_working_days, &mut *working),
        ] {
            for text in dates {
                let at = r.at(span, text);
                match parse_date(text) {
                    Ok(date) if date.year() != year.year => r.error_hint(
                        Code::DateOutsideYear,
                        at,
                        format!("the date {text} is listed under the year {}", year.year),
                        Some(format!("move it to the entry for {}", date.year())),
                    ),
                    Ok(date) => {
                        into.insert(date);
                    }
                    Err(e) => r.error(Code::InvalidDate, at, e.to_string()),
                }
            }
        }
    }
}

fn compile_calendar(
    r: &mut Reporter<'_>,
    spec: &spec::CalendarSpec,
    options: &LoadOptions,
) -> Calendar {
    let calendar_span = r.key("calendar").map(|s| s.start..s.start + 1);
    let offset_span = r
        .locator
        .field_string_in("utc_offset", 0..usize::MAX)
        .or(calendar_span.clone());
    let offset = parse_offset(&spec.utc_offset).unwrap_or_else(|e| {
        r.error_hint(
            Code::InvalidOffset,
            offset_span,
            e.to_string(),
            Some("Vietnam is `+07:00`".to_owned()),
        );
        UtcOffset::UTC
    });
    let mut weekend = [false; 7];
    for day in &spec.weekend {
        let weekday = match day {
            spec::Day::Mon => Weekday::Monday,
            spec::Day::Tue => Weekday::Tuesday,
            spec::Day::Wed => Weekday::Wednesday,
            spec::Day::Thu => Weekday::Thursday,
            spec::Day::Fri => Weekday::Friday,
            spec::Day::Sat => Weekday::Saturday,
            spec::Day::Sun => Weekday::Sunday,
        };
        weekend[weekday.number_days_from_monday() as usize] = true;
    }
    if weekend.iter().all(|w| *w) {
        r.error(
            Code::NoWorkingDays,
            r.key("weekend"),
            "every day of the week is a weekend day, so no working-day deadline can fall"
                .to_owned(),
        );
        weekend = [false; 7];
    }
    let (mut holidays, mut working) = named_calendars(r, spec, options);
    for (field, dates, into) in [
        ("holidays", &spec.holidays, &mut holidays),
        ("extra_working_days", &spec.extra_working_days, &mut working),
    ] {
        let span = r.key(field).map(|s| s.start..usize::MAX);
        for text in dates {
            match parse_date(text) {
                Ok(date) => {
                    into.insert(date);
                }
                Err(e) => {
                    let at = r.at(&span, text);
                    r.error(Code::InvalidDate, at, e.to_string());
                }
            }
        }
    }
    let day_end = parse_clock(&spec.day_end).unwrap_or_else(|e| {
        let at = r.locator.field_string_in("day_end", 0..usize::MAX);
        r.error(Code::InvalidClockTime, at, e.to_string());
        time::Time::MIDNIGHT
    });
    Calendar::from_parts(offset, weekend, holidays, working, day_end)
}

fn compile_machine(
    r: &mut Reporter<'_>,
    spec: &spec::MachineSpec,
    span: &Option<Range<usize>>,
    names: &Names,
    actions: &mut Vec<String>,
    action_index: &mut HashMap<String, ActionId>,
) -> Machine {
    // The `nth` state declared with this id.
    let state_span = |r: &Reporter<'_>, id: &str, nth: usize| match span {
        Some(s) => r
            .locator
            .keyed("id", id, s.start, nth)
            .or_else(|| r.at(span, id)),
        None => None,
    };
    // Set when a state is declared twice or a transition names an unknown state: the
    // reachability checks would then only repeat those errors.
    let mut broken = false;
    let mut state_index: HashMap<&str, StateId> = HashMap::new();
    for (i, state) in spec.states.iter().enumerate() {
        if state_index.contains_key(state.id.as_str()) {
            broken = true;
            let nth = spec.states[..i].iter().filter(|s| s.id == state.id).count();
            let at = state_span(r, &state.id, nth);
            r.error(
                Code::DuplicateId,
                at,
                format!("machine `{}` has duplicate state `{}`", spec.id, state.id),
            );
        } else {
            state_index.insert(&state.id, StateId(i as u32));
        }
    }
    // Transition `i` runs from its `on` value to the next transition's.
    let transition_spans: Vec<Option<Range<usize>>> = r
        .spans_within(span, "on", spec.transitions.iter().map(|t| t.on.as_str()))
        .into_iter()
        .map(|found| found.or_else(|| span.clone()))
        .collect();
    let initials: Vec<usize> = spec
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StateKind::Initial)
        .map(|(i, _)| i)
        .collect();
    if initials.len() != 1 {
        r.error_hint(
            Code::InitialState,
            r.at(span, &spec.id),
            format!(
                "machine `{}` has {} initial states; it needs exactly one",
                spec.id,
                initials.len()
            ),
            Some("mark one state `kind: Initial`".to_owned()),
        );
    }
    let initial = StateId(initials.first().copied().unwrap_or(0) as u32);
    let resolve = |r: &mut Reporter<'_>, id: &str, span: &Option<Range<usize>>| {
        let found = state_index.get(id).copied();
        if found.is_none() {
            let hint = suggestion(id, state_index.keys().copied());
            let at = r.at(span, id);
            r.error_hint(
                Code::UnknownState,
                at,
                format!("machine `{}` has no state `{id}`", spec.id),
                hint,
            );
        }
        found
    };
    let mut transitions = Vec::new();
    let mut edges = Vec::new();
    for (transition, span) in spec.transitions.iter().zip(&transition_spans) {
        let action = *action_index
            .entry(transition.on.clone())
            .or_insert_with(|| {
                actions.push(transition.on.clone());
                ActionId(actions.len() as u32 - 1)
            });
        let from: Vec<StateId> = transition
            .from
            .iter()
            .filter_map(|s| resolve(r, s, span))
            .collect();
        let to = transition.to.as_ref().map(|to| resolve(r, to, span));
        broken |= to.is_some_and(|to| to.is_none()) || from.len() != transition.from.len();
        let mut by = Vec::new();
        for role in &transition.by {
            by.push(match role {
                RoleSpec::Lead => Role::Lead,
                RoleSpec::Support => Role::Support,
                RoleSpec::Supervisor => Role::Supervisor,
                RoleSpec::Issuer => Role::Issuer,
                RoleSpec::System => Role::System,
                RoleSpec::Agency(id) => match names.agencies.get(id) {
                    Some(&a) => Role::Agency(a),
                    None => {
                        let hint = names.suggest(id, false);
                        let at = r.at(span, id);
                        r.error_hint(
                            Code::UnknownAgency,
                            at,
                            format!(
                                "transition `{}` of machine `{}` names unknown agency `{id}`",
                                transition.on, spec.id
                            ),
                            hint,
                        );
                        continue;
                    }
                },
            });
        }
        let after = transition.after.as_ref().and_then(|a| {
            let at = r.at(span, a);
            parse_span_at(r, a, at)
        });
        let system = by.contains(&Role::System);
        if after.is_some() != system {
            let at = r.at(span, &transition.on);
            r.error_hint(
                Code::TimedTransition,
                at,
                format!(
                    "transition `{}` of machine `{}` {}",
                    transition.on,
                    spec.id,
                    if system {
                        "is fired by System but has no `after`"
                    } else {
                        "has `after` but is not fired by System"
                    }
                ),
                Some("a timed transition has both `after: \"...\"` and `by: [System]`".to_owned()),
            );
        }
        if let Some(after) = after {
            let at = r.at(span, &transition.on);
            check_interval(
                r,
                after,
                at,
                format!(
                    "timed transition `{}` of machine `{}` fires",
                    transition.on, spec.id
                ),
            );
        }
        if let Some(after) = after
            && after.as_seconds() <= 0
        {
            let at = r.at(span, &transition.on);
            r.error(
                Code::ZeroInterval,
                at,
                format!(
                    "timed transition `{}` of machine `{}` must wait a positive time",
                    transition.on, spec.id
                ),
            );
        }
        for &f in &from {
            if spec
                .states
                .get(f.index())
                .is_some_and(|s| matches!(s.kind, StateKind::Done | StateKind::Cancelled))
            {
                let at = r.at(span, &transition.on);
                r.error(
                    Code::TransitionFromTerminal,
                    at,
                    format!(
                        "transition `{}` of machine `{}` leaves terminal state `{}`",
                        transition.on,
                        spec.id,
                        spec.states[f.index()].id
                    ),
                );
            }
            if let Some(Some(to)) = to {
                edges.push((f.index(), to.index()));
            }
        }
        let compiled = |from: Vec<StateId>, to: StateId, stays: bool| Transition {
            action,
            from,
            to,
            by: by.clone(),
            guards: transition.guards.clone(),
            reports: transition.reports,
            returns_report: transition.returns_report,
            extension: transition.extension,
            stays,
            after,
        };
        match to {
            Some(Some(to)) => transitions.push(compiled(from, to, false)),
            Some(None) => {}
            // Staying is one transition per source state, so each knows where it stays.
            None => transitions.extend(from.iter().map(|&f| compiled(vec![f], f, true))),
        }
    }
    // Reachability from the initial state.
    if initials.len() == 1 && !broken {
        let reachable = crate::front::graph::reachable(spec.states.len(), &edges, initial.index());
        for (i, state) in spec.states.iter().enumerate() {
            if !reachable[i] {
                let at = state_span(r, &state.id, 0);
                r.error_hint(
                    Code::UnreachableState,
                    at,
                    format!(
                        "state `{}` of machine `{}` cannot be reached from `{}`",
                        state.id,
                        spec.id,
                        spec.states[initial.index()].id
                    ),
                    Some("add a transition into it, or remove it".to_owned()),
                );
            }
        }
        let terminal_reachable = spec
            .states
            .iter()
            .enumerate()
            .any(|(i, s)| reachable[i] && s.kind == StateKind::Done);
        if !terminal_reachable {
            r.error_hint(
                Code::NoTerminalState,
                r.at(span, &spec.id),
                format!("machine `{}` can never reach a `Done` state", spec.id),
                Some("add a state with `kind: Done` and a path of transitions to it".to_owned()),
            );
        }
    }
    Machine {
        id: spec.id.clone(),
        states: spec
            .states
            .iter()
            .map(|s| State {
                id: s.id.clone(),
                kind: s.kind,
                submitted: s.submitted,
            })
            .collect(),
        initial,
        transitions,
    }
}

fn compile_policy(
    r: &mut Reporter<'_>,
    spec: &spec::PolicySpec,
    span: &Option<Range<usize>>,
    names: &Names,
) -> (Policy, Vec<Option<Range<usize>>>) {
    let mut levels = Vec::new();
    // Last offset per anchor: levels must not go back in time within one anchor.
    let mut last: HashMap<Option<&str>, (Span, usize)> = HashMap::new();
    let level_spans: Vec<Option<Range<usize>>> = {
        let mut from = span.as_ref().map_or(0, |s| s.start);
        spec.levels
            .iter()
            .map(|level| {
                let found = r
                    .locator
                    .keyed("after", &level.after, from, 0)
                    .filter(|s| span.as_ref().is_none_or(|p| s.start < p.end));
                if let Some(found) = &found {
                    from = found.end;
                }
                found.or_else(|| span.clone())
            })
            .collect()
    };
    for (n, (level, level_span)) in spec.levels.iter().zip(&level_spans).enumerate() {
        let after =
            parse_span_at(r, &level.after, level_span.clone()).unwrap_or(Span::from_seconds(0));
        let anchor = match &level.from {
            Anchor::Due => None,
            Anchor::Entered(state) => Some(state.as_str()),
        };
        if let Some((previous, previous_level)) = last.get(&anchor)
            && after < *previous
        {
            r.error_hint(
                Code::EscalationOrder,
                level_span.clone(),
                format!(
                    "level {} of policy `{}` fires at {after}, before level {previous_level} at {previous}",
                    n + 1,
                    spec.id
                ),
                Some("list levels in the order they fire".to_owned()),
            );
        }
        last.insert(anchor, (after, n + 1));
        let repeat = level.repeat.as_ref().and_then(|text| {
            let at = level_span
                .as_ref()
                .and_then(|l| r.locator.keyed("repeat", text, l.start, 0))
                .or_else(|| r.at(span, text));
            let repeat = parse_span_at(r, text, at.clone())?;
            check_interval(
                r,
                repeat,
                at.clone(),
                format!("level {} of policy `{}` repeats", n + 1, spec.id),
            );
            if repeat.as_seconds() <= 0 {
                r.error(
                    Code::ZeroInterval,
                    at,
                    format!("level {} of policy `{}` repeats every {repeat}; the interval must be positive", n + 1, spec.id),
                );
                return None;
            }
            Some(repeat)
        });
        let target = match &level.target {
            spec::TargetSpec::Lead => Target::Lead,
            spec::TargetSpec::Parent => Target::Parent,
            spec::TargetSpec::Supervisor => Target::Supervisor,
            spec::TargetSpec::SupervisorParent => Target::SupervisorParent,
            spec::TargetSpec::Issuer => Target::Issuer,
            spec::TargetSpec::ParentIssuer => Target::ParentIssuer,
            spec::TargetSpec::Agency(id) => match names.agencies.get(id) {
                Some(&a) => Target::Agency(a),
                None => {
                    let hint = names.suggest(id, false);
                    let at = r.at(span, id);
                    r.error_hint(
                        Code::UnknownAgency,
                        at,
                        format!(
                            "level {} of policy `{}` targets unknown agency `{id}`",
                            n + 1,
                            spec.id
                        ),
                        hint,
                    );
                    Target::Issuer
                }
            },
        };
        levels.push(Level {
            after,
            entered: anchor.map(str::to_owned),
            action: level.action,
            target,
            repeat,
        });
    }
    (
        Policy {
            id: spec.id.clone(),
            levels,
        },
        level_spans,
    )
}

pub(crate) fn compile_due(
    r: &mut Reporter<'_>,
    due: &spec::DueSpec,
    span: &Option<Range<usize>>,
    offset: UtcOffset,
) -> Option<Due> {
    use spec::DueSpec as D;
    Some(match due {
        D::At(text) => Due::At(parse_time_at(r, text, offset, r.at(span, text))?),
        D::After(text) => Due::After(parse_span_at(r, text, r.at(span, text))?),
        D::Days(n) => Due::Days(*n),
        D::WorkingDays(n) => Due::WorkingDays(*n),
        // Resolved by `cascade::expand` in templates, and an error elsewhere.
        D::BeforeParent(_) => return None,
        D::ClockTime { at, days } => match parse_clock(at) {
            Ok(at) => Due::ClockTime { at, days: *days },
            Err(e) => {
                r.error(Code::InvalidClockTime, r.at(span, at), e.to_string());
                return None;
            }
        },
        D::Every { every, at, until } => {
            let every_span = r.at(span, every);
            let interval = parse_span_at(r, every, every_span.clone());
            let clock = at.as_ref().and_then(|a| match parse_clock(a) {
                Ok(c) => Some(Some(c)),
                Err(e) => {
                    r.error(Code::InvalidClockTime, r.at(span, a), e.to_string());
                    None
                }
            });
            let until = parse_time_at(r, until, offset, r.at(span, until));
            let interval = interval?;
            check_interval(
                r,
                interval,
                every_span.clone(),
                "a recurring due time falls".to_owned(),
            );
            if interval.as_seconds() <= 0 {
                r.error_hint(
                    Code::ZeroInterval,
                    every_span,
                    format!("a recurring due time every {interval} never advances"),
                    Some("use a positive interval such as `1d`".to_owned()),
                );
                return None;
            }
            Due::Every {
                every: interval,
                at: match (at, clock) {
                    (None, _) => None,
                    (Some(_), Some(c)) => c,
                    (Some(_), None) => return None,
                },
                until: until?,
            }
        }
        D::Periodic {
            period,
            cutoff_day,
            submit_within,
            until,
        } => {
            let until_at = r.at(span, until);
            let until = match parse_date(until) {
                Ok(date) => Some(date),
                Err(e) => {
                    r.error(Code::InvalidDate, until_at, e.to_string());
                    None
                }
            };
            if !(1..=31).contains(cutoff_day) {
                r.error_hint(
                    Code::InvalidDate,
                    r.field_at(span, "cutoff_day"),
                    format!("the cut-off day {cutoff_day} is not a day of the month"),
                    Some("write 1 to 31 (Decree 09/2019/NĐ-CP cuts off on the 14th); a day beyond a month's length means its last day".to_owned()),
                );
                return None;
            }
            Due::Periodic {
                period: *period,
                cutoff_day: *cutoff_day,
                within: *submit_within,
                until: until?,
            }
        }
    })
}
