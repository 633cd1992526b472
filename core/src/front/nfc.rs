//! Ids in Unicode NFC. Vietnamese typed on different systems arrives composed (NFC) or
//! decomposed (NFD): `công_an` in either form is one agency. The RON front end turns every
//! id and every reference to one into NFC as it reads a workflow, scenario or follow-up
//! document (and the [`Locator`](crate::front::locator::Locator) compares in NFC, so spans
//! still point at what was written); display text (names, titles, glosses) keeps the
//! author's bytes. The engine compares ids as they are: hosts normalise the names they pass
//! (the CLI with [`normalize_id`](crate::model::ident::normalize_id), the WebAssembly bindings with JS's own
//! `String.prototype.normalize`), so the runtime module carries no normalisation tables.

use crate::model::ident::id;
use crate::model::spec::{
    AgencySpec, Anchor, FollowUpSpec, GroupSpec, MachineSpec, PolicySpec, RegistryFileSpec,
    RoleSpec, ScenarioSpec, TargetSpec, TaskSpec, WorkflowSpec,
};

fn ids(list: &mut [String]) {
    list.iter_mut().for_each(id);
}

fn opt(value: &mut Option<String>) {
    if let Some(value) = value {
        id(value);
    }
}

/// Every id of a workflow and every reference to one, in NFC.
pub(crate) fn workflow(spec: &mut WorkflowSpec) {
    // Calendar names, as `LoadOptions::with_calendar` keeps them.
    ids(&mut spec.calendar.uses);
    let d = &mut spec.directive;
    id(&mut d.number);
    id(&mut d.issuer);
    ids(&mut d.addressees);
    ids(&mut d.implements);
    ids(&mut d.delegates);
    d.copies.iter_mut().for_each(|c| id(&mut c.to));
    for document in &mut spec.documents {
        id(&mut document.number);
        id(&mut document.issuer);
        ids(&mut document.implements);
    }
    // Registry names, as `LoadOptions::with_registry` keeps them.
    ids(&mut spec.agencies.uses);
    spec.agencies.list.iter_mut().for_each(agency);
    spec.groups.iter_mut().for_each(group);
    spec.machines.iter_mut().for_each(machine);
    spec.policies.iter_mut().for_each(policy);
    spec.tasks.iter_mut().for_each(task);
    for template in &mut spec.templates {
        id(&mut template.id);
        opt(&mut template.reports);
        template.tasks.iter_mut().for_each(task);
    }
}

fn agency(agency: &mut AgencySpec) {
    id(&mut agency.id);
    opt(&mut agency.parent);
}

fn group(group: &mut GroupSpec) {
    id(&mut group.id);
    ids(&mut group.members);
}

/// Every id and reference of a shared registry, in NFC.
pub(crate) fn registry(spec: &mut RegistryFileSpec) {
    for agency in &mut spec.agencies {
        id(&mut agency.id);
        opt(&mut agency.parent);
        ids(&mut agency.replaced_by);
    }
    for group in &mut spec.groups {
        id(&mut group.id);
        ids(&mut group.members);
    }
}

fn machine(machine: &mut MachineSpec) {
    id(&mut machine.id);
    machine.states.iter_mut().for_each(|s| id(&mut s.id));
    for transition in &mut machine.transitions {
        id(&mut transition.on);
        ids(&mut transition.from);
        opt(&mut transition.to);
        for role in &mut transition.by {
            if let RoleSpec::Agency(agency) = role {
                id(agency);
            }
        }
    }
}

fn policy(policy: &mut PolicySpec) {
    id(&mut policy.id);
    for level in &mut policy.levels {
        if let Anchor::Entered(state) = &mut level.from {
            id(state);
        }
        if let TargetSpec::Agency(agency) = &mut level.target {
            id(agency);
        }
    }
}

fn task(task: &mut TaskSpec) {
    id(&mut task.id);
    ids(&mut task.lead);
    ids(&mut task.support);
    opt(&mut task.for_each);
    ids(&mut task.depends_on);
    ids(&mut task.depends_on_all);
    opt(&mut task.machine);
    opt(&mut task.policy);
    opt(&mut task.supervisor);
    if let Some(cascade) = &mut task.cascade {
        id(&mut cascade.template);
        id(&mut cascade.for_each);
    }
}

/// Every name a scenario's events and behaviours use, in NFC.
pub(crate) fn scenario(spec: &mut ScenarioSpec) {
    for event in &mut spec.events {
        id(&mut event.actor);
        id(&mut event.task);
        id(&mut event.action);
    }
    spec.behaviours.iter_mut().for_each(|b| ids(&mut b.who));
}

/// Every id and reference of a follow-up document, in NFC.
pub(crate) fn follow_up(spec: &mut FollowUpSpec) {
    id(&mut spec.number);
    id(&mut spec.issuer);
    id(&mut spec.further_to);
    spec.add_tasks.iter_mut().for_each(task);
    spec.add_policies.iter_mut().for_each(policy);
    spec.add_agencies.iter_mut().for_each(agency);
    spec.add_groups.iter_mut().for_each(group);
    for add in &mut spec.add_members {
        id(&mut add.group);
        ids(&mut add.members);
    }
    spec.change_due.iter_mut().for_each(|c| id(&mut c.task));
    spec.cancel.iter_mut().for_each(|c| id(&mut c.task));
    for tighten in &mut spec.tighten {
        id(&mut tighten.task);
        id(&mut tighten.policy);
    }
    spec.extend_period.iter_mut().for_each(|e| id(&mut e.task));
    spec.end_period.iter_mut().for_each(|e| id(&mut e.task));
    for supersede in &mut spec.supersede {
        id(&mut supersede.task);
        id(&mut supersede.by);
    }
}
