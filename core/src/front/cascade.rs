//! Cascades: a task that makes each member of a set issue and carry out its own
//! implementing directive from a template, expanded at load time.
//!
//! Expansion turns every (cascading task, member) pair into ordinary task specs named
//! `parent_task/member/task` plus one generated [`Document`] per member, so the engine
//! runs cascades with no machinery of its own:
//! - completion flows up: the cascading task depends on every task of its children's
//!   directives (the `DependenciesDone` guard holds its report back);
//! - reports flow up: the template's report task is supervised by the cascading task's
//!   lead;
//! - escalation can cross the boundary: each generated task knows the issuer of the
//!   directive its own directive implements (`Target::ParentIssuer`).
//!
//! Template problems are checked once per template, not once per member.

use crate::front::compile::{Names, compile_due, cycle_text};
use crate::front::graph::find_cycles;
use crate::front::reporter::{Reporter, section};
use crate::model::calendar::Calendar;
use crate::model::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::spec::{CascadeSpec, DueSpec, StartSpec, TaskSpec, WorkflowSpec};
use crate::model::time::Timestamp;
use crate::model::workflow::{Agency, AgencyId, Document, Due, Group};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use time::UtcOffset;

/// Placeholder for the member a template is expanded for.
pub(crate) const MEMBER: &str = "{member}";
/// Placeholder for the cascading task's lead: who directs the member and hears its report.
pub(crate) const PARENT: &str = "{parent}";
/// Placeholder for the member's (or, outside a template, the lead's) children.
pub(crate) const CHILDREN: &str = "{children}";
/// The deepest chain of cascades (national → province → district → commune needs 3).
pub(crate) const MAX_DEPTH: usize = 8;
/// The most tasks expansion may generate: beyond it a file is a mistake, not a plan.
pub(crate) const MAX_TASKS: usize = 250_000;

/// Whether a name is a `{placeholder}` rather than an id.
pub(crate) fn is_placeholder(name: &str) -> bool {
    name.starts_with('{') && name.ends_with('}')
}

/// One task expanded from a template.
pub(crate) struct Generated {
    /// The template task with placeholders substituted, id and local dependencies
    /// prefixed, and the cascading task's children added to `depends_on`.
    pub(crate) spec: TaskSpec,
    /// Where the template task is written.
    pub(crate) span: Option<Range<usize>>,
    /// (template, task) positions: diagnostics of a template task are reported once.
    pub(crate) key: (usize, usize),
    /// The due time a `BeforeParent` rule resolved to.
    pub(crate) due: Option<Timestamp>,
    /// The member that issues the implementing directive (the default supervisor).
    pub(crate) issuer: AgencyId,
    /// For the report task: the cascading task's lead, who receives the report.
    pub(crate) reports_to: Option<AgencyId>,
    /// The issuer of the directive that the member's directive implements.
    pub(crate) parent_issuer: AgencyId,
}

/// The result of expansion.
pub(crate) struct Expansion {
    /// Generated tasks, depth first (a member's tasks, then its own cascades).
    pub(crate) tasks: Vec<Generated>,
    /// Generated implementing documents, in the same order.
    pub(crate) documents: Vec<Document>,
    /// Extra dependencies of each top-level task: the tasks of its children's directives.
    pub(crate) top_depends: Vec<Vec<String>>,
}

/// What expansion needs from the rest of loading.
pub(crate) struct Context<'a> {
    pub(crate) names: &'a Names,
    pub(crate) agencies: &'a [Agency],
    pub(crate) groups: &'a [Group],
    pub(crate) calendar: &'a Calendar,
    pub(crate) offset: UtcOffset,
    pub(crate) issued_at: Timestamp,
    pub(crate) issuer: AgencyId,
    pub(crate) number: &'a str,
}

/// The cascading task a template is expanded under.
struct Parent {
    id: String,
    local: String,
    lead: Option<AgencyId>,
    due: Option<Timestamp>,
    start: Timestamp,
    document: String,
    issuer: AgencyId,
    depth: usize,
    /// Its own due counts back from its parent: if unknown, that was reported already.
    counts_back: bool,
}

struct Expander<'a, 'r, 's> {
    r: &'r mut Reporter<'s>,
    spec: &'a WorkflowSpec,
    cx: &'a Context<'a>,
    template_spans: Vec<Option<Range<usize>>>,
    task_spans: Vec<Vec<Option<Range<usize>>>>,
    templates: HashMap<&'a str, usize>,
    usable: Vec<bool>,
    out: Expansion,
    full: bool,
}

/// Checks templates and cascades and expands them. `task_spans` are the top-level tasks'.
pub(crate) fn expand(
    r: &mut Reporter<'_>,
    spec: &WorkflowSpec,
    task_spans: &[Option<Range<usize>>],
    cx: &Context<'_>,
) -> Expansion {
    let (template_spans, templates) =
        section(r, "template", "templates", "id", &spec.templates, |t| &t.id);
    let task_spans_of: Vec<Vec<Option<Range<usize>>>> = spec
        .templates
        .iter()
        .zip(&template_spans)
        .map(|(t, span)| r.spans_within(span, "id", t.tasks.iter().map(|t| t.id.as_str())))
        .collect();
    let mut x = Expander {
        r,
        spec,
        cx,
        template_spans,
        task_spans: task_spans_of,
        templates,
        usable: vec![true; spec.templates.len()],
        out: Expansion {
            tasks: Vec::new(),
            documents: Vec::new(),
            top_depends: vec![Vec::new(); spec.tasks.len()],
        },
        full: false,
    };
    x.check(task_spans);
    let mark = x.r.diagnostics.len();
    for (i, task) in spec.tasks.iter().enumerate() {
        let Some(cascade) = &task.cascade else {
            continue;
        };
        let parent = Parent {
            id: task.id.clone(),
            local: task.id.clone(),
            lead: first_lead(cx.names, task, None),
            due: planned_due(cx, task, None),
            start: planned_start(cx, task),
            document: cx.number.to_owned(),
            issuer: cx.issuer,
            depth: 1,
            counts_back: matches!(task.due, Some(DueSpec::BeforeParent(_))),
        };
        let span = task_spans[i].clone();
        let children = x.expand_cascade(&parent, cascade, &span);
        x.out.top_depends[i] = children;
    }
    // A template task expanded for many members repeats the same problem: keep one.
    let tail: Vec<Diagnostic> = x.r.diagnostics.drain(mark..).collect();
    for d in tail {
        if !x.r.diagnostics[mark..].contains(&d) {
            x.r.diagnostics.push(d);
        }
    }
    x.out
}

fn bad(r: &mut Reporter<'_>, span: &Option<Range<usize>>, name: &str, message: String, hint: &str) {
    let at = r.at(span, name);
    r.error_hint(Code::BadPlaceholder, at, message, Some(hint.to_owned()));
}

/// Where `field: "value"` is written inside `span` (a cascade's `template` or
/// `for_each`), else the first `"value"` there.
fn keyed_at(
    r: &Reporter<'_>,
    span: &Option<Range<usize>>,
    field: &str,
    value: &str,
) -> Option<Range<usize>> {
    span.as_ref()
        .and_then(|s| {
            r.locator
                .keyed(field, value, s.start, 0)
                .filter(|k| k.start < s.end)
        })
        .or_else(|| r.at(span, value))
}

fn first_lead(names: &Names, task: &TaskSpec, member: Option<&str>) -> Option<AgencyId> {
    let lead = task.lead.first()?;
    let lead = if lead == MEMBER { member? } else { lead };
    names.agencies.get(lead).copied()
}

fn planned_start(cx: &Context<'_>, task: &TaskSpec) -> Timestamp {
    match &task.start {
        StartSpec::At(text) => Timestamp::parse(text, cx.offset).unwrap_or(cx.issued_at),
        _ => cx.issued_at,
    }
}

/// The parent task's planned (last) due time, when it is known before dependencies run.
fn planned_due(
    cx: &Context<'_>,
    task: &TaskSpec,
    resolved: Option<Timestamp>,
) -> Option<Timestamp> {
    if resolved.is_some() {
        return resolved;
    }
    // Problems in the rule are reported when the task itself compiles: parse quietly.
    let mut quiet = Reporter::new("");
    let due = compile_due(&mut quiet, task.due.as_ref()?, &None, cx.offset)?;
    if let Due::At(at) = due {
        return Some(at);
    }
    if task.start == StartSpec::AfterDependencies {
        return None;
    }
    due.last(cx.calendar, planned_start(cx, task))
}

impl<'a> Expander<'a, '_, '_> {
    /// Member-independent checks, once per template and task.
    fn check(&mut self, top_spans: &[Option<Range<usize>>]) {
        let spec = self.spec;
        for (task, span) in spec.tasks.iter().zip(top_spans) {
            self.check_task(task, span, false);
        }
        let mut edges = Vec::new();
        for (i, template) in spec.templates.iter().enumerate() {
            let span = self.template_spans[i].clone();
            if template.tasks.is_empty() {
                self.r.warning(
                    Code::EmptyCascade,
                    span.clone(),
                    format!("template `{}` has no tasks", template.id),
                );
            }
            let mut ids = HashSet::new();
            for (t, task) in template.tasks.iter().enumerate() {
                let task_span = self.task_spans[i][t].clone();
                if !ids.insert(task.id.as_str()) {
                    self.r.error_hint(
                        Code::DuplicateId,
                        task_span.clone(),
                        format!(
                            "template `{}` has duplicate task id `{}`",
                            template.id, task.id
                        ),
                        Some("ids must be unique; rename one of them".to_owned()),
                    );
                }
                self.check_task(task, &task_span, true);
                if let Some(cascade) = &task.cascade
                    && let Some(&j) = self.templates.get(cascade.template.as_str())
                {
                    edges.push((i, j));
                }
            }
            if let Some(report) = &template.reports
                && !ids.contains(report.as_str())
            {
                let hint = suggestion(report, ids.iter().copied());
                let at = self.r.at(&span, report);
                self.r.error_hint(
                    Code::UnknownTask,
                    at,
                    format!(
                        "template `{}` reports through unknown task `{report}`",
                        template.id
                    ),
                    hint,
                );
            }
        }
        for cycle in find_cycles(spec.templates.len(), &edges) {
            for &i in &cycle {
                self.usable[i] = false;
            }
            let path = cycle_text(&cycle, |i| &spec.templates[i].id);
            self.r.error_hint(
                Code::TemplateCycle,
                self.template_spans[cycle[0]].clone(),
                format!("templates cascade into each other in a cycle: {path}"),
                Some("a template must not (even indirectly) cascade into itself".to_owned()),
            );
        }
    }

    fn check_task(&mut self, task: &TaskSpec, span: &Option<Range<usize>>, in_template: bool) {
        let names = self.cx.names;
        let outside = "`{member}`, `{parent}` and `{children}` stand for a template's member, the lead directing it and the member's children; use them only inside `templates`";
        let unknown = "the placeholders are `{member}`, `{parent}` and `{children}`";
        let single = task.lead.iter().map(|n| ("lead", n));
        let single = single.chain(task.supervisor.iter().map(|n| ("supervisor", n)));
        for (field, name) in single.filter(|(_, n)| is_placeholder(n)) {
            match name.as_str() {
                MEMBER | PARENT if in_template => {}
                MEMBER | PARENT => bad(
                    self.r,
                    span,
                    name,
                    format!("task `{}` names `{name}` outside a template", task.id),
                    outside,
                ),
                CHILDREN => bad(
                    self.r,
                    span,
                    name,
                    format!(
                        "the {field} of task `{}` is one agency, but `{name}` is a set",
                        task.id
                    ),
                    "to give each child its own directive, write `cascade: (template: \"...\", for_each: \"{children}\")`",
                ),
                _ => bad(
                    self.r,
                    span,
                    name,
                    format!(
                        "unknown placeholder `{name}` in the {field} of task `{}`",
                        task.id
                    ),
                    unknown,
                ),
            }
        }
        for name in task.support.iter().filter(|n| is_placeholder(n)) {
            match name.as_str() {
                MEMBER | PARENT | CHILDREN if in_template => {}
                MEMBER | PARENT | CHILDREN => bad(
                    self.r,
                    span,
                    name,
                    format!("task `{}` names `{name}` outside a template", task.id),
                    outside,
                ),
                _ => bad(
                    self.r,
                    span,
                    name,
                    format!("unknown placeholder `{name}` supporting task `{}`", task.id),
                    unknown,
                ),
            }
        }
        if let Some(group) = &task.for_each
            && is_placeholder(group)
        {
            bad(
                self.r,
                span,
                group,
                format!(
                    "`for_each` of task `{}` names `{group}`, not a group",
                    task.id
                ),
                "for one directive per child, write `cascade: (template: \"...\", for_each: \"{children}\")`",
            );
        }
        if matches!(task.due, Some(DueSpec::BeforeParent(_))) && !in_template {
            let at = self.r.field_at(span, "due");
            self.r.error_hint(
                Code::NoParentDue,
                at,
                format!("task `{}` counts back from a parent task, but it is not in a template", task.id),
                Some("`BeforeParent` is for template tasks; give this task an `At` or `WorkingDays` due".to_owned()),
            );
        }
        let Some(cascade) = &task.cascade else { return };
        if !self.templates.contains_key(cascade.template.as_str()) {
            let hint = suggestion(&cascade.template, self.templates.keys().copied())
                .or(Some("define it under `templates`".to_owned()));
            let at = keyed_at(self.r, span, "template", &cascade.template);
            self.r.error_hint(
                Code::UnknownTemplate,
                at,
                format!(
                    "task `{}` cascades into unknown template `{}`",
                    task.id, cascade.template
                ),
                hint,
            );
        }
        match cascade.for_each.as_str() {
            CHILDREN => {}
            name if is_placeholder(name) => {
                let at = keyed_at(self.r, span, "for_each", name);
                self.r.error_hint(
                    Code::BadPlaceholder,
                    at,
                    format!("the cascade of task `{}` fans out over `{name}`", task.id),
                    Some("a cascade fans out over a group or `{children}` (the children of the task's lead)".to_owned()),
                );
            }
            group if !names.groups.contains_key(group) => {
                let hint = suggestion(group, names.groups.keys().map(String::as_str));
                let at = keyed_at(self.r, span, "for_each", group);
                self.r.error_hint(
                    Code::UnknownGroup,
                    at,
                    format!(
                        "unknown group `{group}` in the cascade of task `{}`",
                        task.id
                    ),
                    hint,
                );
            }
            _ => {}
        }
        if task.for_each.is_some() || task.lead.len() != 1 {
            let at = self.r.field_at(span, "cascade");
            self.r.error_hint(
                Code::CascadeLead,
                at,
                format!("task `{}` cascades, so it needs exactly one lead", task.id),
                Some("the single lead directs the children and receives their reports; move other agencies to `support`".to_owned()),
            );
        }
    }

    /// A template task's `BeforeParent(n)` due time: `n` working days before its
    /// cascading task's, which must be known at load time.
    fn before_parent(
        &mut self,
        parent: &Parent,
        (n, task, template): (u32, &TaskSpec, &str),
        task_span: &Option<Range<usize>>,
    ) -> Option<Timestamp> {
        match parent.due {
            Some(due) => self.cx.calendar.working_days_before(due, n),
            None if parent.counts_back => None,
            None => {
                let at = self.r.field_at(task_span, "due");
                self.r.error_hint(
                    Code::NoParentDue,
                    at,
                    format!(
                        "task `{}` of template `{}` counts back from the due time of `{}`, which is not known at load time",
                        task.id, template, parent.local
                    ),
                    Some("give the cascading task a due time that does not wait for its dependencies (`At`, or a start other than `AfterDependencies`)".to_owned()),
                );
                None
            }
        }
    }

    /// The agencies a cascade fans out to: the parent lead's children, or a group's
    /// members (`None` for an unknown group, reported by `check_task`).
    fn members(&self, parent: &Parent, cascade: &CascadeSpec) -> Option<Vec<AgencyId>> {
        Some(match cascade.for_each.as_str() {
            CHILDREN => match parent.lead {
                Some(lead) => (0..self.cx.agencies.len())
                    .filter(|&a| self.cx.agencies[a].parent == Some(lead))
                    .map(|a| AgencyId::from_index(a as u32))
                    .collect(),
                None => Vec::new(),
            },
            group => self.cx.groups[self.cx.names.groups.get(group)?.index()]
                .members
                .clone(),
        })
    }

    /// Expands one cascade; returns the ids of the tasks of the children's directives.
    fn expand_cascade(
        &mut self,
        parent: &Parent,
        cascade: &CascadeSpec,
        span: &Option<Range<usize>>,
    ) -> Vec<String> {
        let Some(&t) = self.templates.get(cascade.template.as_str()) else {
            return Vec::new();
        };
        if !self.usable[t] || self.full {
            return Vec::new();
        }
        let at = keyed_at(self.r, span, "template", &cascade.template);
        if parent.depth > MAX_DEPTH {
            self.r.error_hint(
                Code::CascadeTooDeep,
                at,
                format!(
                    "task `{}` cascades more than {MAX_DEPTH} levels deep",
                    parent.local
                ),
                Some("a chain of implementing directives this long is a mistake; shorten the chain of templates".to_owned()),
            );
            return Vec::new();
        }
        let Some(members) = self.members(parent, cascade) else {
            return Vec::new();
        };
        if members.is_empty() {
            self.r.warning(
                Code::EmptyCascade,
                at.clone(),
                format!(
                    "the cascade of task `{}` into `{}` has no members",
                    parent.local, cascade.template
                ),
            );
        }
        let spec = self.spec;
        let template = &spec.templates[t];
        if self.out.tasks.len() + members.len() * template.tasks.len() > MAX_TASKS {
            self.full = true;
            self.r.error_hint(
                Code::CascadeTooLarge,
                at,
                format!("cascades expand to more than {MAX_TASKS} tasks"),
                Some("fan out over fewer members or use `for_each` tasks".to_owned()),
            );
            return Vec::new();
        }
        let local: HashSet<&str> = template.tasks.iter().map(|t| t.id.as_str()).collect();
        let report = template
            .reports
            .as_deref()
            .or(template.tasks.last().map(|t| t.id.as_str()));
        let issued_on = parent
            .start
            .local(self.cx.offset)
            .map(|(date, _)| date.to_string())
            .unwrap_or_default();
        let mut children = Vec::new();
        for (index, &member) in members.iter().enumerate() {
            let member_agency = &self.cx.agencies[member.index()];
            let member_id = member_agency.id.as_str();
            let number = template
                .number
                .replace(MEMBER, member_id)
                .replace("{index}", &(index + 1).to_string());
            self.out.documents.push(Document {
                number: number.clone(),
                kind: template.kind.clone(),
                issuer: member_agency.name.clone(),
                issued_on: issued_on.clone(),
                subject: template.subject.clone(),
                gloss: template.gloss.clone(),
                implements: vec![parent.document.clone()],
            });
            let prefix = format!("{}/{member_id}", parent.id);
            let parent_lead = parent.lead.map(|a| self.cx.agencies[a.index()].id.as_str());
            let member_children: Vec<String> = self
                .cx
                .agencies
                .iter()
                .filter(|a| a.parent == Some(member))
                .map(|a| a.id.clone())
                .collect();
            for (k, task) in template.tasks.iter().enumerate() {
                let task_span = self.task_spans[t][k].clone();
                let generated = instantiate(
                    task,
                    &prefix,
                    (member_id, parent_lead),
                    &member_children,
                    &local,
                );
                let due = match task.due {
                    Some(DueSpec::BeforeParent(n)) => {
                        self.before_parent(parent, (n, task, &template.id), &task_span)
                    }
                    _ => None,
                };
                let lead = first_lead(self.cx.names, &generated, None);
                let position = self.out.tasks.len();
                children.push(generated.id.clone());
                let nested = generated.cascade.clone();
                let nested_parent = nested.as_ref().map(|_| Parent {
                    id: generated.id.clone(),
                    local: task.id.clone(),
                    lead,
                    due: planned_due(self.cx, &generated, due),
                    start: planned_start(self.cx, &generated),
                    document: number.clone(),
                    issuer: member,
                    depth: parent.depth + 1,
                    counts_back: matches!(task.due, Some(DueSpec::BeforeParent(_))),
                });
                self.out.tasks.push(Generated {
                    spec: generated,
                    span: task_span.clone(),
                    key: (t, k),
                    due,
                    issuer: member,
                    reports_to: (Some(task.id.as_str()) == report && task.supervisor.is_none())
                        .then_some(parent.lead)
                        .flatten(),
                    parent_issuer: parent.issuer,
                });
                if let (Some(cascade), Some(nested_parent)) = (nested, nested_parent) {
                    let grandchildren = self.expand_cascade(&nested_parent, &cascade, &task_span);
                    self.out.tasks[position]
                        .spec
                        .depends_on
                        .extend(grandchildren);
                }
            }
        }
        children
    }
}

/// A template task as one member's: its id under `prefix`, the member and the parent's
/// lead put in for their placeholders, `{children}` among the supporters expanded to
/// the member's children, and dependencies on the template's own tasks made local.
fn instantiate(
    task: &TaskSpec,
    prefix: &str,
    (member_id, parent_lead): (&str, Option<&str>),
    member_children: &[String],
    local: &HashSet<&str>,
) -> TaskSpec {
    let mut generated = task.clone();
    generated.id = format!("{prefix}/{}", task.id);
    let one = |name: &String| match (name.as_str(), parent_lead) {
        (MEMBER, _) => member_id.to_owned(),
        (PARENT, Some(lead)) => lead.to_owned(),
        _ => name.clone(),
    };
    generated.lead = task.lead.iter().map(one).collect();
    generated.supervisor = task.supervisor.as_ref().map(one);
    generated.support = task
        .support
        .iter()
        .flat_map(|name| {
            if name == CHILDREN {
                member_children.to_vec()
            } else {
                vec![one(name)]
            }
        })
        .collect();
    let localise = |deps: &[String]| -> Vec<String> {
        deps.iter()
            .map(|dep| {
                if local.contains(dep.as_str()) {
                    format!("{prefix}/{dep}")
                } else {
                    dep.clone()
                }
            })
            .collect()
    };
    generated.depends_on = localise(&task.depends_on);
    generated.depends_on_all = localise(&task.depends_on_all);
    generated
}
