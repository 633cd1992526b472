//! Read-only questions about an instance: status, overdue tasks, inboxes, the critical
//! path.

// Named in the docs only.
#[cfg(doc)]
use super::ActArgs;
use super::{Instance, PeriodState, Phase};
use crate::model::plan::critical_chain;
use crate::model::spec::{ExtensionStep, Guard, StateKind};
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, Start, StateId, TaskId, TaskRef};
use serde::Serialize;

impl Instance {
    /// Status of every task instance, in instance order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// # let at = workflow.directive().issued_at;
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), at)?;
    /// assert_eq!(instance.status().len(), workflow.task_slots().len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Vec<TaskStatus> {
        (0..self.state.tasks.len())
            .map(|i| {
                let id = TaskRef(i as u32);
                let ts = &self.state.tasks[i];
                TaskStatus {
                    task: id,
                    phase: ts.phase,
                    state: ts.state,
                    leads: self.leads(id).to_vec(),
                    due: ts.due,
                    first_due: ts.first_due,
                    overdue: ts.overdue,
                    level: ts.level,
                    finished_at: ts.finished_at,
                    done: ts.phase == Phase::Running
                        && self.current_state(id).kind == StateKind::Done,
                    on_time: (ts.phase == Phase::Running
                        && self.current_state(id).kind == StateKind::Done)
                        .then_some(!ts.ever_overdue),
                    period: ts.period,
                }
            })
            .collect()
    }

    /// The task instances whose current due time has passed without the work handed in.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// assert!(instance.overdue().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn overdue(&self) -> Vec<TaskRef> {
        (0..self.state.tasks.len())
            .filter(|&i| self.state.tasks[i].overdue)
            .map(|i| TaskRef(i as u32))
            .collect()
    }

    /// What `agency` may do now: every (task, action) it holds a role for whose guards
    /// pass, in instance order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// let health = workflow.agency_id("health").unwrap();
    /// let inbox = instance.inbox(health);
    /// assert!(inbox.iter().any(|item| workflow.action_name(item.action) == "acknowledge"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inbox(&self, agency: AgencyId) -> Vec<InboxItem> {
        let mut items = Vec::new();
        if agency.index() >= self.workflow.agencies.len() {
            return items;
        }
        for i in 0..self.state.tasks.len() {
            let id = TaskRef(i as u32);
            let ts = &self.state.tasks[i];
            if ts.phase != Phase::Running {
                continue;
            }
            for (index, transition) in self.machine(id).transitions.iter().enumerate() {
                if transition.after.is_some() || !transition.from.contains(&ts.state) {
                    continue;
                }
                if self.authorize(self.state.now, agency, id, transition.action) == Ok(index) {
                    items.push(InboxItem {
                        task: id,
                        action: transition.action,
                        to: transition.to,
                        needs_note: transition.guards.contains(&Guard::WithNote),
                        needs_until: transition.extension == Some(ExtensionStep::Request),
                    });
                }
            }
        }
        items
    }

    /// The chain of tasks that ends last, using actual finish times where known and
    /// `max(due, now)` otherwise (for a task not started yet, its due time counted from
    /// when it can start; never before its dependencies end); first task first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # let workflow = Arc::new(directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow);
    /// let (instance, _) = directrix_core::Instance::start(workflow.clone(), workflow.directive().issued_at)?;
    /// assert!(!instance.critical_path().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn critical_path(&self) -> Vec<TaskId> {
        let workflow = &self.workflow;
        let plan = crate::model::plan::plan(workflow);
        let now = self.state.now;
        // In dependency order, so an unfinished task never ends before its dependencies;
        // per instance, since a per-member dependency holds back one member's instance.
        let mut ends = vec![now; workflow.tasks.len()];
        let mut instance_ends = vec![now; workflow.slots.len()];
        for task in crate::model::plan::topological(workflow) {
            let def = &workflow.tasks[task.index()];
            for i in def.instances.clone() {
                let dependencies_end = def
                    .depends_on
                    .iter()
                    .map(|&d| {
                        if def.per_member.contains(&d) {
                            instance_ends[workflow.same_member(TaskRef(i), d).index()]
                        } else {
                            ends[d.index()]
                        }
                    })
                    .max();
                let ts = &self.state.tasks[i as usize];
                instance_ends[i as usize] = match ts.finished_at {
                    Some(finished) => finished,
                    None => {
                        let expected = match ts.phase {
                            Phase::Running => ts.due.or(plan[task.index()].due),
                            // Not started yet: due by its rule from when it can start.
                            Phase::Waiting | Phase::Blocked => {
                                let start = match def.start {
                                    Start::At(t) => t.max(now),
                                    _ => now,
                                }
                                .max(dependencies_end.unwrap_or(now));
                                def.due
                                    .and_then(|d| d.last(&workflow.calendar, start))
                                    .or(Some(start))
                            }
                        };
                        expected
                            .unwrap_or(now)
                            .max(now)
                            .max(dependencies_end.unwrap_or(now))
                    }
                };
            }
            ends[task.index()] = def
                .instances
                .clone()
                .map(|i| instance_ends[i as usize])
                .max()
                .unwrap_or(now);
        }
        critical_chain(workflow, |task| ends[task.index()])
    }
}

/// The status of one task instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskStatus {
    /// Which instance.
    pub task: TaskRef,
    /// Life phase.
    pub phase: Phase,
    /// Machine state.
    pub state: StateId,
    /// Current leads.
    pub leads: Vec<AgencyId>,
    /// Current due time.
    pub due: Option<Timestamp>,
    /// Original due time.
    pub first_due: Option<Timestamp>,
    /// Past due with the work not handed in.
    pub overdue: bool,
    /// Highest escalation level fired.
    pub level: u8,
    /// When it reached a terminal state.
    pub finished_at: Option<Timestamp>,
    /// In a `Done` state.
    pub done: bool,
    /// For done tasks: whether no due time was missed.
    pub on_time: Option<bool>,
    /// For a measure in force, its period.
    pub period: Option<PeriodState>,
}

/// One thing an agency may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    /// On which task instance.
    pub task: TaskRef,
    /// The action.
    pub action: ActionId,
    /// The state it leads to.
    pub to: StateId,
    /// The action needs a note ([`ActArgs::note`]): a reason, what to redo.
    pub needs_note: bool,
    /// The action needs a due time ([`ActArgs::until`]): an extension request.
    pub needs_until: bool,
}
