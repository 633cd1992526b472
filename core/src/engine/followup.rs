//! Follow-up documents: a later letter ("tiếp theo Công văn số …") applied to a running
//! instance. It adds tasks and policies, changes due rules, cancels tasks and tightens
//! escalation.
//!
//! The amended workflow is the running one's spec with the changes, compiled with the same
//! [`LoadOptions`](crate::LoadOptions) ([`Workflow::amend`]); the state is carried over by
//! [`map_state`] as for a migration, then the cancellations and due changes act on the
//! running task instances. The journal keeps the document's text (`Input::FollowUp`), so
//! replay applies it again.

use super::{ActError, Effect, EffectKind, Input, Instance, MigrateError, Phase, map_state};
use crate::front::load::{Reporter, compile, compile_due, parse_ron, parse_time_at};
use crate::model::diagnostic::{Code, Diagnostic, Severity, suggestion, summary};
use crate::model::spec::{FORMAT_VERSION, FollowUpSpec, StateKind};
use crate::model::time::Timestamp;
use crate::model::workflow::{Document, Origin, TaskRef, Workflow};
use serde::Serialize;
use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use super::migrate::MigrationReport;

/// Why a follow-up document was not applied. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowUpError {
    /// The document has problems, or does not fit the running instance: every one,
    /// located in the document's text (an unknown task, a `further_to` that is not this
    /// directive, a task already finished, a new due time already passed, and the
    /// ordinary validation of the added tasks).
    #[error("{}", summary(.diagnostics))]
    Invalid {
        /// Every diagnostic; at least one is an error.
        diagnostics: Vec<Diagnostic>,
    },
    /// The time given is refused as an action's would be (before [`Instance::now`], or
    /// timers pending by then: `advance` first).
    #[error("{0}")]
    Time(ActError),
    /// The state cannot be carried onto the amended workflow.
    #[error("{0}")]
    Migrate(MigrateError),
}

impl FollowUpError {
    /// The located diagnostics, for [`FollowUpError::Invalid`]; empty otherwise.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            FollowUpError::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }

    /// A stable snake_case code: `invalid_follow_up`, or the time error's code, or
    /// `migration_refused`.
    pub fn code(&self) -> &'static str {
        match self {
            FollowUpError::Invalid { .. } => "invalid_follow_up",
            FollowUpError::Time(error) => error.code(),
            FollowUpError::Migrate(_) => "migration_refused",
        }
    }
}

fn invalid(diagnostics: Vec<Diagnostic>) -> FollowUpError {
    FollowUpError::Invalid { diagnostics }
}

/// A workflow amended by a follow-up document ([`Workflow::amend`]).
#[derive(Debug, Clone)]
pub struct Amended {
    /// The amended workflow: another version of the same directive, whose documents end
    /// with the follow-up.
    pub workflow: Workflow,
    /// The document as parsed.
    pub spec: FollowUpSpec,
    /// Warnings about what the document adds, located in its text.
    pub warnings: Vec<Diagnostic>,
}

/// What a follow-up did to a running instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpReport {
    /// The follow-up's number.
    pub number: String,
    /// The document it follows.
    pub further_to: String,
    /// The carry-over onto the amended workflow: added task instances, timers rebuilt.
    pub migration: MigrationReport,
    /// Running task instances whose due time moved.
    pub due_changed: Vec<DueChange>,
    /// Task instances cancelled.
    pub cancelled: Vec<String>,
    /// Task instances (not finished) now under a stricter policy.
    pub tightened: Vec<String>,
    /// Warnings about what the document adds, located in its text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// A running task instance's due time moved by a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueChange {
    /// The task instance.
    pub task: String,
    /// Its due time before, RFC 3339.
    pub from: Option<String>,
    /// Its due time now, RFC 3339.
    pub to: Option<String>,
}

/// The top-level fields of a follow-up file, to bound each list's text.
const FIELDS: [&str; 14] = [
    "format",
    "number",
    "kind",
    "kind_gloss",
    "issuer",
    "issued_at",
    "further_to",
    "subject",
    "subject_gloss",
    "add_tasks",
    "add_policies",
    "change_due",
    "cancel",
    "tighten",
];

/// The text of the top-level list `field`: from its key to the next top-level field.
fn section_of(r: &Reporter<'_>, field: &str, len: usize) -> Option<Range<usize>> {
    let start = r.locator.top_field(field)?;
    let end = FIELDS
        .iter()
        .filter_map(|f| r.locator.top_field(f))
        .filter(|&at| at > start)
        .min()
        .unwrap_or(len);
    Some(start..end)
}

/// The spans of a list's items keyed by `task: "id"`.
fn items(
    r: &Reporter<'_>,
    field: &str,
    len: usize,
    ids: impl Iterator<Item = String>,
) -> Vec<Option<Range<usize>>> {
    let ids: Vec<String> = ids.collect();
    r.spans_within(
        &section_of(r, field, len),
        "task",
        ids.iter().map(String::as_str),
    )
}

/// The checked document and where its items are, for the state checks that follow.
struct Amendment {
    amended: Amended,
    change_spans: Vec<Option<Range<usize>>>,
    cancel_spans: Vec<Option<Range<usize>>>,
    issued_at: Timestamp,
}

impl Workflow {
    /// This workflow amended by a follow-up document (a
    /// [`FollowUpSpec`](crate::model::spec::FollowUpSpec) text): its spec with the added
    /// tasks and policies, the new due rules and policies, cancelled tasks no longer
    /// depended on, compiled with the options it was loaded with. Hosts use it to
    /// rebuild the workflow a snapshot taken after [`Instance::apply_follow_up`] needs:
    /// amend the loaded workflow with each applied text, in order.
    ///
    /// # Errors
    /// [`FollowUpError::Invalid`] with every problem, located in `text`.
    ///
    /// ```
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
    /// let workflow = directrix_core::load(source)?.workflow;
    /// let text = include_str!("../../../workflows/kien-xuong-114-cv-hu.120.followup.ron");
    /// let amended = workflow.amend(text)?.workflow;
    /// assert!(amended.task_id("checkpoints").is_some());
    /// assert_ne!(amended.content_hash(), workflow.content_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn amend(&self, text: &str) -> Result<Amended, FollowUpError> {
        self.amendment(text).map(|a| a.amended)
    }

    fn amendment(&self, text: &str) -> Result<Amendment, FollowUpError> {
        let Some(origin) = self.origin.as_deref() else {
            return Err(invalid(vec![Diagnostic {
                severity: Severity::Error,
                code: Code::FurtherToMismatch,
                message: "this workflow was not loaded from text, so it cannot be amended"
                    .to_owned(),
                span: None,
                location: None,
                hint: Some("load it with `load` or `load_with`".to_owned()),
                origin: None,
            }]));
        };
        let len = text.len();
        let mut spec: FollowUpSpec =
            parse_ron(text, &origin.options.limits).map_err(|d| invalid(vec![d]))?;
        crate::front::nfc::follow_up(&mut spec);
        let mut r = Reporter::new(text);
        let field = |r: &Reporter<'_>, name: &str| r.locator.field_string_in(name, 0..len);
        if spec.format != FORMAT_VERSION {
            let at = r.locator.top_field("format").map(|s| s..s + 6);
            r.error(
                Code::UnsupportedFormat,
                at,
                format!(
                    "follow-up format {} is not supported (this directrix reads format {FORMAT_VERSION})",
                    spec.format
                ),
            );
        }
        let offset = self.calendar.offset();
        let issued_span = field(&r, "issued_at");
        let issued_at = parse_time_at(&mut r, &spec.issued_at, offset, issued_span);
        let issuer = self.agency_id(&spec.issuer);
        match issuer {
            None => {
                let hint = suggestion(&spec.issuer, self.agencies.iter().map(|a| a.id.as_str()));
                r.error_hint(
                    Code::UnknownAgency,
                    field(&r, "issuer"),
                    format!("unknown agency `{}`", spec.issuer),
                    hint,
                );
            }
            // A letter from another body is not a follow-up ("tiếp theo") of this one.
            Some(issuer) if issuer != self.directive.issuer => {
                let own = &self.agency(self.directive.issuer).id;
                r.error_hint(
                    Code::IssuerMismatch,
                    field(&r, "issuer"),
                    format!(
                        "the follow-up is issued by `{}`, but directive `{}` was issued by `{own}`",
                        spec.issuer, self.directive.number
                    ),
                    Some(format!(
                        "a follow-up continues a letter of the same body: `issuer: \"{own}\"`"
                    )),
                );
            }
            Some(_) => {}
        }
        // The chain so far: the directive, then the follow-ups in the order applied.
        let chain: Vec<&str> = std::iter::once(self.directive.number.as_str())
            .chain(origin.follow_ups.iter().map(|d| d.number.as_str()))
            .collect();
        if !chain.contains(&spec.further_to.as_str()) {
            r.error_hint(
                Code::FurtherToMismatch,
                field(&r, "further_to"),
                format!(
                    "the follow-up is further to `{}`, but this instance runs `{}`",
                    spec.further_to,
                    chain.join("`, `")
                ),
                Some(format!(
                    "a follow-up applies to the directive it follows: `further_to: \"{}\"`{}",
                    self.directive.number,
                    match chain.len() {
                        1 => String::new(),
                        _ => " or a follow-up already applied".to_owned(),
                    }
                )),
            );
        }
        if chain.contains(&spec.number.as_str()) {
            r.error_hint(
                Code::DuplicateId,
                field(&r, "number"),
                format!(
                    "document `{}` is already part of this instance",
                    spec.number
                ),
                Some("a follow-up is applied once; give a new document its own number".to_owned()),
            );
        }
        // Added ids must be new: a clash would silently replace running work.
        let add_tasks = section_of(&r, "add_tasks", len);
        let task_spans = r.spans_within(
            &add_tasks,
            "id",
            spec.add_tasks.iter().map(|t| t.id.as_str()),
        );
        for (task, span) in spec.add_tasks.iter().zip(&task_spans) {
            if self.task_index.contains_key(&task.id) {
                let at = r.at(span, &task.id);
                r.error_hint(
                    Code::DuplicateId,
                    at,
                    format!("task `{}` already exists in the running directive", task.id),
                    Some("give the new task its own id, or use `change_due` / `tighten` to amend the existing one".to_owned()),
                );
            }
        }
        let add_policies = section_of(&r, "add_policies", len);
        let policy_spans = r.spans_within(
            &add_policies,
            "id",
            spec.add_policies.iter().map(|p| p.id.as_str()),
        );
        for (policy, span) in spec.add_policies.iter().zip(&policy_spans) {
            if origin.spec.policies.iter().any(|p| p.id == policy.id) {
                let at = r.at(span, &policy.id);
                r.error_hint(
                    Code::DuplicateId,
                    at,
                    format!(
                        "policy `{}` already exists in the running directive",
                        policy.id
                    ),
                    Some("give the new policy its own id".to_owned()),
                );
            }
        }
        let existing = |id: &str| origin.spec.tasks.iter().any(|t| t.id == id);
        let unknown_task = |r: &mut Reporter<'_>, id: &str, span: &Option<Range<usize>>| {
            let hint = suggestion(id, origin.spec.tasks.iter().map(|t| t.id.as_str())).or(Some(
                "a follow-up amends the tasks of the running directive; new ones go in `add_tasks`"
                    .to_owned(),
            ));
            let at = r.at(span, id);
            r.error_hint(
                Code::UnknownTask,
                at,
                format!("unknown task `{id}` in the running directive"),
                hint,
            );
        };
        let change_spans = items(
            &r,
            "change_due",
            len,
            spec.change_due.iter().map(|c| c.task.clone()),
        );
        for (change, span) in spec.change_due.iter().zip(&change_spans) {
            if !existing(&change.task) {
                unknown_task(&mut r, &change.task, span);
            }
            // The rule's own texts (times, durations), located in this document.
            compile_due(&mut r, &change.due, span, offset);
        }
        let cancel_spans = items(
            &r,
            "cancel",
            len,
            spec.cancel.iter().map(|c| c.task.clone()),
        );
        for (cancel, span) in spec.cancel.iter().zip(&cancel_spans) {
            if !existing(&cancel.task) {
                unknown_task(&mut r, &cancel.task, span);
            }
        }
        let tighten_spans = items(
            &r,
            "tighten",
            len,
            spec.tighten.iter().map(|t| t.task.clone()),
        );
        for (tighten, span) in spec.tighten.iter().zip(&tighten_spans) {
            if !existing(&tighten.task) {
                unknown_task(&mut r, &tighten.task, span);
            }
            let policies = || {
                origin
                    .spec
                    .policies
                    .iter()
                    .chain(&spec.add_policies)
                    .map(|p| p.id.as_str())
            };
            if !policies().any(|p| p == tighten.policy) {
                let hint = suggestion(&tighten.policy, policies())
                    .or(Some("define it in `add_policies`".to_owned()));
                let at = r.at(span, &tighten.policy);
                r.error_hint(
                    Code::UnknownPolicy,
                    at,
                    format!("unknown policy `{}`", tighten.policy),
                    hint,
                );
            }
        }
        if r.has_errors() {
            return Err(invalid(r.finish()));
        }

        let mut amended = origin.spec.clone();
        amended.tasks.extend(spec.add_tasks.iter().cloned());
        amended.policies.extend(spec.add_policies.iter().cloned());
        let cancelled: BTreeSet<&str> = spec.cancel.iter().map(|c| c.task.as_str()).collect();
        for task in &mut amended.tasks {
            if let Some(change) = spec.change_due.iter().rev().find(|c| c.task == task.id) {
                task.due = Some(change.due.clone());
            }
            if let Some(tighten) = spec.tighten.iter().rev().find(|t| t.task == task.id) {
                task.policy = Some(tighten.policy.clone());
            }
            // A withdrawn item is no longer awaited by what depended on it.
            task.depends_on.retain(|d| !cancelled.contains(d.as_str()));
        }
        // Compile against this document's text with the two list keys renamed in place
        // (same length, so every span and line:column holds): the added tasks and
        // policies are then found where the loader looks for `tasks` and `policies`,
        // and their diagnostics point into this document.
        let mut shadow = text.to_owned();
        for (from, to) in [("add_tasks", "    tasks"), ("add_policies", "    policies")] {
            if let Some(at) = r.locator.top_field(from) {
                shadow.replace_range(at..at + from.len(), to);
            }
        }
        let within = |d: &Diagnostic| {
            d.span.as_ref().is_some_and(|s| {
                [&add_tasks, &add_policies]
                    .iter()
                    .any(|section| section.as_ref().is_some_and(|x| x.contains(&s.start)))
            })
        };
        let loaded = compile(&amended, &shadow, &origin.options).map_err(|e| {
            // The running parts compiled before: every error is this document's. One
            // found on a running task whose due rule this document changes (a due time
            // out of range) has no place in this text: it is located at the change.
            let mut others = Vec::new();
            for d in e
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error() || within(d))
            {
                let change = spec
                    .change_due
                    .iter()
                    .zip(&change_spans)
                    .rev()
                    .find(|(c, _)| {
                        d.code == Code::OutOfRange
                            && d.message.contains(&format!("task `{}`", c.task))
                    });
                match change {
                    Some((change, span)) if d.span.is_none() => {
                        let at = r.at(span, &change.task);
                        r.error_hint(d.code, at, d.message, d.hint);
                    }
                    _ => others.push(d),
                }
            }
            let mut diagnostics = r.finish();
            diagnostics.extend(others);
            invalid(diagnostics)
        })?;
        let warnings: Vec<Diagnostic> = loaded.warnings.into_iter().filter(within).collect();
        let mut workflow = loaded.workflow;
        let issued_at = issued_at.unwrap_or(self.directive.issued_at);
        let mut follow_ups = origin.follow_ups.clone();
        follow_ups.push(Document {
            number: spec.number.clone(),
            kind: spec.kind.clone(),
            issuer: issuer.map_or_else(|| spec.issuer.clone(), |a| self.agency(a).name.clone()),
            issued_on: self.format_time(issued_at)[..10].to_owned(),
            subject: Some(spec.subject.clone()),
            gloss: spec.subject_gloss.clone(),
            implements: vec![spec.further_to.clone()],
        });
        workflow.documents.extend(follow_ups.iter().cloned());
        workflow.origin = Some(Arc::new(Origin {
            spec: amended,
            options: origin.options.clone(),
            follow_ups,
        }));
        Ok(Amendment {
            amended: Amended {
                workflow,
                spec,
                warnings,
            },
            change_spans,
            cancel_spans,
            issued_at,
        })
    }
}

impl Instance {
    /// Applies a follow-up document (a [`FollowUpSpec`](crate::model::spec::FollowUpSpec)
    /// text) at `at`: the instance moves to the amended workflow ([`Workflow::amend`]),
    /// task instances mapped by id. Then:
    /// - added tasks start by their start rule, counted from `at` (at the next
    ///   [`Instance::advance`]);
    /// - running instances of a task with a new due rule get their due time recomputed
    ///   from their start (`due_changed`; `first_due` keeps the original for reporting,
    ///   and lateness is judged against the new time, as for an extension);
    /// - unfinished instances of a cancelled task move to their machine's `Cancelled`
    ///   state (`cancelled`), and tasks that depended on it stop waiting for it;
    /// - a tightened task's escalation timers follow its new policy; levels it already
    ///   reached do not fire again.
    ///
    /// Journaled as `Input::FollowUp` with the text; [`Instance::replay`] applies it again.
    ///
    /// # Errors
    /// [`FollowUpError::Invalid`] with located diagnostics (including a cancelled or
    /// re-timed task whose instances are all finished, `task-finished`; a new due time
    /// before `at`, `due-before-follow-up`; a document applied before its issue time,
    /// `follow-up-before-issue`); [`FollowUpError::Time`] for `at` before
    /// [`Instance::now`] or timers pending by `at`. Nothing is changed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use directrix_core::{load, Instance, Timestamp};
    /// let workflow = Arc::new(load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron"))?.workflow);
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at);
    /// let at = Timestamp::parse("2021-05-12 08:00", workflow.calendar().offset())?;
    /// instance.advance(at)?;
    /// let text = include_str!("../../../workflows/kien-xuong-114-cv-hu.120.followup.ron");
    /// let (effects, report) = instance.apply_follow_up(at, text)?;
    /// assert_eq!(report.cancelled, ["contingency_plan"]);
    /// assert!(effects.iter().any(|e| e.kind.name() == "due_changed"));
    /// assert_eq!(Instance::replay(workflow, instance.journal())?, instance);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_follow_up(
        &mut self,
        at: Timestamp,
        text: &str,
    ) -> Result<(Vec<Effect>, FollowUpReport), FollowUpError> {
        super::in_range(at).map_err(FollowUpError::Time)?;
        if at < self.state.now {
            return Err(FollowUpError::Time(ActError::TimeWentBackwards {
                at,
                now: self.state.now,
            }));
        }
        if let Some(next) = self.next_timer().filter(|t| t.at <= at) {
            return Err(FollowUpError::Time(ActError::TimersPending {
                at,
                next: next.at,
            }));
        }
        let Amendment {
            amended,
            change_spans,
            cancel_spans,
            issued_at,
        } = self.workflow.amendment(text)?;
        let Amended {
            workflow,
            spec,
            warnings,
        } = amended;
        let new = Arc::new(workflow);
        let old = &self.workflow;
        // Work on a copy: a refused document leaves the instance as it was.
        let mut state = self.state.clone();
        // As `act` does: no live timer is due by `at`; the stale ones go.
        while state.timers.first().is_some_and(|timer| timer.at <= at) {
            state.timers.pop_first();
        }
        state.now = at;
        let (mut state, migration) =
            map_state(old, &state, &new).map_err(FollowUpError::Migrate)?;
        let mut r = Reporter::new(text);
        if at < issued_at {
            let span = r.locator.field_string_in("issued_at", 0..text.len());
            r.error(
                Code::FollowUpBeforeIssue,
                span,
                format!(
                    "the follow-up is issued at {}, after the time it is applied at, {}",
                    new.format_time(issued_at),
                    new.format_time(at)
                ),
            );
        }
        let finished = |i: TaskRef, phase: Phase, state_id: usize| {
            phase == Phase::Running
                && matches!(
                    new.machine_of(i).states[state_id].kind,
                    StateKind::Done | StateKind::Cancelled
                )
        };
        let instances = |task: &str| {
            new.task_id(task)
                .map(|t| new.tasks[t.index()].instances.clone())
                .unwrap_or(0..0)
                .map(TaskRef)
        };
        let mut effects = Vec::new();
        let mut due_changed = Vec::new();
        let show = |t: Option<Timestamp>| t.map(|t| new.format_time(t));
        for (change, span) in spec.change_due.iter().zip(&change_spans) {
            let mut open = false;
            for i in instances(&change.task) {
                let ts = &state.tasks[i.index()];
                if finished(i, ts.phase, ts.state.index()) {
                    continue;
                }
                open = true;
                if ts.phase != Phase::Running {
                    // It starts later, under the new rule.
                    continue;
                }
                let name = &new.slots[i.index()].name;
                let before = old.task_ref(name).map(|o| &self.state.tasks[o.index()]);
                let ts = &mut state.tasks[i.index()];
                if let Some(due) = ts.due.filter(|&due| due < at) {
                    let at_due = r.at(span, &change.task);
                    r.error_hint(
                        Code::DueBeforeFollowUp,
                        at_due,
                        format!(
                            "the new due time of `{name}` would be {}, before the follow-up is applied at {}",
                            new.format_time(due),
                            new.format_time(at)
                        ),
                        Some("a follow-up can only set due times still ahead; give an absolute `At(...)` time after it".to_owned()),
                    );
                    continue;
                }
                let Some(before) = before else { continue };
                // The original due time stays for reporting; lateness is judged anew.
                ts.first_due = before.first_due;
                if ts.due != before.due {
                    if !new.tasks[new.slots[i.index()].task.index()]
                        .due
                        .is_some_and(|rule| rule.is_recurring())
                    {
                        ts.ever_overdue = false;
                    }
                    due_changed.push(DueChange {
                        task: name.clone(),
                        from: show(before.due),
                        to: show(ts.due),
                    });
                    if let Some(due) = ts.due {
                        effects.push(Effect {
                            at,
                            task: i,
                            kind: EffectKind::DueChanged { due },
                        });
                    }
                }
            }
            if !open {
                finished_error(&mut r, span, &change.task, "change its due time");
            }
        }
        let mut cancelled = Vec::new();
        for (cancel, span) in spec.cancel.iter().zip(&cancel_spans) {
            let Some(task) = new.task_id(&cancel.task) else {
                continue;
            };
            let machine = &new.machines[new.tasks[task.index()].machine.index()];
            let Some(to) = machine
                .states
                .iter()
                .position(|s| s.kind == StateKind::Cancelled)
            else {
                let at_task = r.at(span, &cancel.task);
                r.error_hint(
                    Code::NoCancelledState,
                    at_task,
                    format!(
                        "task `{}` runs machine `{}`, which has no `Cancelled` state",
                        cancel.task, machine.id
                    ),
                    Some("add a state with `kind: Cancelled` to the machine".to_owned()),
                );
                continue;
            };
            let mut open = false;
            for i in instances(&cancel.task) {
                let ts = &mut state.tasks[i.index()];
                if finished(i, ts.phase, ts.state.index()) {
                    continue;
                }
                open = true;
                ts.phase = Phase::Running;
                ts.state = crate::model::workflow::StateId(to as u32);
                // New epochs: every pending timer of the instance goes stale.
                ts.state_epoch = ts.state_epoch.wrapping_add(1);
                ts.due_epoch = ts.due_epoch.wrapping_add(1);
                ts.entered_at = at;
                ts.finished_at = Some(at);
                ts.overdue = false;
                ts.extension_requested = None;
                cancelled.push(new.slots[i.index()].name.clone());
                effects.push(Effect {
                    at,
                    task: i,
                    kind: EffectKind::Cancelled,
                });
            }
            if !open {
                finished_error(&mut r, span, &cancel.task, "cancel it");
            }
        }
        if r.has_errors() {
            return Err(invalid(r.finish()));
        }
        let mut tightened = Vec::new();
        for tighten in &spec.tighten {
            for i in instances(&tighten.task) {
                let ts = &state.tasks[i.index()];
                if !finished(i, ts.phase, ts.state.index()) {
                    tightened.push(new.slots[i.index()].name.clone());
                }
            }
        }
        state.journal.push(Input::FollowUp {
            at,
            text: text.to_owned(),
        });
        self.workflow = new;
        self.state = state;
        self.prune_stale_front();
        Ok((
            effects,
            FollowUpReport {
                number: spec.number,
                further_to: spec.further_to,
                migration,
                due_changed,
                cancelled,
                tightened,
                warnings,
            },
        ))
    }
}

fn finished_error(r: &mut Reporter<'_>, span: &Option<Range<usize>>, task: &str, what: &str) {
    let at = r.at(span, task);
    r.error_hint(
        Code::TaskFinished,
        at,
        format!("task `{task}` is already finished: too late to {what}"),
        Some("remove the line; a finished task stays as it was reported".to_owned()),
    );
}
