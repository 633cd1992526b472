//! The [`Reporter`]: diagnostics collected with their locations, and the spans of a
//! file's sections and items (RON keeps no spans, so they are found in the text).

use crate::front::locator::{Locator, location_of};
use crate::model::diagnostic::{Code, Diagnostic, Severity};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// `message` cut by [`cap_message`](crate::model::diagnostic::cap_message), so no diagnostic
/// echoes a huge input whole.
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

    /// The location of `"value"` in field `field`'s value inside `item` (one entry of a
    /// list, when the same text also appears in another field), else as [`Self::field_at`].
    pub(crate) fn value_in_field(
        &self,
        item: &Option<Range<usize>>,
        field: &str,
        value: &str,
    ) -> Option<Range<usize>> {
        let range = item.clone()?;
        self.locator
            .field_in(field, range.clone())
            .and_then(|key| self.locator.string_in(value, key..range.end))
            .or_else(|| self.field_at(item, field))
    }

    /// A top-level or nested field key anywhere.
    pub(crate) fn key(&self, field: &str) -> Option<Range<usize>> {
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

/// The item spans of a list section (see [`section`], which also reports duplicates).
pub(crate) fn spans_of<T>(
    r: &Reporter<'_>,
    section: &str,
    key: &str,
    items: &[T],
    id: impl Fn(&T) -> &str,
) -> Vec<Option<Range<usize>>> {
    r.item_spans(section, key, items.iter().map(id))
}

/// Reports each id seen before in `ids`, at its item.
pub(crate) fn duplicates<'a, 'b>(
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
