//! Acting: the checks an action passes (`authorize`, `check_args`) and a transition's
//! consequences (`apply`), from the names of a request to the effects.

use super::{
    ActArgs, ActError, Effect, EffectKind, Entered, Input, Instance, PeriodState, PeriodStatus,
    Phase, TaskState, in_range,
};
use crate::model::spec::{ExtensionStep, Guard, StateKind};
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, Role, Start, TaskRef, Workflow};
use std::sync::Arc;

impl Instance {
    pub(super) fn begin(
        &mut self,
        task: TaskRef,
        started_at: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        let now = self.state.now;
        let def = self.task_def(task);
        let due = def
            .due
            .and_then(|d| d.first(&self.workflow.calendar, started_at));
        let initial = self.machine(task).initial;
        let period = def.period.map(|period| {
            let (from, until) = period.window(started_at);
            PeriodState {
                from,
                until,
                status: PeriodStatus::Pending,
                epoch: 0,
            }
        });
        let ts = &mut self.state.tasks[task.index()];
        ts.phase = Phase::Running;
        ts.period = period;
        ts.state = initial;
        ts.started_at = Some(started_at);
        ts.entered_at = now;
        ts.due = due;
        ts.first_due = due;
        effects.push(Effect {
            at: now,
            task,
            kind: EffectKind::Started,
        });
        self.schedule_due(task);
        self.schedule_state(task);
        self.settle_period(task, effects);
    }

    /// Fires transition `index` of the task's machine, with all consequences.
    pub(super) fn apply(
        &mut self,
        task: TaskRef,
        index: usize,
        actor: Option<AgencyId>,
        until: Option<Timestamp>,
        effects: &mut Vec<Effect>,
    ) {
        let now = self.state.now;
        let transition = &self.machine(task).transitions[index];
        let (action, to, reports, stays) = (
            transition.action,
            transition.to,
            transition.reports,
            transition.stays,
        );
        let (extension, returns_report) = (transition.extension, transition.returns_report);
        let to_kind = self.machine(task).states[to.index()].kind;
        let to_submitted = self.machine(task).states[to.index()].submitted;
        let task_id = self.workflow.slots[task.index()].task;
        let ts = &mut self.state.tasks[task.index()];
        let from = ts.state;
        if !stays {
            ts.state = to;
            ts.state_epoch = ts.state_epoch.wrapping_add(1);
            ts.entered_at = now;
        }
        effects.push(Effect {
            at: now,
            task,
            kind: EffectKind::Transitioned {
                action,
                from,
                to,
                actor,
            },
        });
        if let Some(step) = extension {
            self.extension_step(task, step, until, effects);
        }
        if returns_report {
            let ts = &mut self.state.tasks[task.index()];
            ts.returns = ts.returns.saturating_add(1);
            effects.push(Effect {
                at: now,
                task,
                kind: EffectKind::Returned,
            });
        }
        if reports {
            self.next_period(task, effects);
        }
        let from_submitted = self.machine(task).states[from.index()].submitted;
        let ts = &mut self.state.tasks[task.index()];
        if to_submitted {
            // The work is handed in: the due time no longer presses the lead.
            ts.overdue = false;
        } else if from_submitted {
            // Returned for rework: still late if it was late and the due time has passed.
            ts.overdue = ts.ever_overdue && ts.due.is_some_and(|due| due <= now);
        }
        match to_kind {
            StateKind::Done => {
                ts.finished_at = Some(now);
                ts.overdue = false;
                let on_time = !ts.ever_overdue;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::Completed { on_time },
                });
                self.state.done[task_id.index()] += 1;
                self.unblock_dependents(task, effects);
            }
            StateKind::Cancelled => {
                ts.finished_at = Some(now);
                ts.overdue = false;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::Cancelled,
                });
            }
            StateKind::Initial | StateKind::Active => {}
        }
        if !stays {
            self.schedule_state(task);
        }
    }

    /// The extension step of a transition: a request records the due time asked for,
    /// an approval grants it, a refusal drops it.
    fn extension_step(
        &mut self,
        task: TaskRef,
        step: ExtensionStep,
        until: Option<Timestamp>,
        effects: &mut Vec<Effect>,
    ) {
        let now = self.state.now;
        let due_rule = self.task_def(task).due;
        let supervisor = self.task_def(task).supervisor;
        let ts = &mut self.state.tasks[task.index()];
        match step {
            ExtensionStep::Request => {
                ts.extension_requested = until;
                if let Some(until) = until {
                    effects.push(Effect {
                        at: now,
                        task,
                        kind: EffectKind::ExtensionRequested { until, supervisor },
                    });
                }
            }
            ExtensionStep::Approve => {
                if let Some(due) = ts.extension_requested.take() {
                    ts.due = Some(due);
                    ts.due_epoch = ts.due_epoch.wrapping_add(1);
                    ts.extensions = ts.extensions.saturating_add(1);
                    ts.overdue = false;
                    // Lateness is now judged against the granted time; `first_due` keeps
                    // the original for reporting. A recurring task's past periods stay late.
                    if !due_rule.is_some_and(|rule| rule.is_recurring()) {
                        ts.ever_overdue = false;
                    }
                    effects.push(Effect {
                        at: now,
                        task,
                        kind: EffectKind::ExtensionApproved { due },
                    });
                    self.schedule_due(task);
                }
            }
            ExtensionStep::Refuse => {
                ts.extension_requested = None;
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::ExtensionRefused,
                });
            }
        }
    }

    /// Moves a recurring task to its next period after a report.
    fn next_period(&mut self, task: TaskRef, effects: &mut Vec<Effect>) {
        let now = self.state.now;
        let due_rule = self.task_def(task).due;
        let ts = &mut self.state.tasks[task.index()];
        // A report hands in the current period; a recurring task moves to the next one.
        // A late report covers the periods it missed.
        if let (Some(rule), Some(current)) = (due_rule, ts.due)
            && rule.is_recurring()
        {
            ts.due = rule.next_after_at(&self.workflow.calendar, current, now);
            ts.due_epoch = ts.due_epoch.wrapping_add(1);
            ts.overdue = false;
            if let Some(due) = ts.due {
                effects.push(Effect {
                    at: now,
                    task,
                    kind: EffectKind::Rescheduled { due },
                });
            }
            self.schedule_due(task);
        }
    }

    /// After instance `done` is done (or withdrawn): starts (or reports unblocked) each instance of a
    /// dependent task that waited for it and for nothing else. A per-member dependant's
    /// instance for the same member waited for it alone of its task; any other dependant
    /// waited for every instance of it, so only the last one done frees it.
    pub(super) fn unblock_dependents(&mut self, done: TaskRef, effects: &mut Vec<Effect>) {
        let now = self.state.now;
        let workflow = Arc::clone(&self.workflow);
        let done_task = workflow.slots[done.index()].task;
        let all_done =
            self.state.done[done_task.index()] as usize == workflow.task(done_task).instances.len();
        for &dependent in workflow.dependents(done_task) {
            let def = workflow.task(dependent);
            let freed = if def.per_member.contains(&done_task) {
                // The same offset, read the other way round (see `Workflow::same_member`).
                let offset = done.0 - workflow.task(done_task).instances.start;
                let one = def.instances.start + offset;
                one..one + 1
            } else if all_done {
                def.instances.clone()
            } else {
                continue;
            };
            for i in freed {
                let id = TaskRef(i);
                if !self.dependencies_done(id) {
                    continue;
                }
                match self.state.tasks[i as usize].phase {
                    Phase::Blocked => {
                        effects.push(Effect {
                            at: now,
                            task: id,
                            kind: EffectKind::Unblocked,
                        });
                        self.begin(id, now, effects);
                    }
                    Phase::Running => effects.push(Effect {
                        at: now,
                        task: id,
                        kind: EffectKind::Unblocked,
                    }),
                    Phase::Waiting => {}
                }
            }
        }
    }

    /// `actor` performs `action` on `task` at `at`.
    ///
    /// Call [`Instance::advance`]`(at)` first when timers may be due: timers due at or
    /// before `at` fire before the action.
    ///
    /// # Errors
    /// Any [`ActError`]; the instance is then unchanged.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at)?;
    /// let police = workflow.agency_id("police").unwrap();
    /// let task = workflow.task_ref("health_readiness").unwrap();
    /// let acknowledge = workflow.action_id("acknowledge").unwrap();
    /// let error = instance.act(at, police, task, acknowledge, None).unwrap_err();
    /// assert_eq!(error.code(), "not_allowed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn act(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        note: Option<&str>,
    ) -> Result<Vec<Effect>, ActError> {
        let mut effects = Vec::new();
        self.act_into(at, actor, task, action, note, &mut effects)?;
        Ok(effects)
    }

    /// [`Instance::act`] appending the effects to `effects`, so a host that acts in a
    /// loop reuses one buffer instead of allocating per event.
    ///
    /// # Errors
    /// As [`Instance::act`]; `effects` is then untouched.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at)?;
    /// let (health, task, acknowledge) = workflow.resolve_act("health", "health_readiness", "acknowledge")?;
    /// let mut effects = Vec::new();
    /// instance.act_into(at, health, task, acknowledge, None, &mut effects)?;
    /// assert_eq!(effects.len(), 1);
    /// # Ok::<(), directrix_core::ActError>(())
    /// ```
    pub fn act_into(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        note: Option<&str>,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ActError> {
        let args = ActArgs { note, until: None };
        self.act_with(at, actor, task, action, args, effects)
    }

    /// [`Instance::act_into`] with every argument an action may take: the note and, for
    /// an extension request, the due time asked for.
    ///
    /// # Errors
    /// As [`Instance::act`], and [`ActError::InvalidExtension`] when `until` is missing
    /// for a request, given for anything else, or not later than the current due time;
    /// [`ActError::NoteRequired`] when a `WithNote` action has no note.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// use directrix_core::{instance::ActArgs, Span};
    /// let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow.clone(), at)?;
    /// let (health, task, request) = workflow.resolve_act("health", "health_readiness", "request_extension")?;
    /// let due = instance.task_state(task).unwrap().due.unwrap();
    /// let args = ActArgs { note: Some("waiting for test kits"), until: Some(due.saturating_add(Span::parse("2d")?)) };
    /// let mut effects = Vec::new();
    /// instance.act_with(at, health, task, request, args, &mut effects)?;
    /// assert!(effects.iter().any(|e| e.kind.name() == "extension_requested"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn act_with(
        &mut self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
        args: ActArgs<'_>,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ActError> {
        let index = self.authorize(at, actor, task, action)?;
        self.check_args(task, index, args)?;
        // No live timer is due by `at` (checked); drop the stale ones as `advance(at)`
        // would, so none can come back to life later with a time before `now`.
        while self
            .state
            .timers
            .first()
            .is_some_and(|timer| timer.at <= at)
        {
            self.state.timers.pop_first();
        }
        self.state.now = at;
        self.apply(task, index, Some(actor), args.until, effects);
        self.prune_stale_front();
        self.state.journal.push(Input::Act {
            at,
            actor,
            task,
            action,
            note: args.note.map(str::to_owned),
            until: args.until,
        });
        Ok(())
    }

    /// The checks on an action's arguments, after [`Instance::authorize`] passed.
    fn check_args(&self, task: TaskRef, index: usize, args: ActArgs<'_>) -> Result<(), ActError> {
        let transition = &self.machine(task).transitions[index];
        let name = || self.workflow.slots[task.index()].name.clone();
        let action = || self.workflow.action_name(transition.action).to_owned();
        let invalid = |reason: String| ActError::InvalidExtension {
            task: name(),
            action: action(),
            reason,
        };
        if let Some(until) = args.until {
            in_range(until)?;
        }
        if transition.guards.contains(&Guard::WithNote)
            && args.note.is_none_or(|note| note.trim().is_empty())
        {
            return Err(ActError::NoteRequired {
                task: name(),
                action: action(),
            });
        }
        match (transition.extension, args.until) {
            (Some(ExtensionStep::Request), None) => {
                Err(invalid("give the due time asked for (`until`)".to_owned()))
            }
            (Some(ExtensionStep::Request), Some(until)) => {
                match self.state.tasks[task.index()].due {
                    Some(due) if until <= due => Err(invalid(format!(
                        "the due time asked for, {}, is not after the current due time {}",
                        self.workflow.format_time(until),
                        self.workflow.format_time(due)
                    ))),
                    _ => Ok(()),
                }
            }
            (_, Some(_)) => Err(invalid(
                "`until` goes only with an extension request".to_owned(),
            )),
            (_, None) => Ok(()),
        }
    }

    /// Every check `act` makes (the time, the task and action, the role that may fire the
    /// transition, its guards), without changing anything; returns the transition index.
    pub(super) fn authorize(
        &self,
        at: Timestamp,
        actor: AgencyId,
        task: TaskRef,
        action: ActionId,
    ) -> Result<usize, ActError> {
        let workflow = &self.workflow;
        in_range(at)?;
        if at < self.state.now {
            return Err(ActError::TimeWentBackwards {
                at,
                now: self.state.now,
            });
        }
        if let Some(next) = self.next_timer().filter(|t| t.at <= at) {
            return Err(ActError::TimersPending { at, next: next.at });
        }
        let Some(ts) = self.state.tasks.get(task.index()) else {
            return Err(ActError::UnknownTask {
                name: format!("#{}", task.0),
                hint: None,
            });
        };
        if actor.index() >= workflow.agencies.len() {
            return Err(ActError::UnknownAgency {
                name: format!("#{}", actor.0),
                hint: None,
            });
        }
        let name = || workflow.slots[task.index()].name.clone();
        let action_name = || self.action_label(action);
        let def = self.task_def(task);
        match ts.phase {
            Phase::Waiting => {
                let starts_at = match def.start {
                    Start::At(t) => t,
                    _ => self.state.now,
                };
                return Err(ActError::NotStarted {
                    task: name(),
                    starts_at,
                });
            }
            Phase::Blocked => {
                return Err(ActError::Blocked {
                    task: name(),
                    waiting_for: self.pending_dependencies(task),
                });
            }
            Phase::Running => {}
        }
        let machine = self.machine(task);
        let Some(index) = machine
            .transitions
            .iter()
            .position(|t| t.action == action && t.from.contains(&ts.state))
        else {
            return Err(self.no_transition(task, action));
        };
        let transition = &machine.transitions[index];
        if !transition
            .by
            .iter()
            .any(|&role| self.holds(role, actor, task))
        {
            return Err(ActError::NotAllowed {
                actor: workflow.agencies[actor.index()].id.clone(),
                task: name(),
                action: action_name(),
                allowed: transition
                    .by
                    .iter()
                    .map(|&r| self.describe_role(r, task))
                    .collect(),
            });
        }
        for guard in &transition.guards {
            match guard {
                Guard::DependenciesDone if !self.dependencies_done(task) => {
                    return Err(ActError::Blocked {
                        task: name(),
                        waiting_for: self.pending_dependencies(task),
                    });
                }
                Guard::BeforeDue => {
                    if let Some(due) = ts.due.filter(|&due| at > due) {
                        return Err(ActError::PastDue {
                            task: name(),
                            action: action_name(),
                            due,
                        });
                    }
                }
                _ => {}
            }
        }
        if transition.reports
            && let Some(period) = ts.period.filter(|p| p.status != PeriodStatus::Ended)
        {
            return Err(ActError::InForce {
                task: name(),
                action: action_name(),
                until: period.until,
            });
        }
        let refused = extension_refusal(transition.extension, ts);
        if let Some(reason) = refused {
            return Err(ActError::InvalidExtension {
                task: name(),
                action: action_name(),
                reason: reason.to_owned(),
            });
        }
        Ok(index)
    }

    /// Why no transition of the task's machine fires `action` from its current state.
    fn no_transition(&self, task: TaskRef, action: ActionId) -> ActError {
        let workflow = &self.workflow;
        let name = || workflow.slots[task.index()].name.clone();
        let action_name = || self.action_label(action);
        let machine = self.machine(task);
        let state = self.state.tasks[task.index()].state;
        if !machine.transitions.iter().any(|t| t.action == action) {
            let names = machine
                .transitions
                .iter()
                .map(|t| workflow.action_name(t.action));
            return ActError::UnknownAction {
                task: name(),
                action: action_name(),
                hint: crate::model::diagnostic::suggestion(&action_name(), names),
            };
        }
        let mut possible: Vec<String> = machine
            .transitions
            .iter()
            .filter(|t| t.from.contains(&state) && t.after.is_none())
            .map(|t| workflow.action_name(t.action).to_owned())
            .collect();
        possible.dedup();
        let ts = &self.state.tasks[task.index()];
        let leads = self.leads(task);
        let joint_leads = if leads.len() > 1 {
            leads
                .iter()
                .map(|a| workflow.agencies[a.index()].id.clone())
                .collect()
        } else {
            Vec::new()
        };
        ActError::InvalidTransition {
            task: name(),
            state: machine.states[state.index()].id.clone(),
            action: action_name(),
            possible,
            entered: Box::new(Entered {
                by: self
                    .entered_by(task)
                    .map(|a| workflow.agencies[a.index()].id.clone()),
                at: ts.entered_at,
                joint_leads,
            }),
        }
    }

    /// The agency whose action moved the instance into its current state: the journal's
    /// last action on it at the time it entered the state whose transition goes there
    /// (`None`: it started there, or a timed transition or follow-up moved it). Read
    /// only to explain a refusal, so the scan back through the journal costs nothing
    /// on the accepted path.
    fn entered_by(&self, task: TaskRef) -> Option<AgencyId> {
        let ts = &self.state.tasks[task.index()];
        let machine = self.machine(task);
        let moves_here = |action: ActionId| {
            machine
                .transitions
                .iter()
                .any(|t| t.action == action && !t.stays && t.to == ts.state && t.after.is_none())
        };
        // The journal is in time order: inputs before the state was entered end the scan.
        for input in self.state.journal.iter().rev() {
            let at = match input {
                Input::Start { at }
                | Input::Act { at, .. }
                | Input::Migrate { at, .. }
                | Input::FollowUp { at, .. } => *at,
                Input::Advance { to } | Input::Resume { to, .. } => *to,
            };
            if at < ts.entered_at {
                break;
            }
            if let Input::Act {
                actor,
                task: acted,
                action,
                ..
            } = input
                && *acted == task
                && moves_here(*action)
            {
                return Some(*actor);
            }
        }
        None
    }

    /// An action's id, or `#n` for an index the workflow does not have.
    fn action_label(&self, action: ActionId) -> String {
        self.workflow
            .actions
            .get(action.index())
            .cloned()
            .unwrap_or_else(|| format!("#{}", action.0))
    }

    fn describe_role(&self, role: Role, task: TaskRef) -> String {
        let ids = |agencies: &[AgencyId]| {
            agencies
                .iter()
                .map(|a| self.workflow.agencies[a.index()].id.as_str())
                .collect::<Vec<_>>()
                .join("/")
        };
        let def = self.task_def(task);
        match role {
            Role::Lead => format!("lead `{}`", ids(self.leads(task))),
            Role::Support => format!("support `{}`", ids(&def.support)),
            Role::Supervisor => format!("supervisor `{}`", ids(&[def.supervisor])),
            Role::Issuer => format!("issuer `{}`", ids(&[self.workflow.directive.issuer])),
            Role::Agency(a) => format!("`{}`", ids(&[a])),
            Role::System => "the system (timed)".to_owned(),
        }
    }

    /// [`Instance::act`] with names: `actor` and `action` ids, and `task` as `task`,
    /// `task[member]`, or, for a `for_each` task, the bare task id when the actor is a
    /// member.
    ///
    /// # Errors
    /// [`ActError::UnknownAgency`], [`ActError::UnknownTask`] or
    /// [`ActError::UnknownAction`] (with a suggestion) for names that do not resolve, then
    /// anything [`Instance::act`] returns.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (mut instance, _) = directrix_core::Instance::start(workflow, at)?;
    /// let error = instance.act_by_name(at, "heath", "health_readiness", "acknowledge", None).unwrap_err();
    /// assert_eq!(error.to_string(), "unknown agency `heath` (did you mean `health`?)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn act_by_name(
        &mut self,
        at: Timestamp,
        actor: &str,
        task: &str,
        action: &str,
        note: Option<&str>,
    ) -> Result<Vec<Effect>, ActError> {
        let (actor, task, action) = self.workflow.resolve_act(actor, task, action)?;
        self.act(at, actor, task, action, note)
    }
}

/// Why an extension step cannot be taken in the task's current state, if it cannot.
fn extension_refusal(extension: Option<ExtensionStep>, ts: &TaskState) -> Option<&'static str> {
    match extension {
        Some(ExtensionStep::Request) if ts.due.is_none() => {
            Some("the task has no due time to extend")
        }
        Some(ExtensionStep::Request) if ts.extension_requested.is_some() => {
            Some("a request is already pending; the supervisor decides on it first")
        }
        Some(ExtensionStep::Approve | ExtensionStep::Refuse)
            if ts.extension_requested.is_none() =>
        {
            Some("no extension request is pending")
        }
        _ => None,
    }
}

impl Workflow {
    /// Resolves the names of an action request.
    ///
    /// # Errors
    /// The matching `Unknown*` [`ActError`], with a suggestion when one is close.
    pub fn resolve_act(
        &self,
        actor: &str,
        task: &str,
        action: &str,
    ) -> Result<(AgencyId, TaskRef, ActionId), ActError> {
        let actor_id = self
            .agency_id(actor)
            .ok_or_else(|| ActError::UnknownAgency {
                name: actor.to_owned(),
                hint: crate::model::diagnostic::suggestion(
                    actor,
                    self.agencies.iter().map(|a| a.id.as_str()),
                ),
            })?;
        let task_id = self.resolve_task(task, actor_id).ok_or_else(|| ActError::UnknownTask {
            name: task.to_owned(),
            hint: match self.task_id(task) {
                // The task exists but is fanned out and the actor is not one of its members.
                Some(_) => Some(format!(
                    "`{actor}` is not a member of this task's group; name the instance as `{task}[member]`"
                )),
                None => crate::model::diagnostic::suggestion(task, self.tasks.iter().map(|t| t.id.as_str())),
            },
        })?;
        let action_id = self
            .action_id(action)
            .ok_or_else(|| ActError::UnknownAction {
                task: self.slots[task_id.index()].name.clone(),
                action: action.to_owned(),
                hint: crate::model::diagnostic::suggestion(
                    action,
                    self.actions.iter().map(String::as_str),
                ),
            })?;
        Ok((actor_id, task_id, action_id))
    }

    /// Finds a task instance by `task`, `task[member]`, or the bare id of a task that
    /// fans out (`for_each`, or `lead_mode: Each`) with `actor` as the member.
    pub fn resolve_task(&self, task: &str, actor: AgencyId) -> Option<TaskRef> {
        if let Some(id) = self.task_ref(task) {
            return Some(id);
        }
        let def = self.task(self.task_id(task)?);
        def.instances
            .clone()
            .find(|&i| self.slots[i as usize].member == Some(actor))
            .map(TaskRef)
    }
}
