//! Agencies and groups: one namespace of ids, the reporting forest (its cycles reported
//! and broken), and the members of each group.

use super::{CycleWording, report_cycles};
use crate::front::reporter::{Reporter, duplicates, spans_of};
use crate::model::diagnostic::{Code, suggestion};
use crate::model::spec::WorkflowSpec;
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
}

impl Names {
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

/// The `agencies` and `groups` sections.
pub(super) fn compile(r: &mut Reporter<'_>, spec: &WorkflowSpec) -> Parties {
    // Agencies and groups share one namespace: addressees and supporters name either.
    let agency_spans = spans_of(r, "agencies", "id", &spec.agencies, |a| &a.id);
    let group_spans = spans_of(r, "groups", "id", &spec.groups, |g| &g.id);
    duplicates(
        r,
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
    let names = names(spec);
    let agencies = agencies(r, spec, &names, &agency_spans);
    let groups = groups(r, spec, &names, &group_spans);
    Parties {
        names,
        agencies,
        groups,
    }
}

/// The first agency or group of each id.
fn names(spec: &WorkflowSpec) -> Names {
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
    names
}

/// The agencies with their parents resolved; a cycle of reporting lines is reported and
/// every parent dropped.
fn agencies(
    r: &mut Reporter<'_>,
    spec: &WorkflowSpec,
    names: &Names,
    spans: &[Option<Range<usize>>],
) -> Vec<Agency> {
    let mut agencies = Vec::with_capacity(spec.agencies.len());
    for (agency, span) in spec.agencies.iter().zip(spans) {
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
    spec: &WorkflowSpec,
    names: &Names,
    spans: &[Option<Range<usize>>],
) -> Vec<Group> {
    let mut groups = Vec::with_capacity(spec.groups.len());
    for (group, span) in spec.groups.iter().zip(spans) {
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
    groups
}
