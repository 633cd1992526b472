//! The compiled form of a workflow: the validated model as versioned bytes, loaded without
//! the RON front end.
//!
//! A portal that runs a directive needs the engine, not the parser, validator, analysis
//! and cascade expander that turn RON into a model (most of the WebAssembly module's
//! size). `directrix compile` (or [`Workflow::to_compiled`]) writes the model once;
//! [`Workflow::from_compiled`] reads it back into the same [`Workflow`], with the same
//! [`Workflow::content_hash`], so snapshots move freely between the two. The hash
//! travels in the bytes rather than being recomputed: recomputing needs a serialiser
//! for the whole model, which the runtime module would otherwise not carry. Like the
//! hash itself it identifies a version; it is not a defence against crafted bytes.
//!
//! Layout: the magic `DRXW`, the format number (u16, little-endian), then the postcard
//! serialisation of [`Model`]. Postcard because its deserializer is small and its format
//! is specified byte by byte, so the bytes are the same natively and in WebAssembly.
//!
//! Compiled bytes are input like any other: they may be truncated, corrupted or crafted.
//! Every index is checked against its table and every invariant the engine relies on
//! (an acyclic dependency graph and agency tree, positive intervals, a working weekday,
//! a single initial state) is checked again, so bad bytes give a [`CompiledError`], never
//! a panic or an endless loop.

use crate::model::calendar::Calendar;
use crate::model::limits::Limits;
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use time::{Date, Time, UtcOffset};

/// The first bytes of every compiled workflow.
pub const COMPILED_MAGIC: &[u8; 4] = b"DRXW";

/// The format this build writes and reads. Raised whenever the serialised tables or any
/// type in them change shape: old bytes are then refused with [`CompiledError::Format`]
/// rather than misread.
pub const COMPILED_FORMAT: u16 = 2;

/// Why compiled bytes were refused.
///
/// ```
/// use directrix_core::{compiled::CompiledError, Limits, Workflow};
/// let error = Workflow::from_compiled(b"(directive: ...)", &Limits::default()).unwrap_err();
/// assert_eq!(error, CompiledError::NotCompiled);
/// assert_eq!(error.code(), "not-compiled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompiledError {
    /// The bytes do not start with [`COMPILED_MAGIC`].
    #[error(
        "these bytes are not a compiled directrix workflow (they do not start with `DRXW`); compile the RON workflow with `directrix compile`"
    )]
    NotCompiled,
    /// Another format version.
    #[error(
        "this workflow was compiled in format {found}, and this build reads format {expected}; compile it again with this version's `directrix compile`"
    )]
    Format {
        /// The format in the bytes.
        found: u16,
        /// [`COMPILED_FORMAT`].
        expected: u16,
    },
    /// The body does not decode: truncated or corrupted.
    #[error("the compiled workflow is damaged ({reason}); compile it again")]
    Damaged {
        /// What the decoder found.
        reason: String,
    },
    /// The body decodes but breaks an invariant of a valid workflow.
    #[error("the compiled workflow is inconsistent: {reason}; compile it again")]
    Inconsistent {
        /// The first broken invariant.
        reason: String,
    },
    /// It exceeds one of the host's [`Limits`].
    #[error(
        "the compiled workflow has {found} {what}, more than the `{limit}` limit of {max}; raise the limit if you trust it"
    )]
    LimitExceeded {
        /// The limit's name, as in `--limit NAME=VALUE`.
        limit: &'static str,
        /// What was counted.
        what: &'static str,
        /// How many there are.
        found: u64,
        /// The limit.
        max: u64,
    },
}

impl CompiledError {
    /// A stable kebab-case code, for programs (the WebAssembly error's `code`).
    ///
    /// ```
    /// use directrix_core::{Limits, Workflow};
    /// let error = Workflow::from_compiled(b"DRXW\x02\x00", &Limits::default()).unwrap_err();
    /// assert_eq!(error.code(), "damaged-compiled");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            CompiledError::NotCompiled => "not-compiled",
            CompiledError::Format { .. } => "compiled-format",
            CompiledError::Damaged { .. } => "damaged-compiled",
            CompiledError::Inconsistent { .. } => "inconsistent-compiled",
            CompiledError::LimitExceeded { .. } => "limit-exceeded",
        }
    }
}

/// The serialised model: the defining tables ([`Parts`]) with the calendar as plain
/// numbers. Everything derived (fan-out, indices, hash) is rebuilt on load, so it can
/// never disagree with the tables.
#[derive(Serialize, Deserialize)]
struct Model {
    content_hash: String,
    directive: Directive,
    documents: Vec<Document>,
    calendar: CalendarModel,
    agencies: Vec<Agency>,
    groups: Vec<Group>,
    machines: Vec<Machine>,
    actions: Vec<String>,
    policies: Vec<Policy>,
    tasks: Vec<Task>,
}

/// [`Calendar`] as numbers: offset seconds, weekend flags (Monday first), Julian days,
/// day end in seconds.
#[derive(Serialize, Deserialize)]
struct CalendarModel {
    offset: i32,
    weekend: [bool; 7],
    holidays: Vec<i32>,
    day_end: u32,
    working: Vec<i32>,
}

impl Workflow {
    /// The compiled form of this workflow: bytes that [`Workflow::from_compiled`] turns
    /// back into an equal workflow without parsing RON (the small WebAssembly runtime
    /// loads only these). Deterministic: the same workflow gives the same bytes on every
    /// platform. A compiled workflow cannot take follow-up documents, which need the text.
    ///
    /// ```
    /// use directrix_core::{Limits, Workflow};
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
    /// let workflow = directrix_core::load(source).unwrap().workflow;
    /// let bytes = workflow.to_compiled();
    /// assert!(bytes.starts_with(b"DRXW"));
    /// let again = Workflow::from_compiled(&bytes, &Limits::default()).unwrap();
    /// assert_eq!(again.content_hash(), workflow.content_hash());
    /// ```
    pub fn to_compiled(&self) -> Vec<u8> {
        let (offset, weekend, holidays, day_end, working) = self.calendar.canonical();
        let model = Model {
            content_hash: self.content_hash.clone(),
            directive: self.directive.clone(),
            documents: self.documents.clone(),
            calendar: CalendarModel {
                offset,
                weekend,
                holidays,
                day_end,
                working,
            },
            agencies: self.agencies.clone(),
            groups: self.groups.clone(),
            machines: self.machines.clone(),
            actions: self.actions.clone(),
            policies: self.policies.clone(),
            tasks: self.tasks.clone(),
        };
        let mut header = COMPILED_MAGIC.to_vec();
        header.extend_from_slice(&COMPILED_FORMAT.to_le_bytes());
        // Serialising fails only for sequences of unknown length, which the derived impls
        // never produce; the header alone would be refused on load as damaged.
        postcard::serialize_with_flavor(&model, Bytes(header.clone())).unwrap_or(header)
    }

    /// Loads a workflow from [`Workflow::to_compiled`] bytes, checking every index and
    /// invariant, and `limits` (`input-bytes`, `agencies`, `instances`).
    ///
    /// # Errors
    /// [`CompiledError`] for bytes that are not a compiled workflow, another format,
    /// damaged or inconsistent bytes, or a limit exceeded. Never panics, whatever the
    /// bytes.
    ///
    /// ```
    /// use directrix_core::{Limits, Workflow};
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
    /// let bytes = directrix_core::load(source).unwrap().workflow.to_compiled();
    /// let workflow = Workflow::from_compiled(&bytes, &Limits::default()).unwrap();
    /// assert_eq!(workflow.directive().number, "114-CV/HU");
    /// let truncated = Workflow::from_compiled(&bytes[..bytes.len() / 2], &Limits::default());
    /// assert_eq!(truncated.unwrap_err().code(), "damaged-compiled");
    /// ```
    pub fn from_compiled(bytes: &[u8], limits: &Limits) -> Result<Workflow, CompiledError> {
        let body = bytes
            .strip_prefix(COMPILED_MAGIC)
            .ok_or(CompiledError::NotCompiled)?;
        let (format, body) = body
            .split_first_chunk::<2>()
            .ok_or(CompiledError::Damaged {
                reason: "it ends before the format number".to_owned(),
            })?;
        let found = u16::from_le_bytes(*format);
        if found != COMPILED_FORMAT {
            return Err(CompiledError::Format {
                found,
                expected: COMPILED_FORMAT,
            });
        }
        check_limit(
            "input-bytes",
            "bytes",
            bytes.len() as u64,
            limits.input_bytes,
        )?;
        let (model, rest): (Model, &[u8]) =
            postcard::take_from_bytes(body).map_err(|e| CompiledError::Damaged {
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(CompiledError::Damaged {
                reason: format!("{} bytes follow the workflow", rest.len()),
            });
        }
        let (parts, content_hash) = check(model, limits)?;
        let workflow = Workflow::assemble(parts, content_hash, limits);
        // As loading refuses (`out-of-range`): a due rule that would give no due time.
        if let Some(&(task, _)) = crate::model::plan::dues_out_of_range(&workflow).first() {
            return Err(inconsistent(format!(
                "the due rule of task `{}` gives a due time out of the supported range",
                workflow.tasks[task.index()].id
            )));
        }
        Ok(workflow)
    }
}

/// A postcard output appending to a `Vec` (postcard's own needs its `alloc` feature,
/// which pulls extra crates into the lock file for these few lines).
struct Bytes(Vec<u8>);

impl postcard::ser_flavors::Flavor for Bytes {
    type Output = Vec<u8>;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

fn check_limit(
    limit: &'static str,
    what: &'static str,
    found: u64,
    max: u64,
) -> Result<(), CompiledError> {
    if found > max {
        return Err(CompiledError::LimitExceeded {
            limit,
            what,
            found,
            max,
        });
    }
    Ok(())
}

fn inconsistent(reason: String) -> CompiledError {
    CompiledError::Inconsistent { reason }
}

/// Bounds of one table, to check the indices into it.
struct Table {
    what: &'static str,
    len: usize,
}

impl Table {
    fn of<T>(what: &'static str, items: &[T]) -> Self {
        Self {
            what,
            len: items.len(),
        }
    }

    fn check(&self, index: usize, whose: &str) -> Result<(), CompiledError> {
        if index < self.len {
            Ok(())
        } else {
            Err(inconsistent(format!(
                "{whose} refers to {} {index}, but there are {}",
                self.what, self.len
            )))
        }
    }

    fn all<I: IntoIterator<Item = usize>>(
        &self,
        indices: I,
        whose: &str,
    ) -> Result<(), CompiledError> {
        indices.into_iter().try_for_each(|i| self.check(i, whose))
    }
}

/// Every instant the engine formats or steps from must be in the representable range
/// (`Timestamp::MIN` to `Timestamp::MAX`), as the parser makes it.
fn check_time(at: Timestamp, whose: &str) -> Result<(), CompiledError> {
    if at.in_range() {
        Ok(())
    } else {
        Err(inconsistent(format!(
            "{whose} is out of the supported years"
        )))
    }
}

fn check_positive(span: Span, whose: &str) -> Result<(), CompiledError> {
    if span.as_seconds() > 0 {
        Ok(())
    } else {
        Err(inconsistent(format!("{whose} is not positive")))
    }
}

fn check_unique<'a>(ids: impl Iterator<Item = &'a str>, what: &str) -> Result<(), CompiledError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(inconsistent(format!("two {what} have the id `{id}`")));
        }
    }
    Ok(())
}

/// Whether following `next` from every node ever revisits one: an iterative
/// three-colour depth-first search (no recursion, so no stack limit on deep chains).
fn has_cycle(len: usize, next: impl Fn(usize) -> Vec<usize>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        New,
        Open,
        Done,
    }
    let mut colour = vec![Colour::New; len];
    for root in 0..len {
        if colour[root] != Colour::New {
            continue;
        }
        let mut stack = vec![(root, next(root), 0usize)];
        colour[root] = Colour::Open;
        while let Some((node, edges, at)) = stack.last_mut() {
            if let Some(&to) = edges.get(*at) {
                *at += 1;
                match colour[to] {
                    Colour::Open => return true,
                    Colour::New => {
                        colour[to] = Colour::Open;
                        let edges = next(to);
                        stack.push((to, edges, 0));
                    }
                    Colour::Done => {}
                }
            } else {
                colour[*node] = Colour::Done;
                stack.pop();
            }
        }
    }
    false
}

fn calendar(model: CalendarModel) -> Result<Calendar, CompiledError> {
    let offset = UtcOffset::from_whole_seconds(model.offset).map_err(|_| {
        inconsistent(format!(
            "the UTC offset of {} seconds is out of range",
            model.offset
        ))
    })?;
    if model.weekend.iter().all(|&w| w) {
        return Err(inconsistent(
            "every day of the week is a weekend day".to_owned(),
        ));
    }
    let dates = |days: &[i32]| -> Result<BTreeSet<Date>, CompiledError> {
        days.iter()
            .map(|&day| {
                Date::from_julian_day(day)
                    .map_err(|_| inconsistent(format!("day {day} of the calendar is out of range")))
            })
            .collect()
    };
    let day_end = u8::try_from(model.day_end / 3600)
        .ok()
        .and_then(|h| {
            Time::from_hms(
                h,
                (model.day_end / 60 % 60) as u8,
                (model.day_end % 60) as u8,
            )
            .ok()
        })
        .ok_or_else(|| {
            inconsistent(format!(
                "the day end of {} seconds is not a time of day",
                model.day_end
            ))
        })?;
    Ok(Calendar::from_parts(
        offset,
        model.weekend,
        dates(&model.holidays)?,
        dates(&model.working)?,
        day_end,
    ))
}

/// Checks a decoded model against everything `load` guarantees of the tables.
fn check(model: Model, limits: &Limits) -> Result<(Parts, String), CompiledError> {
    let Model {
        content_hash,
        directive,
        documents,
        calendar: calendar_model,
        agencies,
        groups,
        machines,
        actions,
        policies,
        tasks,
    } = model;
    check_limit(
        "agencies",
        "agencies",
        agencies.len() as u64,
        limits.agencies,
    )?;
    let tables = Tables {
        agency: Table::of("agency", &agencies),
        group: Table::of("group", &groups),
        machine: Table::of("machine", &machines),
        action: Table::of("action", &actions),
        policy: Table::of("policy", &policies),
        task: Table::of("task", &tasks),
    };
    let agency = &tables.agency;

    check_unique(agencies.iter().map(|a| a.id.as_str()), "agencies")?;
    check_unique(groups.iter().map(|g| g.id.as_str()), "groups")?;
    check_unique(tasks.iter().map(|t| t.id.as_str()), "tasks")?;
    check_unique(actions.iter().map(String::as_str), "actions")?;

    agency.check(directive.issuer.index(), "the directive's issuer")?;
    agency.all(
        directive.addressees.iter().map(|a| a.index()),
        "an addressee",
    )?;
    agency.all(
        directive
            .copies
            .iter()
            .filter_map(|c| c.to)
            .map(|a| a.index()),
        "a copy",
    )?;
    check_time(directive.issued_at, "the issue time")?;
    for a in &agencies {
        agency.all(a.parent.map(|p| p.index()), &format!("agency `{}`", a.id))?;
    }
    if has_cycle(agencies.len(), |i| {
        agencies[i].parent.map(|p| p.index()).into_iter().collect()
    }) {
        return Err(inconsistent("the agency tree has a cycle".to_owned()));
    }
    for g in &groups {
        agency.all(
            g.members.iter().map(|m| m.index()),
            &format!("group `{}`", g.id),
        )?;
    }
    for m in &machines {
        check_machine(m, &tables)?;
    }
    for p in &policies {
        for level in &p.levels {
            if let Target::Agency(a) = level.target {
                agency.check(a.index(), &format!("policy `{}`", p.id))?;
            }
            if let Some(repeat) = level.repeat {
                check_positive(repeat, &format!("a repeat of policy `{}`", p.id))?;
            }
        }
    }
    let mut instances: u64 = 0;
    for t in &tasks {
        instances += check_task(t, &tables, &groups, &machines)?;
    }
    for t in &tasks {
        check_per_member(t, &tasks)?;
    }
    check_limit("instances", "task instances", instances, limits.instances)?;
    if has_cycle(tasks.len(), |i| {
        tasks[i].depends_on.iter().map(|d| d.index()).collect()
    }) {
        return Err(inconsistent(
            "the task dependencies have a cycle".to_owned(),
        ));
    }
    let is_hash =
        |h: &str| h.len() == 16 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_hash(&content_hash) {
        return Err(inconsistent(format!(
            "the content hash `{content_hash}` is not 16 lower-case hex digits"
        )));
    }
    let parts = Parts {
        directive,
        documents,
        calendar: calendar(calendar_model)?,
        agencies,
        groups,
        machines,
        actions,
        policies,
        tasks,
    };
    Ok((parts, content_hash))
}

/// As loading guarantees and the engine relies on (it finds a member's instance of a
/// per-member dependency at the same offset): each per-member dependency is one of the
/// task's dependencies and fans out over the same group as the task.
fn check_per_member(t: &Task, tasks: &[Task]) -> Result<(), CompiledError> {
    for dep in &t.per_member {
        let same_group =
            t.for_each.is_some() && tasks.get(dep.index()).map(|d| d.for_each) == Some(t.for_each);
        if !t.depends_on.contains(dep) || !same_group {
            return Err(inconsistent(format!(
                "task `{}` waits per member for task {}, which is not a dependency fanning out over the same group",
                t.id,
                dep.index()
            )));
        }
    }
    Ok(())
}

/// The index tables of a model, to check references against.
struct Tables {
    agency: Table,
    group: Table,
    machine: Table,
    action: Table,
    policy: Table,
    task: Table,
}

/// The checks of [`check`] on one machine.
fn check_machine(m: &Machine, tables: &Tables) -> Result<(), CompiledError> {
    let whose = format!("machine `{}`", m.id);
    let state = Table::of("state", &m.states);
    state.check(m.initial.index(), &whose)?;
    check_unique(m.states.iter().map(|s| s.id.as_str()), "states")?;
    for t in &m.transitions {
        tables.action.check(t.action.index(), &whose)?;
        state.all(t.from.iter().map(|s| s.index()), &whose)?;
        state.check(t.to.index(), &whose)?;
        // As loading refuses (`transition-from-terminal`): the engine counts a task
        // done once and keeps its finish time.
        if t.from.iter().any(|s| m.states[s.index()].is_terminal()) {
            return Err(inconsistent(format!(
                "a transition of {whose} leaves a terminal state"
            )));
        }
        for role in &t.by {
            if let Role::Agency(a) = role {
                tables.agency.check(a.index(), &whose)?;
            }
        }
        if let Some(after) = t.after {
            check_positive(after, &format!("a timed transition of {whose}"))?;
        }
    }
    Ok(())
}

/// The checks of [`check`] on one task; returns how many instances it has.
fn check_task(
    t: &Task,
    tables: &Tables,
    groups: &[Group],
    machines: &[Machine],
) -> Result<u64, CompiledError> {
    let Tables {
        agency,
        group,
        machine,
        policy,
        task,
        ..
    } = tables;
    let whose = format!("task `{}`", t.id);
    agency.all(t.leads.iter().map(|a| a.index()), &whose)?;
    agency.all(t.support.iter().map(|a| a.index()), &whose)?;
    agency.check(t.supervisor.index(), &whose)?;
    agency.all(t.parent_issuer.map(|a| a.index()), &whose)?;
    task.all(t.depends_on.iter().map(|d| d.index()), &whose)?;
    machine.check(t.machine.index(), &whose)?;
    policy.all(t.policy, &whose)?;
    let instances = match t.for_each {
        Some(g) => {
            group.check(g.index(), &whose)?;
            groups[g.index()].members.len() as u64
        }
        None if t.leads.is_empty() => {
            return Err(inconsistent(format!("{whose} has no lead")));
        }
        None => t.fan_out(groups) as u64,
    };
    let states = Table::of("state", &machines[t.machine.index()].states);
    states.all(t.level_states.iter().flatten().map(|s| s.index()), &whose)?;
    if let crate::model::workflow::Start::At(at) = t.start {
        check_time(at, &whose)?;
    }
    match t.due {
        Some(Due::At(at)) => check_time(at, &whose)?,
        Some(Due::Every { every, until, .. }) => {
            check_positive(every, &format!("the interval of {whose}"))?;
            check_time(until, &whose)?;
        }
        Some(Due::Periodic { cutoff_day, .. }) if !(1..=31).contains(&cutoff_day) => {
            return Err(inconsistent(format!(
                "{whose} cuts off on day {cutoff_day}, not a day of the month"
            )));
        }
        _ => {}
    }
    if let Some(period) = t.period {
        check_period(&period, t.due, &whose)?;
    }
    Ok(instances)
}

/// What `front/compile/period.rs` guarantees of a period in force: positive lengths, an
/// end after a fixed beginning, and the final report as the task's due rule.
fn check_period(period: &InForce, due: Option<Due>, whose: &str) -> Result<(), CompiledError> {
    check_positive(
        period.report_within,
        &format!("the report window of {whose}"),
    )?;
    if let Some(from) = period.from {
        check_time(from, whose)?;
    }
    match period.end {
        InForceEnd::Length(length) => {
            check_positive(length, &format!("the period of {whose}"))?;
        }
        InForceEnd::Until(until) => {
            check_time(until, whose)?;
            if period.from.is_some_and(|from| until <= from) {
                return Err(inconsistent(format!(
                    "the period of {whose} ends before it begins"
                )));
            }
        }
    }
    if due != Some(period.due()) {
        return Err(inconsistent(format!(
            "{whose} is in force for a period but not due at its end"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_model() -> Model {
        let w = crate::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron"))
            .expect("the seed loads")
            .workflow;
        let bytes = w.to_compiled();
        postcard::from_bytes(&bytes[6..]).expect("the seed decodes")
    }

    fn load_model(model: &Model) -> Result<Workflow, CompiledError> {
        let mut bytes = COMPILED_MAGIC.to_vec();
        bytes.extend_from_slice(&COMPILED_FORMAT.to_le_bytes());
        let bytes = postcard::serialize_with_flavor(model, Bytes(bytes)).expect("encodes");
        Workflow::from_compiled(&bytes, &Limits::default())
    }

    /// Each edit breaks one invariant; the error names it.
    #[test]
    fn every_broken_invariant_is_refused_with_its_reason() {
        assert!(
            load_model(&seed_model()).is_ok(),
            "the unedited model loads"
        );
        type Edit = fn(&mut Model);
        let cases: [(Edit, &str); 22] = [
            (
                |m| m.content_hash = "not a hash".to_owned(),
                "is not 16 lower-case hex",
            ),
            (
                |m| m.tasks[0].leads.push(AgencyId(999)),
                "refers to agency 999",
            ),
            (
                |m| m.tasks[0].depends_on = vec![TaskId(0)],
                "dependencies have a cycle",
            ),
            (
                |m| m.tasks[1].depends_on.push(TaskId(50)),
                "refers to task 50",
            ),
            (
                |m| m.tasks[1].per_member.push(TaskId(0)),
                "waits per member for task 0",
            ),
            (
                |m| m.agencies[0].parent = Some(AgencyId(0)),
                "agency tree has a cycle",
            ),
            (|m| m.calendar.weekend = [true; 7], "every day of the week"),
            (|m| m.calendar.day_end = 90_000, "not a time of day"),
            (|m| m.calendar.holidays.push(i32::MAX), "out of range"),
            (
                |m| m.machines[0].initial = StateId(99),
                "refers to state 99",
            ),
            (
                |m| m.policies[0].levels[0].repeat = Some(Span::from_seconds(0)),
                "not positive",
            ),
            (
                |m| m.tasks[1].id = m.tasks[0].id.clone(),
                "two tasks have the id",
            ),
            (
                |m| m.directive.issued_at = Timestamp::from_seconds(i64::MAX),
                "supported years",
            ),
            // Issue "Robustness", items 4 and 5: what loading refuses as out of range.
            (
                |m| {
                    m.directive.issued_at = Timestamp::from_seconds(Timestamp::MAX.as_seconds() + 1)
                },
                "supported years",
            ),
            (
                |m| {
                    let done = m.machines[0].states.iter().position(|s| s.is_terminal());
                    let done = StateId(done.expect("a terminal state") as u32);
                    m.machines[0].transitions[0].from.push(done);
                },
                "leaves a terminal state",
            ),
            (
                |m| m.tasks[0].due = Some(Due::Days(3_000_000)),
                "gives a due time out of the supported range",
            ),
            (
                |m| m.tasks[0].due = Some(Due::WorkingDays(u32::MAX)),
                "gives a due time out of the supported range",
            ),
            (
                |m| m.tasks[0].due = Some(Due::After(Span::from_seconds(i64::MAX))),
                "gives a due time out of the supported range",
            ),
            (
                |m| {
                    let t = &mut m.tasks[0];
                    t.for_each = None;
                    t.leads.clear();
                },
                "has no lead",
            ),
            // What `front/compile/period.rs` guarantees of a period in force.
            (
                |m| {
                    let period = InForce {
                        from: None,
                        end: InForceEnd::Length(Span::from_seconds(86_400)),
                        report_within: Span::from_seconds(0),
                    };
                    m.tasks[0].due = Some(period.due());
                    m.tasks[0].period = Some(period);
                },
                "the report window of task",
            ),
            (
                |m| {
                    let at = m.directive.issued_at;
                    let period = InForce {
                        from: Some(at),
                        end: InForceEnd::Until(at),
                        report_within: Span::from_seconds(3600),
                    };
                    m.tasks[0].due = Some(period.due());
                    m.tasks[0].period = Some(period);
                },
                "ends before it begins",
            ),
            (
                |m| {
                    m.tasks[0].period = Some(InForce {
                        from: None,
                        end: InForceEnd::Length(Span::from_seconds(86_400)),
                        report_within: Span::from_seconds(3600),
                    })
                },
                "not due at its end",
            ),
        ];
        for (edit, reason) in cases {
            let mut model = seed_model();
            edit(&mut model);
            let error = load_model(&model).expect_err(reason);
            assert_eq!(error.code(), "inconsistent-compiled", "{error}");
            assert!(error.to_string().contains(reason), "{error} lacks {reason}");
        }
    }

    #[test]
    fn a_cycle_is_found_however_deep() {
        let chain = |i: usize| if i + 1 < 100_000 { vec![i + 1] } else { vec![] };
        assert!(!has_cycle(100_000, chain));
        assert!(has_cycle(100_000, |i| vec![(i + 1) % 100_000]));
    }
}
