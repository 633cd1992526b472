//! Agencies and groups: one namespace of ids, the reporting forest (its cycles reported
//! and broken), and the members of each group.

use super::registry::{Registries, Retired};
use super::{CycleWording, report_cycles};
use crate::front::reporter::{Reporter, duplicates, spans_of};
use crate::model::diagnostic::{Code, suggestion};
use crate::model::spec::{AgencySpec, GroupSpec, WorkflowSpec};
use crate::model::workflow::{Agency, AgencyId, Group, GroupId};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A name that may be an agency or a group.
#[derive(Clone, Copy)]
pub(super) enum Party {
    Agency(AgencyId),
    Group(GroupId),
}

/// The ids of agencies and groups (a group whose id an agency has is not listed).
pub(crate) struct Names {
    pub(crate) agencies: HashMap<String, AgencyId>,
    pub(crate) groups: HashMap<String, GroupId>,
    /// Units of the workflow's registries not in force on its issue date.
    pub(crate) retired: HashMap<String, Retired>,
    /// A registry the workflow uses could not be read: unknown agencies go unreported.
    unreadable: bool,
}

impl Names {
    /// Reports a reference to an agency (or, `with_groups`, a group) that is not one:
    /// `message` with a suggestion, or, for a registry's unit not in force on the issue
    /// date, when it was in force and what replaced it.
    pub(super) fn unknown(
        &self,
        r: &mut Reporter<'_>,
        at: Option<Range<usize>>,
        id: &str,
        with_groups: bool,
        message: String,
    ) {
        match self.retired.get(id) {
            // The registry's syntax error is reported in its text; this would be noise.
            None if self.unreadable => {}
            Some(retired) => {
                let (message, hint) = retired.wording(id);
                r.error_hint(Code::NotInForce, at, message, Some(hint));
            }
            None => {
                let hint = self.suggest(id, with_groups);
                r.error_hint(Code::UnknownAgency, at, message, hint);
            }
        }
    }

    pub(super) fn lookup(&self, id: &str) -> Option<Party> {
        self.agencies
            .get(id)
            .map(|&a| Party::Agency(a))
            .or_else(|| self.groups.get(id).map(|&g| Party::Group(g)))
    }

    pub(super) fn suggest(&self, wrong: &str, with_groups: bool) -> Option<String> {
        let agencies = self.agencies.keys().map(String::as_str);
        let groups = self
            .groups
            .keys()
            .map(String::as_str)
            .filter(|_| with_groups);
        suggestion(wrong, agencies.chain(groups))
    }
}

/// The compiled agencies and groups, and their names.
pub(super) struct Parties {
    pub(super) names: Names,
    pub(super) agencies: Vec<Agency>,
    pub(super) groups: Vec<Group>,
}

/// Appends the agencies of `party` not yet in `out`. A group may hold ten thousand
/// communes: membership is checked in a set, not by scanning `out`.
pub(super) fn expand(groups: &[Group], party: Party, out: &mut Vec<AgencyId>) {
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
}

/// The `agencies` and `groups` sections, after the units and groups of the registries
/// they use (so that agencies a follow-up adds come last and no index moves).
pub(super) fn compile(
    r: &mut Reporter<'_>,
    spec: &WorkflowSpec,
    registries: Registries,
) -> Parties {
    // Agencies and groups share one namespace: addressees and supporters name either.
    let local_agency_spans = spans_of(r, "agencies", "id", &spec.agencies.list, |a| &a.id);
    let local_group_spans = spans_of(r, "groups", "id", &spec.groups, |g| &g.id);
    // An id of the workflow's that a registry has too: reported at the workflow's.
    let shared: HashMap<&str, &str> = registries
        .agencies
        .iter()
        .map(|a| a.id.as_str())
        .zip(registries.agency_registry.iter().map(String::as_str))
        .chain(
            registries
                .groups
                .iter()
                .map(|g| g.id.as_str())
                .zip(registries.group_registry.iter().map(String::as_str)),
        )
        .collect();
    let local = spec
        .agencies
        .list
        .iter()
        .map(|a| a.id.as_str())
        .zip(local_agency_spans.iter())
        .chain(
            spec.groups
                .iter()
                .map(|g| g.id.as_str())
                .zip(local_group_spans.iter()),
        );
    for (id, span) in local.clone() {
        if let Some(registry) = shared.get(id) {
            r.error_hint(
                Code::DuplicateId,
                r.at(span, id),
                format!("`{id}` is also a unit or group of the registry `{registry}`"),
                Some(format!(
                    "remove this entry to use the registry's `{id}`, or give yours another id"
                )),
            );
        }
    }
    duplicates(
        r,
        "agency or group",
        local.filter(|(id, _)| !shared.contains_key(id)),
    );
    let agency_specs: Vec<AgencySpec> = registries
        .agencies
        .into_iter()
        .chain(spec.agencies.list.iter().cloned())
        .collect();
    let group_specs: Vec<GroupSpec> = registries
        .groups
        .into_iter()
        .chain(spec.groups.iter().cloned())
        .collect();
    let registry_agencies = agency_specs.len() - spec.agencies.list.len();
    let registry_groups = group_specs.len() - spec.groups.len();
    let agency_spans: Vec<Option<Range<usize>>> = std::iter::repeat_n(None, registry_agencies)
        .chain(local_agency_spans)
        .collect();
    let group_spans: Vec<Option<Range<usize>>> = std::iter::repeat_n(None, registry_groups)
        .chain(local_group_spans)
        .collect();
    let mut names = names(&agency_specs, &group_specs, registries.retired);
    names.unreadable = registries.unreadable;
    let agencies = agencies(r, &agency_specs, &names, &agency_spans);
    let groups = groups(r, &group_specs, &names, &group_spans, registry_groups);
    Parties {
        names,
        agencies,
        groups,
    }
}

/// The first agency or group of each id.
fn names(
    agencies: &[AgencySpec],
    groups: &[GroupSpec],
    retired: HashMap<String, Retired>,
) -> Names {
    let mut names = Names {
        agencies: HashMap::new(),
        groups: HashMap::new(),
        retired,
        unreadable: false,
    };
    for (i, agency) in agencies.iter().enumerate() {
        names
            .agencies
            .entry(agency.id.clone())
            .or_insert(AgencyId(i as u32));
    }
    for (i, group) in groups.iter().enumerate() {
        if !names.agencies.contains_key(&group.id) {
            names
                .groups
                .entry(group.id.clone())
                .or_insert(GroupId(i as u32));
        }
    }
    names
}

/// The agencies with their parents resolved; a cycle of reporting lines is reported and
/// every parent dropped.
fn agencies(
    r: &mut Reporter<'_>,
    specs: &[AgencySpec],
    names: &Names,
    spans: &[Option<Range<usize>>],
) -> Vec<Agency> {
    let mut agencies = Vec::with_capacity(specs.len());
    for (agency, span) in specs.iter().zip(spans) {
        let parent = agency.parent.as_ref().and_then(|p| {
            let found = names.agencies.get(p).copied();
            if found.is_none() {
                let at = r.field_at(span, "parent");
                names.unknown(
                    r,
                    at,
                    p,
                    false,
                    format!("agency `{}` has unknown parent `{p}`", agency.id),
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
    let cyclic = report_cycles(
        r,
        agencies.len(),
        &parent_edges,
        spans,
        |i| &agencies[i].id,
        &CycleWording {
            code: Code::AgencyCycle,
            message: "agency reporting lines form a cycle",
            hint: "every agency's chain of parents must end at a root",
        },
    );
    if cyclic {
        // Break the cycles so later walks up the reporting line terminate.
        for agency in &mut agencies {
            agency.parent = None;
        }
    }
    agencies
}

fn groups(
    r: &mut Reporter<'_>,
    specs: &[GroupSpec],
    names: &Names,
    spans: &[Option<Range<usize>>],
    from_registries: usize,
) -> Vec<Group> {
    let mut groups = Vec::with_capacity(specs.len());
    for (i, (group, span)) in specs.iter().zip(spans).enumerate() {
        let mut members = Vec::new();
        for member in &group.members {
            match names.agencies.get(member) {
                Some(&a) => members.push(a),
                None => {
                    let at = r.at(span, member);
                    names.unknown(
                        r,
                        at,
                        member,
                        false,
                        format!("group `{}` has unknown member `{member}`", group.id),
                    );
                }
            }
        }
        // A registry's group may have no unit in force on a date: nothing the workflow
        // wrote is wrong, and naming the group says so where it is used.
        if group.members.is_empty() && i >= from_registries {
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
    groups
}
