//! The content hash of a compiled workflow: which version of a workflow a snapshot was
//! taken with.
//!
//! "The same workflow" means the same compiled model as far as the engine's behaviour
//! goes: ids, references, calendar, machines, policies, start and due rules. Whitespace,
//! comments, the order of fields and of holidays in the RON file do not reach the
//! compiled model, so they never change the hash; display text (names, titles, glosses,
//! subjects, copies, the document chain) is left out on purpose, so fixing a typo in a
//! gloss does not force every running instance through a migration. Everything else
//! does change it, including the order of agencies, tasks, states or group members: it
//! fixes the dense indices a snapshot holds.
//!
//! Cost: about 6% of `load` (2.3 ms of 41 ms for the 63/700/10,000 cascade, release).
//!
//! The hash is FNV-1a (64 bits) over the model's postcard serialisation, streamed (no
//! allocation). Both are defined byte by byte (postcard is a specified, platform-free
//! format: integers as varints, so `usize` is the same on 32 and 64 bits), so the hash is
//! the same natively and in WebAssembly and across runs (unlike `std`'s `DefaultHasher`).
//! postcard rather than RON because its serializer is tiny: this code ships to browsers.
//! It identifies a version; it is not a defence against a forged workflow.

use crate::model::workflow::{Agency, Directive, Group, Task, Workflow};
use serde::Serialize;

/// FNV-1a, 64 bits, as a postcard output so the serialisation streams into it.
struct Fnv(u64);

impl postcard::ser_flavors::Flavor for Fnv {
    type Output = u64;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<u64> {
        Ok(self.0)
    }
}

/// The behaviour-relevant part of a task. Built by exhaustive destructuring, so a new
/// field of [`Task`] does not compile until it is either hashed or left out here on
/// purpose.
#[derive(Serialize)]
struct TaskPart<'a> {
    id: &'a str,
    leads: &'a [crate::model::workflow::AgencyId],
    support: &'a [crate::model::workflow::AgencyId],
    for_each: Option<crate::model::workflow::GroupId>,
    depends_on: &'a [crate::model::workflow::TaskId],
    start: crate::model::workflow::Start,
    due: Option<crate::model::workflow::Due>,
    machine: crate::model::workflow::MachineId,
    policy: Option<usize>,
    supervisor: crate::model::workflow::AgencyId,
    parent_issuer: Option<crate::model::workflow::AgencyId>,
}

/// Task fields added after hashes were first pinned, for the tasks that use them: the
/// dependencies waited for per member ([`Task::per_member`]) as (task index, its list),
/// the tasks whose leads each run an instance ([`Task::each_lead`]), and periods in force
/// ([`Task::period`]). Serialises to nothing at all when no task uses any, so that adding
/// them left the hash of every workflow without them as it was (and its snapshots
/// restorable). A field added later goes here too.
struct Later<'a> {
    per_member: Vec<(usize, &'a [crate::model::workflow::TaskId])>,
    each_lead: Vec<usize>,
    periods: Vec<(usize, crate::model::workflow::InForce)>,
    /// The directive's delegates ([`Directive::delegates`]): who may issue follow-ups.
    delegates: &'a [crate::model::workflow::AgencyId],
}

impl Serialize for Later<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let first = (&self.per_member, &self.each_lead, &self.periods);
        if !self.delegates.is_empty() {
            // A fourth element only when used, so the three before keep their hashes.
            (first.0, first.1, first.2, self.delegates).serialize(s)
        } else if self.per_member.is_empty() && self.each_lead.is_empty() && self.periods.is_empty()
        {
            s.serialize_unit()
        } else {
            first.serialize(s)
        }
    }
}

/// The content hash of `workflow`, as 16 lower-case hex digits.
pub(crate) fn content_hash(workflow: &Workflow) -> String {
    let Workflow {
        directive,
        documents: _,
        calendar,
        agencies,
        groups,
        machines,
        actions,
        policies,
        tasks,
        // Derived from the tasks and groups (fan-out, reverse edges, name indices).
        slots: _,
        dependents: _,
        agency_index: _,
        task_index: _,
        slot_index: _,
        action_index: _,
        content_hash: _,
        // Host settings, not the workflow's content; the bound derives from the model.
        limits: _,
        timer_bound: _,
        // The spec it came from: the compiled fields above are what it means.
        origin: _,
    } = workflow;
    let Directive {
        number,
        issuer,
        issued_at,
        addressees,
        kind: _,
        kind_gloss: _,
        urgency: _,
        signer: _,
        place: _,
        subject: _,
        subject_gloss: _,
        copies: _,
        implements: _,
        // Hashed apart, in `later` below.
        delegates,
    } = directive;
    let agencies: Vec<_> = agencies
        .iter()
        .map(|agency| {
            let Agency {
                id,
                parent,
                kind: _,
                name: _,
                gloss: _,
            } = agency;
            (id, parent)
        })
        .collect();
    let groups: Vec<_> = groups
        .iter()
        .map(|group| {
            let Group {
                id,
                members,
                name: _,
                gloss: _,
            } = group;
            (id, members)
        })
        .collect();
    let later = Later {
        per_member: tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.per_member.is_empty())
            .map(|(i, t)| (i, t.per_member.as_slice()))
            .collect(),
        each_lead: (0..tasks.len()).filter(|&i| tasks[i].each_lead()).collect(),
        periods: tasks
            .iter()
            .enumerate()
            .filter_map(|(i, task)| task.period.map(|p| (i, p)))
            .collect(),
        delegates,
    };
    let tasks: Vec<_> = tasks
        .iter()
        .map(|task| {
            let Task {
                id,
                leads,
                support,
                for_each,
                depends_on,
                // Hashed apart, in `later` above.
                per_member: _,
                lead_mode: _,
                start,
                due,
                machine,
                policy,
                supervisor,
                parent_issuer,
                // Hashed apart, in `later` above.
                period: _,
                // Read only by the static analysis, not by the engine.
                expected: _,
                minimum: _,
                // Derived: from the policy and machine, and from the fan-out.
                level_states: _,
                instances: _,
                title: _,
                gloss: _,
            } = task;
            TaskPart {
                id,
                leads,
                support,
                for_each: *for_each,
                depends_on,
                start: *start,
                due: *due,
                machine: *machine,
                policy: *policy,
                supervisor: *supervisor,
                parent_issuer: *parent_issuer,
            }
        })
        .collect();
    let model = (
        (number, issuer, issued_at, addressees),
        calendar.canonical(),
        agencies,
        groups,
        machines,
        actions,
        policies,
        tasks,
        later,
    );
    fnv_hex(&model)
}

/// FNV-1a's offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64 bits) over `value`'s postcard serialisation, as 16 lower-case hex digits:
/// the content hash's, also [`crate::Instance::state_hash`]'s.
pub(crate) fn fnv_hex<T: Serialize + ?Sized>(value: &T) -> String {
    // Writing into `Fnv` cannot fail and every part serialises (postcard refuses only
    // unknown-length sequences, which derived impls never produce); an error would give
    // the offset basis, never panic.
    let hash = postcard::serialize_with_flavor(value, Fnv(FNV_OFFSET)).unwrap_or(FNV_OFFSET);
    format!("{hash:016x}")
}
