//! Static deadline analysis: from each task's effort, the dependency graph and the
//! calendar, when every task can be done at the earliest and which chain of tasks sets
//! that time; and the findings a validator reports (deadlines no pace can meet, levels
//! that never fire, targets off the reporting line, addressees without a task).
//!
//! Pure functions over a compiled [`Workflow`]: `load` turns the findings into located
//! warnings (it alone knows the source spans), `inspect` shows the times.

use crate::model::diagnostic::Code;
use crate::model::plan::topological;
use crate::model::time::{Span, Timestamp};
use crate::model::workflow::{AgencyId, Due, Effort, Role, Target, Task, TaskId, Workflow};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// When one task can be done at the earliest, if every agency works at the expected pace
/// and starts the moment it can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskAnalysis {
    /// When work can begin: its start rule met and every dependency complete.
    pub earliest_start: Timestamp,
    /// When its report (for a recurring due, the first) can be in at the expected pace.
    pub earliest_report: Timestamp,
    /// The same at the minimum pace (`minimum`, else `expected`, along the whole path).
    pub fastest_report: Timestamp,
    /// When it can be complete: its report, or for a recurring due the last occurrence
    /// if that is later. Dependants begin from here.
    pub earliest_completion: Timestamp,
    /// The due time the report must meet when everything runs at the expected pace (for
    /// a task that starts after its dependencies, its due moves with its start); for a
    /// recurring due, the first occurrence. `None` without a due rule.
    pub due: Option<Timestamp>,
    /// The dependency chain that sets `earliest_completion`, first task first, ending
    /// with this task (at each step, the dependency completing last; ties: lowest index).
    pub critical_path: Vec<TaskId>,
}

impl TaskAnalysis {
    /// Whether the due time cannot be met even at the expected pace.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let analysis = workflow.analysis();
    /// assert!(analysis.tasks.iter().all(|t| t.earliest_completion >= t.earliest_start));
    /// ```
    pub fn misses_due(&self) -> bool {
        self.due.is_some_and(|due| self.earliest_report > due)
    }
}

/// The analysis of a whole workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// One entry per task, in task order.
    pub tasks: Vec<TaskAnalysis>,
}

/// One forward pass over the dependency graph at one pace.
#[derive(Clone, Copy)]
struct Pass {
    start: Timestamp,
    report: Timestamp,
    completion: Timestamp,
    due: Option<Timestamp>,
    /// The dependency that sets `start`, if one does.
    predecessor: Option<TaskId>,
}

fn pass(workflow: &Workflow, effort: impl Fn(&Task) -> Option<Effort>) -> Vec<Pass> {
    let calendar = &workflow.calendar;
    let issued = workflow.directive.issued_at;
    let mut out: Vec<Option<Pass>> = vec![None; workflow.tasks.len()];
    for id in topological(workflow) {
        let task = &workflow.tasks[id.index()];
        // The dependency completing last, ties to the lowest index.
        let last = task
            .depends_on
            .iter()
            .filter_map(|d| out[d.index()].map(|p| (p.completion, *d)))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let anchor = task.start.resolve(issued, last.map(|(end, _)| end));
        let (start, predecessor) = match last {
            Some((end, dep)) if end >= anchor => (end, Some(dep)),
            _ => (anchor, None),
        };
        // A measure in force is reported once its period ends: the report's work (its
        // effort) begins there.
        let begins = task.period.map_or(start, |p| p.window(anchor).1.max(start));
        let report = effort(task).map_or(begins, |e| e.finish(calendar, begins));
        let completion = match task.due {
            Some(due @ Due::Every { .. }) => {
                due.last(calendar, anchor).map_or(report, |l| l.max(report))
            }
            _ => report,
        };
        out[id.index()] = Some(Pass {
            start,
            report,
            completion,
            due: task.due.and_then(|d| d.first(calendar, anchor)),
            predecessor,
        });
    }
    // Every task is in the topological order: validation rejects cycles.
    out.into_iter()
        .map(|p| {
            p.unwrap_or(Pass {
                start: issued,
                report: issued,
                completion: issued,
                due: None,
                predecessor: None,
            })
        })
        .collect()
}

/// Analyses a workflow. Tasks without `expected` count as taking no time, so the analysis
/// still carries their dependencies' ends forward.
pub(crate) fn analyse(workflow: &Workflow) -> Analysis {
    let expected = pass(workflow, |t| t.expected);
    let fastest = pass(workflow, |t| t.minimum.or(t.expected));
    let tasks = expected
        .iter()
        .zip(&fastest)
        .enumerate()
        .map(|(i, (e, f))| {
            let mut critical_path = vec![TaskId(i as u32)];
            let mut at = e.predecessor;
            // Bounded by the task count: the graph is acyclic.
            while let Some(p) = at.filter(|_| critical_path.len() <= expected.len()) {
                critical_path.push(p);
                at = expected[p.index()].predecessor;
            }
            critical_path.reverse();
            TaskAnalysis {
                earliest_start: e.start,
                earliest_report: e.report,
                fastest_report: f.report,
                earliest_completion: e.completion,
                due: e.due,
                critical_path,
            }
        })
        .collect();
    Analysis { tasks }
}

impl Workflow {
    /// The static deadline analysis: per task, its earliest start, report and completion
    /// at the expected pace, and the chain of tasks that sets them.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let analysis = workflow.analysis();
    /// let mobilise = workflow.task_id("mobilise").unwrap();
    /// let path = &analysis.tasks[mobilise.index()].critical_path;
    /// assert_eq!(path.last(), Some(&mobilise));
    /// ```
    pub fn analysis(&self) -> Analysis {
        analyse(self)
    }

    /// Describes an effort, e.g. `2 working days` or `8h`.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.describe_effort(directrix_core::workflow::Effort::WorkingDays(1)), "1 working day");
    /// ```
    pub fn describe_effort(&self, effort: Effort) -> String {
        match effort {
            Effort::WorkingDays(1) => "1 working day".to_owned(),
            Effort::WorkingDays(n) => format!("{n} working days"),
            Effort::Elapsed(span) => span.to_string(),
        }
    }
}

/// Where a finding points; `load` resolves it to a source span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// The task's `due` field.
    TaskDue(TaskId),
    /// A quoted value inside the task (a dependency, the supervisor, the policy).
    InTask(TaskId, String),
    /// A level of a policy.
    Level { policy: usize, level: usize },
    /// The addressee entry (agency or group) through which the agency is addressed.
    Addressee(AgencyId),
    /// A field of the task (`expected`, `minimum`).
    TaskField(TaskId, &'static str),
}

/// One warning of the analysis, before it is located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) code: Code,
    pub(crate) place: Place,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// Every warning the analysis finds, in a fixed order (by kind, then task).
pub(crate) fn findings(workflow: &Workflow, analysis: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    schedule(workflow, analysis, &mut out);
    levels(workflow, &mut out);
    reporting_lines(workflow, &mut out);
    addressees(workflow, &mut out);
    out
}

/// Due rules and efforts whose result lies outside the representable range
/// ([`Timestamp::MIN`] to [`Timestamp::MAX`]) on the planned schedule (dues) or at the
/// earliest start (efforts): errors (`out-of-range`), since at run time such a deadline
/// would silently be none and such an effort would count as no time.
pub(crate) fn out_of_range(workflow: &Workflow, analysis: &Analysis) -> Vec<Finding> {
    let offset = workflow.calendar.offset();
    let range = format!(
        "the supported range ends at {}",
        Timestamp::MAX.to_rfc3339(offset)
    );
    let mut out = Vec::new();
    for (id, start) in crate::model::plan::dues_out_of_range(workflow) {
        let task = &workflow.tasks[id.index()];
        out.push(Finding {
                code: Code::OutOfRange,
                place: Place::TaskDue(id),
                message: format!(
                    "the due rule of task `{}`, started at {}, gives a due time past the end of the supported range: the task would have no deadline; {range}",
                    task.id,
                    start.to_rfc3339(offset)
                ),
                hint: Some(
                    "give a shorter due rule, or an absolute `At(...)` time before the end of year 9999"
                        .to_owned(),
                ),
            });
    }
    for (i, task) in workflow.tasks.iter().enumerate() {
        let id = TaskId(i as u32);
        let begin = analysis.tasks[i].earliest_start;
        for (field, effort) in [("expected", task.expected), ("minimum", task.minimum)] {
            let Some(effort) = effort else { continue };
            if effort.finish_checked(&workflow.calendar, begin).is_none() {
                out.push(Finding {
                    code: Code::OutOfRange,
                    place: Place::TaskField(id, field),
                    message: format!(
                        "the {field} effort of task `{}`, begun at {}, ends past the end of the supported range: it would count as no time; {range}",
                        task.id,
                        begin.to_rfc3339(offset)
                    ),
                    hint: Some("give the work a realistic length".to_owned()),
                });
            }
        }
    }
    out
}

fn ids(workflow: &Workflow, path: &[TaskId]) -> String {
    path.iter()
        .map(|t| format!("`{}`", workflow.tasks[t.index()].id))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The total effort along a path, e.g. `4 working days`, `2 working days and 36h`.
fn total_effort(workflow: &Workflow, path: &[TaskId]) -> Option<String> {
    let (mut days, mut elapsed) = (0u64, 0i64);
    for t in path {
        match workflow.tasks[t.index()].expected {
            Some(Effort::WorkingDays(n)) => days += u64::from(n),
            Some(Effort::Elapsed(span)) => elapsed = elapsed.saturating_add(span.as_seconds()),
            None => {}
        }
    }
    let days = match days {
        0 => None,
        1 => Some("1 working day".to_owned()),
        n => Some(format!("{n} working days")),
    };
    let elapsed = (elapsed > 0).then(|| Span::from_seconds(elapsed).to_string());
    match (days, elapsed) {
        (Some(d), Some(e)) => Some(format!("{d} and {e}")),
        (d, e) => d.or(e),
    }
}

/// Due times against the planned schedule (`due-before-start`, `due-before-dependency`)
/// and against the earliest completion (`deadline-unreachable`).
fn schedule(workflow: &Workflow, analysis: &Analysis, out: &mut Vec<Finding>) {
    let offset = workflow.calendar.offset();
    let plan = crate::model::plan::plan(workflow);
    for (i, task) in workflow.tasks.iter().enumerate() {
        let id = TaskId(i as u32);
        let Some(due) = plan[i].due else { continue };
        let before_start = due < plan[i].start;
        if before_start {
            out.push(Finding {
                code: Code::DueBeforeStart,
                place: Place::TaskDue(id),
                message: format!(
                    "task `{}` is due at {}, before it can start at {}",
                    task.id,
                    due.to_rfc3339(offset),
                    plan[i].start.to_rfc3339(offset)
                ),
                hint: Some(
                    "move the due time after the start, or start the task earlier".to_owned(),
                ),
            });
        }
        for dep in &task.depends_on {
            if let Some(dep_due) = plan[dep.index()].due
                && due < dep_due
            {
                let dep_id = &workflow.tasks[dep.index()].id;
                out.push(Finding {
                    code: Code::DueBeforeDependency,
                    place: Place::InTask(id, dep_id.clone()),
                    message: format!(
                        "task `{}` is due at {}, before its dependency `{dep_id}` is due at {}",
                        task.id,
                        due.to_rfc3339(offset),
                        dep_due.to_rfc3339(offset)
                    ),
                    hint: Some(format!(
                        "give it a due time at or after {}, or make `{dep_id}` due earlier",
                        dep_due.to_rfc3339(offset)
                    )),
                });
            }
        }
        let a = &analysis.tasks[i];
        // A due before the start is reported above; the pace has nothing to add.
        let Some(due) = a.due.filter(|_| a.misses_due() && !before_start) else {
            continue;
        };
        let short = |t: Timestamp| t.to_short(offset);
        let path = &a.critical_path;
        let first = path[0];
        let subject = if path.len() == 1 {
            "it".to_owned()
        } else {
            format!("its critical path {}", ids(workflow, path))
        };
        let needs = match total_effort(workflow, path) {
            Some(effort) => format!(
                "{subject} needs at least {effort} from {}",
                short(analysis.tasks[first.index()].earliest_start)
            ),
            None => format!("{subject} cannot begin before {}", short(a.earliest_start)),
        };
        let pace = if a.fastest_report > due {
            format!("; even at the minimum pace, {}", short(a.fastest_report))
        } else {
            format!(
                "; only at the minimum pace ({}) would it be in time",
                short(a.fastest_report)
            )
        };
        out.push(Finding {
            code: Code::DeadlineUnreachable,
            place: Place::TaskDue(id),
            message: format!(
                "task `{}` is due {} but {needs}: it can be reported {} at the earliest{pace}",
                task.id,
                short(due),
                short(a.earliest_report),
            ),
            hint: Some(format!(
                "give it a due time at or after {}, shorten `expected` on the path, or start `{}` earlier",
                short(a.earliest_report),
                workflow.tasks[first.index()].id
            )),
        });
    }
}

fn level_list(numbers: &[usize]) -> String {
    let numbers: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
    match numbers.as_slice() {
        [one] => format!("level {one}"),
        [init @ .., last] => format!("levels {} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Escalation levels that can never fire, or only once the task is over.
fn levels(workflow: &Workflow, out: &mut Vec<Finding>) {
    // A state-anchored level depends on the policy, the level and the machine only:
    // report it once, at the level, naming the first task it concerns.
    let mut seen: BTreeSet<(usize, usize, usize)> = BTreeSet::new();
    for (i, task) in workflow.tasks.iter().enumerate() {
        let Some(p) = task.policy else { continue };
        let policy = &workflow.policies[p];
        if task.due.is_none() {
            let numbers: Vec<usize> = (0..policy.levels.len())
                .filter(|&n| policy.levels[n].entered.is_none())
                .map(|n| n + 1)
                .collect();
            if !numbers.is_empty() {
                let n = numbers.len();
                out.push(Finding {
                    code: Code::LevelNeverFires,
                    place: Place::InTask(TaskId(i as u32), policy.id.clone()),
                    message: format!(
                        "task `{}` has no due time, so {} of policy `{}` (counted from the due time) can never fire",
                        task.id,
                        level_list(&numbers),
                        policy.id
                    ),
                    hint: Some(format!(
                        "give the task a `due`, or a policy whose level{} count from a state (`from: Entered(\"...\")`)",
                        if n == 1 { "" } else { "s" }
                    )),
                });
            }
        }
        let machine = &workflow.machines[task.machine.index()];
        for (n, level) in policy.levels.iter().enumerate() {
            let Some(state_id) = task.level_states.get(n).copied().flatten() else {
                continue;
            };
            if !seen.insert((p, n, task.machine.index())) {
                continue;
            }
            let state = &machine.states[state_id.index()];
            let place = Place::Level {
                policy: p,
                level: n,
            };
            if state.is_terminal() {
                out.push(Finding {
                    code: Code::LevelNeverFires,
                    place,
                    message: format!(
                        "level {} of policy `{}` counts from entering `{}`, where task `{}` (machine `{}`) is already over: it can only chase finished work",
                        n + 1,
                        policy.id,
                        state.id,
                        task.id,
                        machine.id
                    ),
                    hint: Some("count it from a state where the work is still open, or remove it".to_owned()),
                });
                continue;
            }
            // A timed System transition without guards always leaves the state when its
            // time comes; a level timed later never finds the task there (at the same
            // instant the level fires first).
            let leaves = machine
                .transitions
                .iter()
                .filter(|t| {
                    t.by.contains(&Role::System)
                        && t.guards.is_empty()
                        && t.from.contains(&state_id)
                })
                .filter_map(|t| t.after)
                .min();
            if let Some(leaves) = leaves
                && leaves < level.after
            {
                out.push(Finding {
                    code: Code::LevelNeverFires,
                    place,
                    message: format!(
                        "level {} of policy `{}` fires {} after entering `{}`, but machine `{}` of task `{}` leaves `{}` by itself after {leaves}: it can never fire",
                        n + 1,
                        policy.id,
                        level.after,
                        state.id,
                        machine.id,
                        task.id,
                        state.id
                    ),
                    hint: Some(format!("make `after` shorter than {leaves}, or count it from another state")),
                });
            }
        }
    }
}

/// The reporting line of an agency as text: `a` → `parent` → ... → root.
fn line(workflow: &Workflow, agency: AgencyId) -> String {
    std::iter::once(agency)
        .chain(workflow.ancestors(agency))
        .map(|a| format!("`{}`", workflow.agencies[a.index()].id))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The leads of `task` for whom `agency` is outside the reporting line: neither the lead,
/// nor one of its ancestors, nor the issuer, nor an organ directly under the issuer. The
/// last covers the issuer's delegates: its office following up for it, or a ministry
/// supervising the provinces in its sector (dual subordination, which a forest with one
/// parent per agency cannot draw).
fn outside(workflow: &Workflow, task: &Task, agency: AgencyId) -> Vec<AgencyId> {
    let issuer = workflow.directive.issuer;
    if agency == issuer || workflow.agencies[agency.index()].parent == Some(issuer) {
        return Vec::new();
    }
    let leads: &[AgencyId] = match task.for_each {
        Some(group) => &workflow.groups[group.index()].members,
        None => &task.leads,
    };
    leads
        .iter()
        .copied()
        .filter(|&lead| lead != agency && !workflow.ancestors(lead).any(|a| a == agency))
        .collect()
}

fn whose_line(workflow: &Workflow, task: &Task, off: &[AgencyId]) -> String {
    let total = match task.for_each {
        Some(group) => workflow.groups[group.index()].members.len(),
        None => task.leads.len(),
    };
    if let [lead] = off {
        return format!("its lead's reporting line ({})", line(workflow, *lead));
    }
    let mut names: Vec<String> = off
        .iter()
        .take(3)
        .map(|a| format!("`{}`", workflow.agencies[a.index()].id))
        .collect();
    if off.len() > 3 {
        names.push(format!("{} more", off.len() - 3));
    }
    format!(
        "the reporting lines of {} of its {total} leads ({})",
        off.len(),
        names.join(", ")
    )
}

/// Supervisors and named escalation targets outside the lead's reporting line.
fn reporting_lines(workflow: &Workflow, out: &mut Vec<Finding>) {
    for (i, task) in workflow.tasks.iter().enumerate() {
        let id = TaskId(i as u32);
        let supervisor = task.supervisor;
        let off = outside(workflow, task, supervisor);
        if !off.is_empty() {
            let name = &workflow.agencies[supervisor.index()].id;
            out.push(Finding {
                code: Code::TargetOutsideReportingLine,
                place: Place::InTask(id, name.clone()),
                message: format!(
                    "the supervisor `{name}` of task `{}` is outside {}",
                    task.id,
                    whose_line(workflow, task, &off)
                ),
                hint: Some("choose a supervisor on the lead's line (an ancestor) or the issuer, or correct the agencies' `parent`".to_owned()),
            });
        }
        let Some(p) = task.policy else { continue };
        let policy = &workflow.policies[p];
        let mut targets: BTreeMap<AgencyId, Vec<usize>> = BTreeMap::new();
        for (n, level) in policy.levels.iter().enumerate() {
            if let Target::Agency(a) = level.target {
                targets.entry(a).or_default().push(n + 1);
            }
        }
        for (agency, numbers) in targets {
            let off = outside(workflow, task, agency);
            if off.is_empty() {
                continue;
            }
            out.push(Finding {
                code: Code::TargetOutsideReportingLine,
                place: Place::InTask(id, policy.id.clone()),
                message: format!(
                    "{} of policy `{}` {} task `{}` to `{}`, outside {}",
                    level_list(&numbers),
                    policy.id,
                    if numbers.len() == 1 { "sends" } else { "send" },
                    task.id,
                    workflow.agencies[agency.index()].id,
                    whose_line(workflow, task, &off)
                ),
                hint: Some("target an agency on the lead's line (`Parent`, `SupervisorParent`, an ancestor) or the issuer, or correct the agencies' `parent`".to_owned()),
            });
        }
    }
}

/// Addressed agencies that lead, support and supervise nothing.
fn addressees(workflow: &Workflow, out: &mut Vec<Finding>) {
    let mut holds = vec![false; workflow.agencies.len()];
    for task in &workflow.tasks {
        let members = task
            .for_each
            .map_or(&[][..], |g| &workflow.groups[g.index()].members[..]);
        for a in task.leads.iter().chain(members).chain(&task.support) {
            holds[a.index()] = true;
        }
        holds[task.supervisor.index()] = true;
    }
    for &agency in &workflow.directive.addressees {
        if holds[agency.index()] {
            continue;
        }
        let id = &workflow.agencies[agency.index()].id;
        out.push(Finding {
            code: Code::AddresseeWithoutTask,
            place: Place::Addressee(agency),
            message: format!(
                "`{id}` is addressed but holds no task: it leads, supports and supervises none"
            ),
            hint: Some(format!(
                "give `{id}` its part (`lead`, `support`, or a `for_each` group), or take it out of the addressees"
            )),
        });
    }
}
