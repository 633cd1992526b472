//! Glue: the public entry points whose work spans layers, and the only module outside the
//! layers that names several of them.
//!
//! A follow-up document is text, so the front end checks it and compiles the amended
//! workflow ([`front::followup::amendment`]); applying that [`Amendment`] to a running
//! instance is the engine's (`engine/followup.rs`). The engine does not import the front
//! end (a host that runs compiled workflows links no parser), so it takes the amending as
//! a function, and this module passes the front end's: `Workflow::amend`,
//! `Instance::apply_follow_up`, `Instance::replay`/`replay_versions` and
//! `Instance::apply_input`/`apply_input_versions` (a journal keeps follow-ups as text) are defined
//! here. `core/tests/tidy.rs` checks that no other file
//! outside the layers names one.

use crate::engine::{Effect, FollowUpError, FollowUpReport, Input, Instance, ReplayError};
use crate::front;
use crate::model::amendment::{Amended, Amendment};
use crate::model::time::Timestamp;
use crate::model::workflow::Workflow;
use std::sync::Arc;

/// The front end's amendment, its diagnostics as the engine's error: the amending function
/// the engine's follow-ups and replay take.
/// A child document's text (a workflow file, with a `directive`) is attached as a child
/// ([`Instance::attach_child`]); both are journaled as `follow_up` inputs, so replay takes
/// this one function.
fn amend(workflow: &Workflow, text: &str) -> Result<Amendment, FollowUpError> {
    if front::child::is_child(text) {
        return attach(workflow, text);
    }
    front::followup::amendment(workflow, text)
        .map_err(|diagnostics| FollowUpError::Invalid { diagnostics })
}

/// The front end's attachment of a child document, as the engine's error.
fn attach(workflow: &Workflow, text: &str) -> Result<Amendment, FollowUpError> {
    if !front::child::is_child(text) {
        return Err(FollowUpError::Invalid {
            diagnostics: vec![crate::model::diagnostic::Diagnostic {
                severity: crate::model::diagnostic::Severity::Error,
                code: crate::model::diagnostic::Code::UnknownParent,
                message: "this is not a child document: it has no `directive`".to_owned(),
                span: None,
                location: None,
                hint: Some(
                    "a child is a directive file whose `implements` names the running directive; apply a follow-up with `apply_follow_up`"
                        .to_owned(),
                ),
                origin: None,
            }],
        });
    }
    front::child::amendment(workflow, text)
        .map_err(|diagnostics| FollowUpError::Invalid { diagnostics })
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
    /// let source = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
    /// let workflow = directrix_core::load(source)?.workflow;
    /// let text = include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron");
    /// let amended = workflow.amend(text)?.workflow;
    /// assert!(amended.task_id("checkpoints").is_some());
    /// assert_ne!(amended.content_hash(), workflow.content_hash());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn amend(&self, text: &str) -> Result<Amended, FollowUpError> {
        amend(self, text).map(|a| a.amended)
    }
}

impl Instance {
    /// Applies a follow-up document (a [`FollowUpSpec`](crate::model::spec::FollowUpSpec)
    /// text) at `at`: the instance moves to the amended workflow ([`Workflow::amend`]),
    /// task instances mapped by id. Then:
    /// - added tasks start by their start rule, counted from `at` (at the next
    ///   [`Instance::advance`]);
    /// - running instances of a task with a new due rule get their due time recomputed
    ///   from their start, except a `ClockTime`, which counts from the follow-up's issue
    ///   day (`due_changed`; `first_due` keeps the original for reporting,
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
    /// let workflow = Arc::new(load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))?.workflow);
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let at = Timestamp::parse("2021-05-12 08:00", workflow.calendar().offset())?;
    /// instance.advance(at)?;
    /// let text = include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron");
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
        self.apply_follow_up_with(at, text, &amend)
    }

    /// Attaches a child document at `at`: an implementing directive (a workflow file whose
    /// `implements` names the running directive, or a child attached before) issued
    /// later by another agency, e.g. a ministry's guidance under the Prime Minister's
    /// directive. Its agencies, groups, policies and tasks join the running workflow
    /// (appended: running indices stay); its tasks start by their start rules counted
    /// from `at`, are supervised by the child's issuer unless they name a supervisor,
    /// and a level targeting `ParentIssuer` reaches the running directive's issuer
    /// (`Issuer` in the child's own policies is the child's issuer). The documents
    /// graph shows it ([`Workflow::documents`]), [`Workflow::children`] lists it and
    /// [`Instance::grid`] rolls its tasks up in a row of its own.
    ///
    /// Journaled as `Input::FollowUp` with the child's text (the text tells a child
    /// from a follow-up), so [`Instance::replay`], snapshots and hosts handle it as a
    /// follow-up; [`Workflow::amend`] takes a child's text too.
    ///
    /// # Errors
    /// [`FollowUpError::Invalid`] with located diagnostics: the child's own problems (as
    /// `validate` reports them), `unknown-parent` (it implements nothing),
    /// `implements-mismatch` (it implements another document), `child-before-parent`,
    /// `duplicate-id` (a task id the running directive has, a number already attached),
    /// `follow-up-before-issue` (attached before its issue time); a follow-up's text is
    /// refused (`unknown-parent`: it is not a directive). [`FollowUpError::Time`] as
    /// for [`Instance::apply_follow_up`]. Nothing is changed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use directrix_core::{load_with, Instance, LoadOptions, Timestamp};
    /// let options = LoadOptions::default().with_calendar(
    ///     "vn-public-holidays",
    ///     include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    /// );
    /// let source = include_str!("../../workflows/ct-16-ttg-2020.ron");
    /// let workflow = Arc::new(load_with(source, &options)?.workflow);
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let at = Timestamp::parse("2020-04-03 09:00", workflow.calendar().offset())?;
    /// instance.advance(at)?;
    /// let text = include_str!("../../workflows/ct-16-ttg-2020.moh.child.ron");
    /// let (_, report) = instance.attach_child(at, text)?;
    /// assert_eq!(report.issuer, "moh");
    /// assert_eq!(instance.workflow().children()[0].implements, "16/CT-TTg");
    /// assert_eq!(Instance::replay(workflow, instance.journal())?, instance);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach_child(
        &mut self,
        at: Timestamp,
        text: &str,
    ) -> Result<(Vec<Effect>, FollowUpReport), FollowUpError> {
        self.apply_follow_up_with(at, text, &attach)
    }

    /// Rebuilds an instance by replaying a journal from its `start`.
    ///
    /// # Errors
    /// [`ReplayError`] when the journal does not begin with `start` or an input fails.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// instance.advance(instance.now().saturating_add(directrix_core::Span::parse("3d").unwrap())).unwrap();
    /// let replayed = directrix_core::Instance::replay(workflow, instance.journal()).unwrap();
    /// assert_eq!(replayed, instance);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay(workflow: Arc<Workflow>, journal: &[Input]) -> Result<Self, ReplayError> {
        Self::replay_versions(&[workflow], journal)
    }

    /// [`Instance::replay`] across migrations: `versions` holds every version of the
    /// workflow the journal went through, the one it started with first. Each `migrate`
    /// input moves the replay to the version with its `to` hash, mapping the state
    /// exactly as [`Instance::migrate`] did, so the result equals the live instance.
    ///
    /// # Errors
    /// [`ReplayError`] when the journal does not begin with `start`, an input fails, a
    /// `migrate` names a version not in `versions`, or a `resume` skips other timers than
    /// it recorded.
    pub fn replay_versions(
        versions: &[Arc<Workflow>],
        journal: &[Input],
    ) -> Result<Self, ReplayError> {
        Self::replay_with(versions, journal, &amend)
    }

    /// Applies one journaled input exactly as [`Instance::replay`] does at that step:
    /// how a host brings an instance restored from
    /// [`Instance::snapshot_without_journal`] up to date, one input of the journal tail
    /// at a time. Returns the input's effects (the ones it caused when first applied).
    ///
    /// # Errors
    /// [`ReplayError`] as replay reports it at this input's position
    /// ([`Instance::journal_len`]): a `start` ([`ReplayError::NoStart`]), an input that
    /// fails, a follow-up that no longer applies, a `migrate` (use
    /// [`Instance::apply_input_versions`]), a `resume` that skips other timers than it
    /// recorded. After an error, drop the instance (it may be half changed) and restore
    /// it again.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{Input, Instance, Span};
    /// let (mut instance, _) = Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let to = instance.now().saturating_add(Span::parse("1d")?);
    /// let effects = instance.apply_input(&Input::Advance { to })?;
    /// assert_eq!(instance.now(), to);
    /// assert!(instance.apply_input(&Input::Start { at: to }).is_err());
    /// # let _ = effects;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_input(&mut self, input: &Input) -> Result<Vec<Effect>, ReplayError> {
        self.apply_input_versions(&[], input)
    }

    /// [`Instance::apply_input`] where the input may be a `migrate`: `versions` holds the
    /// workflow versions it may move to, as for [`Instance::replay_versions`].
    ///
    /// # Errors
    /// As [`Instance::apply_input`]; a `migrate` to a version not in `versions` is
    /// [`ReplayError::UnknownVersion`].
    pub fn apply_input_versions(
        &mut self,
        versions: &[Arc<Workflow>],
        input: &Input,
    ) -> Result<Vec<Effect>, ReplayError> {
        let mut effects = Vec::new();
        self.apply_at(self.journal_len(), versions, input, &amend, &mut effects)?;
        Ok(effects)
    }
}
