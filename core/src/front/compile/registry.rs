//! Shared agency registries (`agencies: (use: ["vn-provinces"], ...)`): each named
//! registry's text checked in its own origin, and its units in force on the directive's
//! issue date (with its groups, cut to those units) handed to the agencies section. What
//! was in force on other dates is kept, so that naming it gets a diagnostic that says when
//! it was in force and what replaced it, not a bare "unknown agency".

use crate::front::compile::unknown_shared_hint;
use crate::front::load::parse_ron;
use crate::front::reporter::{Reporter, duplicates, spans_of};
use crate::model::diagnostic::{Code, suggestion};
use crate::model::options::LoadOptions;
use crate::model::spec::{self, AgencySpec, GroupSpec, RegistryFileSpec};
use crate::model::time::{date_text, parse_date};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use time::Date;

/// The units and groups of a workflow's registries in force on its issue date.
#[derive(Default)]
pub(crate) struct Registries {
    /// Units in force, in the order of `use` and of each registry.
    pub(crate) agencies: Vec<AgencySpec>,
    /// The registry of each unit in `agencies`.
    pub(crate) agency_registry: Vec<String>,
    /// The registries' groups, their members cut to the units in force.
    pub(crate) groups: Vec<GroupSpec>,
    /// The registry of each group in `groups`.
    pub(crate) group_registry: Vec<String>,
    /// Units of the registries not in force on the issue date, by id.
    pub(crate) retired: HashMap<String, Retired>,
    /// A registry could not be read (a syntax error, reported in its text): an unknown
    /// agency may be one of its units, so none is reported.
    pub(crate) unreadable: bool,
}

/// A unit of a registry the workflow uses that is not in force on its issue date.
pub(crate) struct Retired {
    registry: String,
    name: String,
    from: Option<Date>,
    until: Option<Date>,
    /// Its successors (`replaced_by`), with whether each is in force on the issue date.
    replaced_by: Vec<(String, bool)>,
    /// The units that it replaced (entries naming it in `replaced_by`).
    replaces: Vec<String>,
    /// The issue date.
    on: Date,
}

impl Retired {
    /// The message and hint for a reference to this unit.
    pub(crate) fn wording(&self, id: &str) -> (String, String) {
        let message = format!(
            "`{id}` ({}, registry `{}`) is not in force on {}, the directive's issue date",
            self.name,
            self.registry,
            date_text(self.on)
        );
        let valid = match (self.from, self.until) {
            (Some(from), Some(until)) => {
                format!(
                    "it was in force from {} to {}",
                    date_text(from),
                    date_text(until)
                )
            }
            (None, Some(until)) => format!("it was in force until {}", date_text(until)),
            (Some(from), None) => format!("it is in force from {}", date_text(from)),
            (None, None) => "it has no dates".to_owned(),
        };
        let ids = |list: &[String]| {
            list.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let hint = if !self.replaced_by.is_empty() && self.until.is_some_and(|u| u < self.on) {
            let successors: Vec<String> = self.replaced_by.iter().map(|(s, _)| s.clone()).collect();
            let current: Vec<String> = self
                .replaced_by
                .iter()
                .filter(|(_, now)| *now)
                .map(|(s, _)| s.clone())
                .collect();
            if current.is_empty() {
                format!("{valid}; {} replaced it", ids(&successors))
            } else {
                format!(
                    "{valid}; {} replaced it: name {} instead",
                    ids(&successors),
                    ids(&current)
                )
            }
        } else if !self.replaces.is_empty() && self.from.is_some_and(|f| f > self.on) {
            format!(
                "{valid}; before that it was {}: name that instead",
                ids(&self.replaces)
            )
        } else {
            format!("{valid}; a directive gets the units in force on its issue date")
        };
        (message, hint)
    }
}

/// An entry's dates, parsed; `None` for one that did not parse (reported).
struct Dates {
    from: Option<Date>,
    until: Option<Date>,
}

impl Dates {
    fn contain(&self, on: Date) -> bool {
        self.from.is_none_or(|f| f <= on) && self.until.is_none_or(|u| on <= u)
    }

    fn overlap(&self, other: &Dates) -> bool {
        let starts_before_end = |a: &Dates, b: &Dates| match (a.from, b.until) {
            (Some(from), Some(until)) => from <= until,
            _ => true,
        };
        starts_before_end(self, other) && starts_before_end(other, self)
    }
}

/// The registries `uses` names, checked (each problem in its own text, `origin`
/// `registries/NAME`; an unknown name in the workflow's, at `section`) and cut to the
/// units in force `on` the issue date (every unit when the date did not parse: that is
/// reported already, and cutting by a wrong date would only add noise).
pub(crate) fn resolve(
    r: &mut Reporter<'_>,
    uses: &[String],
    section: &Option<Range<usize>>,
    options: &LoadOptions,
    on: Option<Date>,
) -> Registries {
    let mut out = Registries::default();
    for name in uses {
        let Some(text) = options.registries.get(name) else {
            let hint = unknown_shared_hint(
                name,
                options.registry_names(),
                "registries",
                "with_registry",
            );
            r.error_hint(
                Code::UnknownRegistry,
                r.at(section, name),
                format!("the agency registry `{name}` is unknown"),
                Some(hint),
            );
            continue;
        };
        let mut inner = Reporter::new(text);
        match parse_ron::<RegistryFileSpec>(text, &options.limits) {
            Ok(mut file) => {
                crate::front::nfc::registry(&mut file);
                // Even with problems (reported in its text), what it holds is used: a
                // bad date leaves its entry undated, so the workflow's references do not
                // fail on top of the registry's own errors.
                let (units, groups) = registry_file(&mut inner, &file);
                select(&mut out, name, file, (&units, &groups), on);
            }
            Err(diagnostic) => {
                out.unreadable = true;
                inner.diagnostics.push(diagnostic);
            }
        }
        for mut diagnostic in inner.finish() {
            diagnostic.origin = Some(format!("registries/{name}").into());
            r.diagnostics.push(diagnostic);
        }
    }
    out
}

/// Every diagnostic of a shared registry text, located in it.
pub(crate) fn check_registry(r: &mut Reporter<'_>, file: &RegistryFileSpec) {
    registry_file(r, file);
}

/// Checks a registry: format, unique ids, dates, and that every reference (`parent`,
/// `replaced_by`, group members) names a unit of the same registry.
fn registry_file(r: &mut Reporter<'_>, file: &RegistryFileSpec) -> (Vec<Dates>, Vec<Dates>) {
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
    let agency_spans = spans_of(r, "agencies", "id", &file.agencies, |a| &a.id);
    let group_spans = spans_of(r, "groups", "id", &file.groups, |g| &g.id);
    // A group's id may repeat (one entry per period of its membership); its first entry
    // shares the namespace with the units.
    let mut first_groups = HashSet::new();
    duplicates(
        r,
        "unit or group",
        file.agencies
            .iter()
            .map(|a| a.id.as_str())
            .zip(agency_spans.iter())
            .chain(
                file.groups
                    .iter()
                    .map(|g| g.id.as_str())
                    .zip(group_spans.iter())
                    .filter(|(id, _)| first_groups.insert(*id)),
            ),
    );
    let ids: HashSet<&str> = file.agencies.iter().map(|a| a.id.as_str()).collect();
    let known = |r: &mut Reporter<'_>, span: &Option<Range<usize>>, what: String, id: &str| {
        if !ids.contains(id) {
            let hint = suggestion(id, file.agencies.iter().map(|a| a.id.as_str()));
            r.error_hint(
                Code::UnknownAgency,
                r.at(span, id),
                format!("{what} `{id}`, which is not a unit of this registry"),
                hint,
            );
        }
    };
    let mut all = Vec::with_capacity(file.agencies.len());
    for (agency, span) in file.agencies.iter().zip(&agency_spans) {
        let dates = dates(r, span, ("unit", &agency.id), (&agency.from, &agency.until));
        if let Some(parent) = &agency.parent {
            known(r, span, format!("unit `{}` has parent", agency.id), parent);
        }
        for successor in &agency.replaced_by {
            known(
                r,
                span,
                format!("unit `{}` is replaced by", agency.id),
                successor,
            );
        }
        all.push(dates);
    }
    let mut groups: Vec<Dates> = Vec::with_capacity(file.groups.len());
    for (i, (group, span)) in file.groups.iter().zip(&group_spans).enumerate() {
        for member in &group.members {
            known(r, span, format!("group `{}` has member", group.id), member);
        }
        let period = dates(r, span, ("group", &group.id), (&group.from, &group.until));
        let overlaps = file.groups[..i]
            .iter()
            .zip(&groups)
            .any(|(other, dates)| other.id == group.id && dates.overlap(&period));
        if overlaps {
            r.error_hint(
                Code::DuplicateId,
                r.at(span, &group.id),
                format!(
                    "group `{}` has two entries in force on the same days",
                    group.id
                ),
                Some(
                    "entries of one group need dates that do not overlap (`until` of one before `from` of the next)"
                        .to_owned(),
                ),
            );
        }
        groups.push(period);
    }
    (all, groups)
}

/// The `from` and `until` of a unit or group entry, parsed (each problem reported).
fn dates(
    r: &mut Reporter<'_>,
    span: &Option<Range<usize>>,
    (what, id): (&str, &str),
    (from, until): (&Option<String>, &Option<String>),
) -> Dates {
    let mut date = |field: &str, text: &Option<String>| {
        let text = text.as_ref()?;
        match parse_date(text) {
            Ok(date) => Some(date),
            Err(e) => {
                let at = r.field_at(span, field);
                r.error(Code::InvalidDate, at, e.to_string());
                None
            }
        }
    };
    let dates = Dates {
        from: date("from", from),
        until: date("until", until),
    };
    if let (Some(from), Some(until)) = (dates.from, dates.until)
        && until < from
    {
        r.error_hint(
            Code::PeriodEndsBeforeStart,
            r.field_at(span, "until"),
            format!(
                "{what} `{id}` is in force until {}, before it comes into force on {}",
                date_text(until),
                date_text(from)
            ),
            Some("`until` is the last day in force, on or after `from`".to_owned()),
        );
    }
    dates
}

/// Adds the units of registry `name` in force `on` to `out`, and its groups cut to them.
fn select(
    out: &mut Registries,
    name: &str,
    file: RegistryFileSpec,
    (dates, group_dates): (&[Dates], &[Dates]),
    on: Option<Date>,
) {
    let in_force: Vec<bool> = dates
        .iter()
        .map(|d| on.is_none_or(|on| d.contain(on)))
        .collect();
    let current: HashSet<&str> = file
        .agencies
        .iter()
        .zip(&in_force)
        .filter(|(_, now)| **now)
        .map(|(a, _)| a.id.as_str())
        .collect();
    for ((agency, dates), now) in file.agencies.iter().zip(dates).zip(&in_force) {
        if *now {
            out.agencies.push(AgencySpec {
                id: agency.id.clone(),
                name: agency.name.clone(),
                gloss: agency.gloss.clone(),
                kind: agency.kind,
                // A parent no longer in force leaves the unit a root.
                parent: agency
                    .parent
                    .clone()
                    .filter(|p| current.contains(p.as_str())),
            });
            out.agency_registry.push(name.to_owned());
        } else if let Some(on) = on {
            out.retired.insert(
                agency.id.clone(),
                Retired {
                    registry: name.to_owned(),
                    name: agency.name.clone(),
                    from: dates.from,
                    until: dates.until,
                    replaced_by: agency
                        .replaced_by
                        .iter()
                        .map(|s| (s.clone(), current.contains(s.as_str())))
                        .collect(),
                    replaces: file
                        .agencies
                        .iter()
                        .filter(|a| a.replaced_by.contains(&agency.id))
                        .map(|a| a.id.clone())
                        .collect(),
                    on,
                },
            );
        }
    }
    // The entry of each group in force (without a date, each group's first).
    let mut taken = HashSet::new();
    for (group, dates) in file.groups.into_iter().zip(group_dates) {
        let now = on.is_none_or(|on| dates.contain(on));
        if !now || !taken.insert(group.id.clone()) {
            continue;
        }
        let members = group
            .members
            .into_iter()
            .filter(|m| current.contains(m.as_str()))
            .collect();
        out.groups.push(GroupSpec {
            id: group.id,
            name: group.name,
            gloss: group.gloss,
            members,
        });
        out.group_registry.push(name.to_owned());
    }
}
