//! Tasks: the file's, then those its cascades expand to, each with its agencies, fan-out,
//! dependencies, start, due rule, machine, policy and supervisor resolved; then the
//! dependency cycles.

use super::agencies::{Party, expand};
use super::due::compile_due;
use super::machines::Machines;
use super::period;
use super::policies::Policies;
use super::{CycleWording, parse_span_at, parse_time_at, report_cycles};
use crate::front::builtin;
use crate::front::cascade::{self, Generated, is_placeholder};
use crate::front::reporter::{Reporter, section};
use crate::model::calendar::Calendar;
use crate::model::diagnostic::{Code, Severity, suggestion};
use crate::model::spec::{self, Anchor, LeadMode, StartSpec, TaskSpec, WorkflowSpec};
use crate::model::time::Timestamp;
use crate::model::workflow::{
    AgencyId, Document, Due, Effort, GroupId, MachineId, Start, StateId, Task, TaskId,
};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// The compiled tasks, the file's first, and what later steps need about them.
pub(super) struct Tasks {
    pub(super) tasks: Vec<Task>,
    /// The implementing documents the cascades generate.
    pub(super) documents: Vec<Document>,
    pub(super) spans: Vec<Option<Range<usize>>>,
    /// Per task: whether it reports its own diagnostics (a task expanded from a template
    /// reports only at the template's first expansion).
    pub(super) first_of_key: Vec<bool>,
    /// The dependencies form a cycle (reported).
    pub(super) cyclic: bool,
}

/// The `tasks` section and the tasks its cascades generate.
pub(super) fn compile(
    r: &mut Reporter<'_>,
    spec: &WorkflowSpec,
    cx: &cascade::Context<'_>,
    machines: &Machines,
    policies: &Policies<'_>,
) -> Tasks {
    let (mut spans, positions) = section(r, "task", "tasks", "id", &spec.tasks, |t| &t.id);
    let expansion = cascade::expand(r, spec, &spans, cx);
    let top_level = spec.tasks.len();
    let task_index = task_index(r, &positions, &expansion.tasks, top_level);
    spans.extend(expansion.tasks.iter().map(|g| g.span.clone()));
    // Diagnostics of a template task are kept for its first expansion only.
    let mut keys_seen = HashSet::new();
    let first_of_key: Vec<bool> = (0..top_level)
        .map(|_| true)
        .chain(expansion.tasks.iter().map(|g| keys_seen.insert(g.key)))
        .collect();
    let mut compiler = TaskCompiler {
        spec,
        cx,
        machines,
        policies,
        task_index: &task_index,
        dependency_edges: Vec::new(),
        same_member_candidates: Vec::new(),
        all_members_asked: Vec::new(),
        anchors_checked: HashSet::new(),
    };
    let mut tasks = Vec::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        let (task, generated, extra_depends): (_, _, &[String]) = match i.checked_sub(top_level) {
            None => (&spec.tasks[i], None, &expansion.top_depends[i]),
            Some(k) => (&expansion.tasks[k].spec, Some(&expansion.tasks[k]), &[]),
        };
        let mark = r.diagnostics.len();
        tasks.push(compiler.task(r, (i, span), task, generated, extra_depends));
        if !first_of_key[i] {
            r.diagnostics.truncate(mark);
        }
    }
    compiler.resolve_per_member(r, &mut tasks, &first_of_key);
    let cyclic = report_cycles(
        r,
        tasks.len(),
        &compiler.dependency_edges,
        &spans,
        |i| &tasks[i].id,
        &CycleWording {
            code: Code::DependencyCycle,
            message: "tasks depend on each other in a cycle",
            hint: "remove one of these `depends_on` entries",
        },
    );
    Tasks {
        tasks,
        documents: expansion.documents,
        spans,
        first_of_key,
        cyclic,
    }
}

/// Every task's index by id: the file's tasks, then the generated ones; a generated id
/// already taken by a task of the file is reported.
fn task_index(
    r: &mut Reporter<'_>,
    positions: &HashMap<&str, usize>,
    generated: &[Generated],
    top_level: usize,
) -> HashMap<String, TaskId> {
    let mut task_index: HashMap<String, TaskId> = positions
        .iter()
        .map(|(id, &i)| ((*id).to_owned(), TaskId(i as u32)))
        .collect();
    for (k, generated) in generated.iter().enumerate() {
        let id = &generated.spec.id;
        // Two generated tasks clash only when the template repeats an id: reported there.
        if positions.contains_key(id.as_str()) {
            r.error_hint(
                Code::DuplicateId,
                generated.span.clone(),
                format!("the cascade generates task id `{id}`, which is already taken"),
                Some("rename the task or the template task".to_owned()),
            );
        } else {
            task_index
                .entry(id.clone())
                .or_insert(TaskId((top_level + k) as u32));
        }
    }
    task_index
}

/// What compiling a task needs (the sections compiled before the tasks, every task's
/// id) and what it collects across tasks.
struct TaskCompiler<'a> {
    spec: &'a WorkflowSpec,
    cx: &'a cascade::Context<'a>,
    machines: &'a Machines,
    policies: &'a Policies<'a>,
    task_index: &'a HashMap<String, TaskId>,
    /// (dependent, dependency) task indices, for the cycle check.
    dependency_edges: Vec<(usize, usize)>,
    /// (dependent, dependency) from `depends_on`: waited for per member when both fan
    /// out over the same group (known once every task is compiled).
    same_member_candidates: Vec<(usize, TaskId)>,
    /// (dependent, dependency, where) from `depends_on_all`, to check once every task's
    /// fan-out is known.
    all_members_asked: Vec<(usize, TaskId, Option<Range<usize>>)>,
    /// (policy, machine) pairs whose anchor states were checked.
    anchors_checked: HashSet<(usize, usize)>,
}

/// How a task's several leads run; a `lead_mode` with nothing to choose between (one
/// lead, or a `for_each` task, whose members each have their own instance) is flagged.
fn lead_mode(
    r: &mut Reporter<'_>,
    task: &TaskSpec,
    span: &Option<Range<usize>>,
    leads: usize,
) -> LeadMode {
    let Some(mode) = task.lead_mode else {
        return LeadMode::Joint;
    };
    let why = if task.for_each.is_some() {
        Some("each member of its `for_each` group already runs its own instance")
    } else if leads < 2 {
        Some("it has one lead, so there is nothing to share or split")
    } else {
        None
    };
    if let Some(why) = why {
        r.push(
            Severity::Warning,
            Code::RedundantLeadMode,
            r.field_at(span, "lead_mode"),
            format!("`lead_mode` changes nothing for task `{}`: {why}", task.id),
            Some("remove `lead_mode`".to_owned()),
        );
    }
    mode
}

impl TaskCompiler<'_> {
    /// Task `i`, at `span`; `generated` when a cascade expanded it, `extra_depends` the
    /// tasks of its children's directives.
    fn task(
        &mut self,
        r: &mut Reporter<'_>,
        (i, span): (usize, &Option<Range<usize>>),
        task: &TaskSpec,
        generated: Option<&Generated>,
        extra_depends: &[String],
    ) -> Task {
        let cx = self.cx;
        let leads = self.leads(r, task, span);
        let lead_mode = lead_mode(r, task, span, leads.len());
        let support = self.support(r, task, span);
        let for_each = self.for_each(r, task, span);
        check_lead_or_for_each(r, task, span);
        let depends_on = self.depends_on(r, (i, span), task, extra_depends);
        let start = self.start(r, task, span);
        let due = match generated.and_then(|g| g.due) {
            Some(at) => Some(Due::At(at)),
            None => task
                .due
                .as_ref()
                .and_then(|due| compile_due(r, due, span, cx.offset)),
        };
        let machine = self.machine(r, task, span, due);
        let period = period::compile_period(
            r,
            task,
            span,
            (cx.offset, start),
            &self.machines.machines[machine.index()],
        );
        // A measure in force is due at its end: the period's rule is the task's due rule.
        let due = period.map(|p| p.due()).or(due);
        let policy = self.policy(r, task, span);
        let level_states = self.level_states(r, task, policy, machine);
        let supervisor = self.supervisor(r, task, span, generated);
        let (expected, minimum) = compile_efforts(r, task, span, cx.issued_at, cx.calendar);
        Task {
            id: task.id.clone(),
            title: task.title.clone(),
            gloss: task.gloss.clone(),
            leads,
            lead_mode,
            support,
            for_each,
            depends_on,
            // Resolved by `resolve_per_member` once every task's fan-out is known.
            per_member: Vec::new(),
            start,
            due,
            machine,
            policy,
            level_states,
            supervisor,
            expected,
            minimum,
            parent_issuer: generated.map(|g| g.parent_issuer),
            instances: 0..0,
            period,
        }
    }

    /// The lead agencies; a group is an error (`for_each` fans a task out over one).
    fn leads(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
    ) -> Vec<AgencyId> {
        let names = self.cx.names;
        let mut leads = Vec::new();
        // Placeholders left after expansion were reported by `cascade::expand`.
        for lead in task.lead.iter().filter(|l| !is_placeholder(l)) {
            match names.lookup(lead) {
                Some(Party::Agency(a)) => {
                    if !leads.contains(&a) {
                        leads.push(a);
                    }
                }
                Some(Party::Group(_)) => r.error_hint(
                    Code::UnknownAgency,
                    r.at(span, lead),
                    format!(
                        "lead `{lead}` of task `{}` is a group, not an agency",
                        task.id
                    ),
                    Some(format!(
                        "write `for_each: \"{lead}\"` to give each member its own instance"
                    )),
                ),
                None => {
                    let at = r.at(span, lead);
                    names.unknown(
                        r,
                        at,
                        lead,
                        false,
                        format!("unknown agency `{lead}` in the lead of task `{}`", task.id),
                    );
                }
            }
        }
        leads
    }

    /// The supporting agencies, groups expanded to their members.
    fn support(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
    ) -> Vec<AgencyId> {
        let names = self.cx.names;
        let mut support = Vec::new();
        for supporter in task.support.iter().filter(|s| !is_placeholder(s)) {
            match names.lookup(supporter) {
                Some(p) => expand(self.cx.groups, p, &mut support),
                None => {
                    let at = r.at(span, supporter);
                    names.unknown(
                        r,
                        at,
                        supporter,
                        true,
                        format!(
                            "unknown agency or group `{supporter}` supporting task `{}`",
                            task.id
                        ),
                    );
                }
            }
        }
        support
    }

    /// The group a task fans out over.
    fn for_each(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
    ) -> Option<GroupId> {
        let names = self.cx.names;
        task.for_each
            .as_ref()
            .filter(|g| !is_placeholder(g))
            .and_then(|g| match names.groups.get(g) {
                Some(&group) => Some(group),
                None => {
                    let hint = suggestion(g, names.groups.keys().map(String::as_str));
                    r.error_hint(
                        Code::UnknownGroup,
                        r.at(span, g),
                        format!("unknown group `{g}` in `for_each` of task `{}`", task.id),
                        hint,
                    );
                    None
                }
            })
    }

    /// The tasks a task depends on (its own `depends_on` and `depends_on_all`, then
    /// `extra_depends`), each once, recorded as edges for the cycle check; those of
    /// `depends_on` as candidates to wait for per member, those of `depends_on_all` to
    /// check; a task in both lists is reported.
    fn depends_on(
        &mut self,
        r: &mut Reporter<'_>,
        (i, span): (usize, &Option<Range<usize>>),
        task: &TaskSpec,
        extra_depends: &[String],
    ) -> Vec<TaskId> {
        for dep in task.depends_on_all.iter() {
            if task.depends_on.contains(dep) {
                r.error_hint(
                    Code::DependencyListedTwice,
                    r.value_in_field(span, "depends_on_all", dep),
                    format!(
                        "task `{}` lists `{dep}` in both `depends_on` and `depends_on_all`",
                        task.id
                    ),
                    Some(format!(
                        "keep `{dep}` in `depends_on` to wait for the same member's instance, or in `depends_on_all` to wait for every member's"
                    )),
                );
            }
        }
        let mut depends_on = Vec::new();
        let own = task.depends_on.len();
        let all = task.depends_on_all.len();
        let listed = task
            .depends_on
            .iter()
            .chain(&task.depends_on_all)
            .chain(extra_depends)
            .enumerate();
        for (k, dep) in listed {
            match self.task_index.get(dep) {
                Some(&t) => {
                    if !depends_on.contains(&t) {
                        depends_on.push(t);
                        self.dependency_edges.push((i, t.index()));
                    }
                    if k < own {
                        self.same_member_candidates.push((i, t));
                    } else if k < own + all {
                        let at = r.value_in_field(span, "depends_on_all", dep);
                        self.all_members_asked.push((i, t, at));
                    }
                }
                None => {
                    let hint = suggestion(dep, self.task_index.keys().map(String::as_str));
                    r.error_hint(
                        Code::UnknownTask,
                        r.at(span, dep),
                        format!("task `{}` depends on unknown task `{dep}`", task.id),
                        hint,
                    );
                }
            }
        }
        depends_on
    }

    /// Fills each task's `per_member`: the dependencies of its `depends_on` that fan out
    /// over the same group as it does. A `depends_on_all` entry that is not such a
    /// dependency changes nothing (it is waited for in full anyway), and is flagged.
    fn resolve_per_member(&self, r: &mut Reporter<'_>, tasks: &mut [Task], first_of_key: &[bool]) {
        let same_group = |a: usize, b: TaskId, tasks: &[Task]| {
            tasks[a].for_each.is_some() && tasks[a].for_each == tasks[b.index()].for_each
        };
        for &(i, dep) in &self.same_member_candidates {
            // A task also listed in `depends_on_all` (reported) is waited for in full.
            let asked_all = self
                .all_members_asked
                .iter()
                .any(|&(j, d, _)| j == i && d == dep);
            if same_group(i, dep, tasks) && !asked_all && !tasks[i].per_member.contains(&dep) {
                tasks[i].per_member.push(dep);
            }
        }
        for (i, dep, at) in &self.all_members_asked {
            // A template task reports at its first expansion only.
            if first_of_key[*i] && !same_group(*i, *dep, tasks) {
                let (task, dep) = (&tasks[*i].id, &tasks[dep.index()].id);
                r.push(
                    Severity::Warning,
                    Code::RedundantDependsOnAll,
                    at.clone(),
                    format!(
                        "`depends_on_all` changes nothing for task `{task}`: it waits for every instance of `{dep}` anyway, since the two do not fan out over the same group"
                    ),
                    Some(format!("move `{dep}` to `depends_on`")),
                );
            }
        }
    }

    /// When a task starts; a start before the directive is issued is legal, and flagged.
    fn start(&self, r: &mut Reporter<'_>, task: &TaskSpec, span: &Option<Range<usize>>) -> Start {
        let (offset, issued_at) = (self.cx.offset, self.cx.issued_at);
        match &task.start {
            StartSpec::AtIssue => Start::AtIssue,
            StartSpec::AfterDependencies => Start::AfterDependencies,
            StartSpec::At(text) => {
                let at = r.at(span, text);
                match parse_time_at(r, text, offset, at.clone()) {
                    Some(t) => {
                        if t < issued_at {
                            r.warning(
                                Code::StartsBeforeIssue,
                                at,
                                format!(
                                    "task `{}` starts at {}, before the directive is issued at {}",
                                    task.id,
                                    t.to_rfc3339(offset),
                                    issued_at.to_rfc3339(offset)
                                ),
                            );
                        }
                        Start::At(t)
                    }
                    None => Start::AtIssue,
                }
            }
        }
    }

    /// A task's machine: the one it names, else the built-in for its kind of due rule.
    fn machine(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
        due: Option<Due>,
    ) -> MachineId {
        let index = &self.machines.index;
        let machine_name = task.machine.clone().unwrap_or_else(|| {
            if due.is_some_and(|d| d.is_recurring()) {
                builtin::RECURRING
            } else {
                builtin::DEFAULT
            }
            .to_owned()
        });
        match index.get(machine_name.as_str()) {
            Some(&m) => m,
            None => {
                let hint = suggestion(&machine_name, index.keys().map(String::as_str));
                r.error_hint(
                    Code::UnknownMachine,
                    r.at(span, &machine_name),
                    format!("task `{}` uses unknown machine `{machine_name}`", task.id),
                    hint,
                );
                MachineId(0)
            }
        }
    }

    fn policy(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
    ) -> Option<usize> {
        let index = &self.policies.index;
        task.policy
            .as_ref()
            .and_then(|p| match index.get(p.as_str()) {
                Some(&i) => Some(i),
                None => {
                    let hint = suggestion(p, index.keys().copied());
                    r.error_hint(
                        Code::UnknownPolicy,
                        r.at(span, p),
                        format!("task `{}` uses unknown policy `{p}`", task.id),
                        hint,
                    );
                    None
                }
            })
    }

    /// Per level of the task's policy: the state of the task's machine it counts from
    /// (`None` for the due time, or a state the machine lacks).
    fn level_states(
        &mut self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        policy: Option<usize>,
        machine: MachineId,
    ) -> Vec<Option<StateId>> {
        let Some(p) = policy else {
            return Vec::new();
        };
        // Report a policy's unknown anchor states once per machine, not per task.
        let first_use = self.anchors_checked.insert((p, machine.index()));
        let machine = &self.machines.machines[machine.index()];
        let policy = &self.spec.policies[p];
        policy
            .levels
            .iter()
            .map(|level| match &level.from {
                Anchor::Due => None,
                Anchor::Entered(state) => {
                    let found = machine.states.iter().position(|s| &s.id == state);
                    if found.is_none() && first_use {
                        let hint = suggestion(state, machine.states.iter().map(|s| s.id.as_str()));
                        r.error_hint(
                            Code::UnknownState,
                            r.at(&self.policies.spans[p], state),
                            format!(
                                "policy `{}` escalates from state `{state}`, which machine `{}` of task `{}` does not have",
                                policy.id, machine.id, task.id
                            ),
                            hint,
                        );
                    }
                    found.map(|s| StateId(s as u32))
                }
            })
            .collect()
    }

    /// The supervisor: the one named, else the issuer (in a template the member issues
    /// the directive, and the report task reports up).
    fn supervisor(
        &self,
        r: &mut Reporter<'_>,
        task: &TaskSpec,
        span: &Option<Range<usize>>,
        generated: Option<&Generated>,
    ) -> AgencyId {
        let names = self.cx.names;
        let default_supervisor =
            generated.map_or(self.cx.issuer, |g| g.reports_to.unwrap_or(g.issuer));
        match task.supervisor.as_ref().filter(|s| !is_placeholder(s)) {
            None => default_supervisor,
            Some(s) => match names.agencies.get(s) {
                Some(&a) => a,
                None => {
                    let at = r.at(span, s);
                    names.unknown(
                        r,
                        at,
                        s,
                        false,
                        format!("task `{}` has unknown supervisor `{s}`", task.id),
                    );
                    default_supervisor
                }
            },
        }
    }
}

/// A task has a lead or a `for_each`, not both.
fn check_lead_or_for_each(r: &mut Reporter<'_>, task: &TaskSpec, span: &Option<Range<usize>>) {
    if task.for_each.is_some() && !task.lead.is_empty() {
        r.error_hint(
            Code::LeadWithForEach,
            r.field_at(span, "lead"),
            format!("task `{}` has both `lead` and `for_each`", task.id),
            Some("with `for_each` each member leads its own instance; remove `lead`".to_owned()),
        );
    } else if task.for_each.is_none() && task.lead.is_empty() {
        r.error_hint(
            Code::MissingLead,
            r.at(span, &task.id),
            format!("task `{}` has no lead agency", task.id),
            Some("add `lead: [\"agency\"]` or `for_each: \"group\"`".to_owned()),
        );
    }
}

fn compile_effort(
    r: &mut Reporter<'_>,
    effort: &spec::EffortSpec,
    span: &Option<Range<usize>>,
) -> Option<Effort> {
    match effort {
        spec::EffortSpec::WorkingDays(n) => Some(Effort::WorkingDays(*n)),
        spec::EffortSpec::Elapsed(text) => {
            let at = r.at(span, text);
            let elapsed = parse_span_at(r, text, at.clone())?;
            if elapsed.as_seconds() < 0 {
                r.error_hint(
                    Code::InvalidEffort,
                    at,
                    format!("an effort of {elapsed} is negative"),
                    Some("write how long the work takes, such as `Elapsed(\"8h\")`".to_owned()),
                );
                return None;
            }
            Some(Effort::Elapsed(elapsed))
        }
    }
}

/// A task's `expected` and `minimum` efforts, checked: the minimum needs an expected
/// effort and may not exceed it (compared as work begun when the directive is issued).
fn compile_efforts(
    r: &mut Reporter<'_>,
    task: &spec::TaskSpec,
    span: &Option<Range<usize>>,
    issued_at: Timestamp,
    calendar: &Calendar,
) -> (Option<Effort>, Option<Effort>) {
    let expected = task
        .expected
        .as_ref()
        .and_then(|e| compile_effort(r, e, span));
    let minimum = task
        .minimum
        .as_ref()
        .and_then(|e| compile_effort(r, e, span));
    match (task.expected.is_some(), minimum) {
        (false, Some(_)) => r.error_hint(
            Code::InvalidEffort,
            r.field_at(span, "minimum"),
            format!(
                "task `{}` has a `minimum` effort but no `expected` one",
                task.id
            ),
            Some("add `expected`, the usual effort; `minimum` is how far it can shrink".to_owned()),
        ),
        (true, Some(min)) => {
            if let Some(exp) = expected
                && min.finish(calendar, issued_at) > exp.finish(calendar, issued_at)
            {
                r.error_hint(
                    Code::InvalidEffort,
                    r.field_at(span, "minimum"),
                    format!(
                        "task `{}` has a `minimum` effort longer than its `expected` one",
                        task.id
                    ),
                    Some(
                        "`minimum` is the least the work can take; make it at most `expected`"
                            .to_owned(),
                    ),
                );
            }
        }
        _ => {}
    }
    (expected, minimum)
}
