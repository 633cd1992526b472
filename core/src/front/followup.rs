//! Follow-up documents, the text side: a later letter ("tiếp theo Công văn số …") checked
//! against the running workflow and compiled into an [`Amendment`]: the running spec with
//! the document's changes, compiled with the same [`LoadOptions`](crate::LoadOptions).
//! The engine applies it to an instance (`engine/followup.rs`); `glue.rs` joins the two.

use crate::front::compile::{compile, compile_due, parse_time_at};
use crate::front::load::{Loaded, parse_ron};
use crate::front::reporter::Reporter;
use crate::model::amendment::{Amended, Amendment};
use crate::model::diagnostic::{Code, Diagnostic, Severity, suggestion};
use crate::model::spec::{DueSpec, FORMAT_VERSION, FollowUpSpec, TaskSpec, WorkflowSpec};
use crate::model::time::Timestamp;
use crate::model::workflow::{AgencyId, Document, Due, Origin, Workflow};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;
use time::UtcOffset;

/// The top-level fields of a follow-up file, to bound each list's text.
const FIELDS: [&str; 21] = [
    "format",
    "number",
    "kind",
    "kind_gloss",
    "urgency",
    "issuer",
    "issued_at",
    "further_to",
    "subject",
    "subject_gloss",
    "add_tasks",
    "add_policies",
    "add_agencies",
    "add_groups",
    "add_members",
    "change_due",
    "cancel",
    "tighten",
    "extend_period",
    "end_period",
    "supersede",
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

/// The spans of a list's items, in order.
type ItemSpans = Vec<Option<Range<usize>>>;

/// The spans of a list's items keyed by `task: "id"`.
fn items(
    r: &Reporter<'_>,
    field: &str,
    len: usize,
    ids: impl Iterator<Item = String>,
) -> ItemSpans {
    let ids: Vec<String> = ids.collect();
    r.spans_within(
        &section_of(r, field, len),
        "task",
        ids.iter().map(String::as_str),
    )
}

/// The amendment a follow-up document (a [`FollowUpSpec`] text) makes to the `running`
/// workflow: its spec with the added tasks and policies, the new due rules and policies,
/// cancelled tasks no longer depended on, compiled with the options it was loaded with.
/// What can be checked without a running instance is checked here; the engine checks the
/// rest when it applies the amendment.
///
/// # Errors
/// Every problem, located in `text` (at least one is an error).
pub(crate) fn amendment(running: &Workflow, text: &str) -> Result<Amendment, Vec<Diagnostic>> {
    let Some(origin) = running.origin.as_deref() else {
        return Err(vec![Diagnostic {
            severity: Severity::Error,
            code: Code::FurtherToMismatch,
            message: "this workflow was not loaded from text, so it cannot be amended".to_owned(),
            span: None,
            location: None,
            hint: Some("load it with `load` or `load_with`".to_owned()),
            origin: None,
        }]);
    };
    let len = text.len();
    let mut spec: FollowUpSpec = parse_ron(text, &origin.options.limits).map_err(|d| vec![d])?;
    crate::front::nfc::follow_up(&mut spec);
    let mut r = Reporter::new(text);
    let offset = running.calendar.offset();
    let header = check_header(&mut r, &spec, running, origin, len);
    let added = check_added(&mut r, &spec, running, origin, len);
    let (change_items, cancel_items) =
        check_references(&mut r, &spec, (running, origin), offset, len);
    let period_items = check_periods(&mut r, &spec, origin, (offset, header.issued_at), len);
    if r.has_errors() {
        return Err(r.finish());
    }

    // Where the engine's checks will point: at the task a change or cancellation names.
    // Located items are disjoint, so finding each in its own is one pass over the text;
    // an item not located is searched for in the whole text, once per task.
    let mut unlocated: HashMap<&str, Option<Range<usize>>> = HashMap::new();
    let mut task_span = |item: &Option<Range<usize>>, task| match item {
        Some(_) => r.at(item, task),
        None => unlocated
            .entry(task)
            .or_insert_with(|| r.at(item, task))
            .clone(),
    };
    let change_due_spans: Vec<_> = spec
        .change_due
        .iter()
        .zip(&change_items)
        .map(|(change, item)| task_span(item, change.task.as_str()))
        .collect();
    let cancel_spans: Vec<_> = spec
        .cancel
        .iter()
        .zip(&cancel_items)
        .map(|(cancel, item)| task_span(item, cancel.task.as_str()))
        .collect();

    let period_spans: Vec<_> = spec
        .extend_period
        .iter()
        .map(|e| e.task.as_str())
        .chain(spec.end_period.iter().map(|e| e.task.as_str()))
        .chain(spec.supersede.iter().map(|e| e.task.as_str()))
        .zip(&period_items)
        .map(|(task, item)| task_span(item, task))
        .collect();

    // Checked above: the issue time parsed (else an error returned early).
    let issued_at = header.issued_at.unwrap_or(running.directive.issued_at);
    let clock_times = ClockTimes::of(running, issued_at, &spec);
    clock_times.check(&mut r, &spec, (&change_items, &added), running);
    if r.has_errors() {
        return Err(r.finish());
    }
    let amended = amended_spec(&origin.spec, &spec, &clock_times, offset);
    let loaded = match compile_amended(
        &mut r,
        (&amended, text),
        origin,
        (&spec, &change_items),
        &added,
    ) {
        Ok(loaded) => loaded,
        Err(others) => {
            let mut diagnostics = r.finish();
            diagnostics.extend(others);
            return Err(diagnostics);
        }
    };
    // The document's own warnings (none is an error here), then the added tasks'.
    let mut warnings = r.finish();
    warnings.extend(loaded.warnings.into_iter().filter(|d| added.contains(d)));
    let mut workflow = loaded.workflow;
    let mut follow_ups = origin.follow_ups.clone();
    follow_ups.push(Document {
        number: spec.number.clone(),
        kind: spec.kind.clone(),
        issuer: header
            .issuer
            .map_or_else(|| spec.issuer.clone(), |a| running.agency(a).name.clone()),
        issued_on: running.format_time(issued_at)[..10].to_owned(),
        subject: Some(spec.subject.clone()),
        gloss: spec.subject_gloss.clone(),
        implements: vec![spec.further_to.clone()],
    });
    workflow.documents.extend(follow_ups.iter().cloned());
    workflow.origin = Some(Arc::new(Origin {
        spec: amended,
        options: origin.options.clone(),
        follow_ups,
        children: origin.children.clone(),
    }));
    Ok(Amendment {
        amended: Amended {
            workflow,
            spec,
            warnings,
        },
        issued_at,
        issued_at_span: header.issued_span,
        change_due_spans,
        cancel_spans,
        period_spans,
    })
}

/// The document's own fields, checked against the running directive.
struct Header {
    issued_at: Option<Timestamp>,
    issued_span: Option<Range<usize>>,
    issuer: Option<AgencyId>,
}

/// Checks the format, issue time, issuer, `further_to` and number of the document.
fn check_header(
    r: &mut Reporter<'_>,
    spec: &FollowUpSpec,
    running: &Workflow,
    origin: &Origin,
    len: usize,
) -> Header {
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
    let offset = running.calendar.offset();
    let issued_span = field(r, "issued_at");
    let issued_at = parse_time_at(r, &spec.issued_at, offset, issued_span.clone());
    let issuer = running.agency_id(&spec.issuer);
    match issuer {
        None => {
            let hint = suggestion(&spec.issuer, running.agencies.iter().map(|a| a.id.as_str()));
            r.error_hint(
                Code::UnknownAgency,
                field(r, "issuer"),
                format!("unknown agency `{}`", spec.issuer),
                hint,
            );
        }
        // Only the issuer, or an agency the directive delegates to, may amend it.
        Some(issuer)
            if issuer != running.directive.issuer
                && !running.directive.delegates.contains(&issuer) =>
        {
            let own = &running.agency(running.directive.issuer).id;
            let allowed: Vec<&str> = std::iter::once(own.as_str())
                .chain(
                    running
                        .directive
                        .delegates
                        .iter()
                        .map(|&a| running.agency(a).id.as_str()),
                )
                .collect();
            r.error_hint(
                Code::IssuerMismatch,
                field(r, "issuer"),
                format!(
                    "the follow-up is issued by `{}`, who may not amend directive `{}` (issued by `{own}`{})",
                    spec.issuer,
                    running.directive.number,
                    match allowed.len() {
                        1 => ", which delegates to no agency".to_owned(),
                        _ => format!(", delegating to `{}`", allowed[1..].join("`, `")),
                    }
                ),
                Some(format!(
                    "a follow-up is issued by `{}`; for guidance of another agency's own, attach it as a child document (`implements: [\"{}\"]`), or add the agency to the directive's `delegates`",
                    allowed.join("` or `"),
                    running.directive.number
                )),
            );
        }
        Some(_) => {}
    }
    // The chain so far: the directive, then the follow-ups in the order applied.
    let chain: Vec<&str> = std::iter::once(running.directive.number.as_str())
        .chain(origin.follow_ups.iter().map(|d| d.number.as_str()))
        .collect();
    if !chain.contains(&spec.further_to.as_str()) {
        r.error_hint(
            Code::FurtherToMismatch,
            field(r, "further_to"),
            format!(
                "the follow-up is further to `{}`, but this instance runs `{}`",
                spec.further_to,
                chain.join("`, `")
            ),
            Some(format!(
                "a follow-up applies to the directive it follows: `further_to: \"{}\"`{}",
                running.directive.number,
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
            field(r, "number"),
            format!(
                "document `{}` is already part of this instance",
                spec.number
            ),
            Some("a follow-up is applied once; give a new document its own number".to_owned()),
        );
    }
    Header {
        issued_at,
        issued_span,
        issuer,
    }
}

/// Where the added tasks, policies, agencies and groups are in the text.
struct Added {
    tasks: Option<Range<usize>>,
    policies: Option<Range<usize>>,
    agencies: Option<Range<usize>>,
    groups: Option<Range<usize>>,
}

impl Added {
    /// Whether a diagnostic points into what the document adds.
    fn contains(&self, d: &Diagnostic) -> bool {
        d.span.as_ref().is_some_and(|s| {
            [&self.tasks, &self.policies, &self.agencies, &self.groups]
                .iter()
                .any(|section| section.as_ref().is_some_and(|x| x.contains(&s.start)))
        })
    }
}

/// Checks that the added tasks and policies have new ids.
fn check_added(
    r: &mut Reporter<'_>,
    spec: &FollowUpSpec,
    running: &Workflow,
    origin: &Origin,
    len: usize,
) -> Added {
    // Added ids must be new: a clash would silently replace running work.
    let add_tasks = section_of(r, "add_tasks", len);
    let task_spans = r.spans_within(
        &add_tasks,
        "id",
        spec.add_tasks.iter().map(|t| t.id.as_str()),
    );
    for (task, span) in spec.add_tasks.iter().zip(&task_spans) {
        if running.task_index.contains_key(&task.id) {
            let at = r.at(span, &task.id);
            r.error_hint(
                Code::DuplicateId,
                at,
                format!("task `{}` already exists in the running directive", task.id),
                Some("give the new task its own id, or use `change_due` / `tighten` to amend the existing one".to_owned()),
            );
        }
    }
    let add_policies = section_of(r, "add_policies", len);
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
    let (agencies, groups) = check_added_parties(r, spec, running, origin, len);
    Added {
        tasks: add_tasks,
        policies: add_policies,
        agencies,
        groups,
    }
}

/// Checks that added agencies and groups have new ids, and that members are added to a
/// group of the workflow's own that no running task fans out over (its running work
/// would change under it); returns where the added agencies and groups are.
fn check_added_parties(
    r: &mut Reporter<'_>,
    spec: &FollowUpSpec,
    running: &Workflow,
    origin: &Origin,
    len: usize,
) -> (Option<Range<usize>>, Option<Range<usize>>) {
    let is_group = |id: &str| running.groups.iter().any(|g| g.id == id);
    let taken = |id: &str| running.agency_id(id).is_some() || is_group(id);
    let add_agencies = section_of(r, "add_agencies", len);
    let add_groups = section_of(r, "add_groups", len);
    let agency_spans = r.spans_within(
        &add_agencies,
        "id",
        spec.add_agencies.iter().map(|a| a.id.as_str()),
    );
    let group_spans = r.spans_within(
        &add_groups,
        "id",
        spec.add_groups.iter().map(|g| g.id.as_str()),
    );
    let mut seen = BTreeSet::new();
    let added = spec
        .add_agencies
        .iter()
        .map(|a| (a.id.as_str(), "agency"))
        .zip(&agency_spans)
        .chain(
            spec.add_groups
                .iter()
                .map(|g| (g.id.as_str(), "group"))
                .zip(&group_spans),
        );
    for ((id, what), span) in added {
        if taken(id) {
            let at = r.at(span, id);
            r.error_hint(
                Code::DuplicateId,
                at,
                format!("`{id}` is already an agency or group of the running directive"),
                Some(format!(
                    "an added {what} needs an id of its own; name the existing one where it is used"
                )),
            );
        } else if !seen.insert(id) {
            let at = r.at(span, id);
            r.error_hint(
                Code::DuplicateId,
                at,
                format!("`{id}` is added twice"),
                Some("ids must be unique; rename one of them".to_owned()),
            );
        }
    }
    let members_section = section_of(r, "add_members", len);
    let member_spans = r.spans_within(
        &members_section,
        "group",
        spec.add_members.iter().map(|m| m.group.as_str()),
    );
    for (add, span) in spec.add_members.iter().zip(&member_spans) {
        let at = r.at(span, &add.group);
        let own = origin.spec.groups.iter().any(|g| g.id == add.group);
        if !own && is_group(&add.group) {
            r.error_hint(
                Code::GroupInUse,
                at,
                format!(
                    "group `{}` comes from a shared registry, which a follow-up does not change",
                    add.group
                ),
                Some("declare a group of this document's own in `add_groups`".to_owned()),
            );
            continue;
        }
        if !own {
            let groups = origin.spec.groups.iter().map(|g| g.id.as_str());
            let hint =
                suggestion(&add.group, groups).or(Some("new groups go in `add_groups`".to_owned()));
            r.error_hint(
                Code::UnknownGroup,
                at,
                format!("unknown group `{}` in the running directive", add.group),
                hint,
            );
            continue;
        }
        if let Some(task) = origin
            .spec
            .tasks
            .iter()
            .find(|t| t.for_each.as_deref() == Some(add.group.as_str()))
        {
            r.error_hint(
                Code::GroupInUse,
                at,
                format!(
                    "task `{}` fans out over group `{}`: new members would change its running work",
                    task.id, add.group
                ),
                Some(format!(
                    "declare a new group with the members in `add_groups` for the new task (`for_each` it), or cancel `{}` and add it again",
                    task.id
                )),
            );
        }
        for member in &add.members {
            let known = running.agency_id(member).is_some()
                || spec.add_agencies.iter().any(|a| a.id == *member);
            if !known {
                let agencies = running
                    .agencies
                    .iter()
                    .map(|a| a.id.as_str())
                    .chain(spec.add_agencies.iter().map(|a| a.id.as_str()));
                let hint = suggestion(member, agencies)
                    .or(Some("new agencies go in `add_agencies`".to_owned()));
                let at = r.at(span, member);
                r.error_hint(
                    Code::UnknownAgency,
                    at,
                    format!("group `{}` gains unknown member `{member}`", add.group),
                    hint,
                );
            }
        }
    }
    (add_agencies, add_groups)
}

/// Checks the tasks and policies that `change_due`, `cancel` and `tighten` name; returns
/// the spans of the `change_due` and `cancel` items.
fn check_references(
    r: &mut Reporter<'_>,
    spec: &FollowUpSpec,
    (running, origin): (&Workflow, &Origin),
    offset: UtcOffset,
    len: usize,
) -> (ItemSpans, ItemSpans) {
    let existing = |id: &str| origin.spec.tasks.iter().any(|t| t.id == id);
    // One member's instance of a fan-out (`evacuate[phu_yen]`), not a whole task.
    let member = |name: &str| !existing(name) && running.task_ref(name).is_some();
    let unknown_task = |r: &mut Reporter<'_>, id: &str, span: &Option<Range<usize>>| {
        // `evacuate[phu_yen]`: a member the task does not fan out to, or a task that
        // does not fan out at all.
        let base = id.split('[').next().unwrap_or(id);
        let hint = match running.task_id(base).filter(|_| base != id) {
            Some(task) => {
                let def = running.task(task);
                let members = || {
                    def.instances
                        .clone()
                        .map(|i| running.slots[i as usize].name.as_str())
                };
                if def.instances.len() == 1
                    && running.slots[def.instances.start as usize].member.is_none()
                {
                    Some(format!(
                        "`{base}` does not fan out to members: name the whole task, `task: \"{base}\"`"
                    ))
                } else {
                    // Judged on the member's id alone: the shared `task[` prefix would
                    // make any name look close.
                    let asked = id[base.len()..].trim_matches(['[', ']']);
                    let ids = def.instances.clone().filter_map(|i| {
                        let agency = running.slots[i as usize].member?;
                        Some(running.agency(agency).id.as_str())
                    });
                    match suggestion(asked, ids) {
                        Some(_) => suggestion(id, members()),
                        None => Some(format!(
                            "`{base}` fans out to {}",
                            members().take(5).collect::<Vec<_>>().join(", ")
                        )),
                    }
                }
            }
            None => suggestion(id, origin.spec.tasks.iter().map(|t| t.id.as_str())).or(Some(
                "a follow-up amends the tasks of the running directive; new ones go in `add_tasks`"
                    .to_owned(),
            )),
        };
        let at = r.at(span, id);
        r.error_hint(
            Code::UnknownTask,
            at,
            format!("unknown task `{id}` in the running directive"),
            hint,
        );
    };
    // Only cancelling works member by member: a due rule or a policy is the whole task's.
    let whole_only = |r: &mut Reporter<'_>, id: &str, span: &Option<Range<usize>>, what: &str| {
        let base = id.split('[').next().unwrap_or(id);
        let at = r.at(span, id);
        r.error_hint(
            Code::MemberChangeUnsupported,
            at,
            format!("a follow-up {what} of a whole task, not of one member's instance `{id}`"),
            Some(format!(
                "name the whole task, `task: \"{base}\"`, or cancel `{id}` and add a task of its own in `add_tasks`"
            )),
        );
    };
    let change_items = items(
        r,
        "change_due",
        len,
        spec.change_due.iter().map(|c| c.task.clone()),
    );
    for (change, span) in spec.change_due.iter().zip(&change_items) {
        if member(&change.task) {
            whole_only(r, &change.task, span, "changes the due rule");
        } else if !existing(&change.task) {
            unknown_task(r, &change.task, span);
        }
        let in_force = |t: &TaskSpec| t.id == change.task && t.in_force.is_some();
        if origin.spec.tasks.iter().any(in_force) {
            let at = r.at(span, &change.task);
            r.error_hint(
                Code::PeriodWithDue,
                at,
                format!(
                    "task `{}` is a measure in force: its due time is its final report's, after the period",
                    change.task
                ),
                Some("move the end of the period with `extend_period` (or lift it with `end_period`)".to_owned()),
            );
        }
        // The rule's own texts (times, durations), located in this document.
        compile_due(r, &change.due, span, offset);
    }
    let cancel_items = items(r, "cancel", len, spec.cancel.iter().map(|c| c.task.clone()));
    for (cancel, span) in spec.cancel.iter().zip(&cancel_items) {
        if !existing(&cancel.task) && !member(&cancel.task) {
            unknown_task(r, &cancel.task, span);
        }
    }
    let tighten_spans = items(
        r,
        "tighten",
        len,
        spec.tighten.iter().map(|t| t.task.clone()),
    );
    for (tighten, span) in spec.tighten.iter().zip(&tighten_spans) {
        if member(&tighten.task) {
            whole_only(r, &tighten.task, span, "sets the escalation policy");
        } else if !existing(&tighten.task) {
            unknown_task(r, &tighten.task, span);
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
    (change_items, cancel_items)
}

/// The clock times of a follow-up (`ClockTime(at, days)` in `change_due` and in the added
/// tasks), each as the instant it means in a letter: `days` after the day the follow-up
/// is issued. In a workflow a clock time counts from each task's start; a telegram of
/// 14/11 saying "before 16:00 today" means 14/11 at 16:00 for every task it touches,
/// whenever those started (days earlier, for a change to a running task).
struct ClockTimes {
    /// Per `change_due` item: the instant its `ClockTime` means.
    change_due: Vec<Option<Timestamp>>,
    /// Per added task: the instant its `ClockTime` due means.
    add_tasks: Vec<Option<Timestamp>>,
    issued_at: Timestamp,
}

impl ClockTimes {
    fn of(running: &Workflow, issued_at: Timestamp, spec: &FollowUpSpec) -> Self {
        let offset = running.calendar.offset();
        // The texts were checked (`check_references`, and the added tasks' compile
        // reports a bad clock time in place): a scratch reporter drops a repeat.
        let instant = |due: Option<&DueSpec>| match due? {
            DueSpec::ClockTime { .. } => {
                match compile_due(&mut Reporter::new(""), due?, &None, offset)? {
                    Due::ClockTime { at, days } => running.calendar.clock_time(issued_at, days, at),
                    _ => None,
                }
            }
            _ => None,
        };
        ClockTimes {
            change_due: spec
                .change_due
                .iter()
                .map(|c| instant(Some(&c.due)))
                .collect(),
            add_tasks: spec
                .add_tasks
                .iter()
                .map(|t| instant(t.due.as_ref()))
                .collect(),
            issued_at,
        }
    }

    /// A clock time already past when the follow-up is issued ("before 16:00 today" in
    /// a letter of 17:00): an error for a change to a running task (the engine would
    /// refuse it as `due-before-follow-up` when applied), a warning for an added task
    /// (overdue as soon as it starts).
    fn check(
        &self,
        r: &mut Reporter<'_>,
        spec: &FollowUpSpec,
        (change_items, added): (&[Option<Range<usize>>], &Added),
        running: &Workflow,
    ) {
        let clock = |due: Option<&DueSpec>| match due {
            Some(DueSpec::ClockTime { at, days }) => Some((at.clone(), *days)),
            _ => None,
        };
        let issued = running.format_time(self.issued_at);
        for ((change, item), t) in spec
            .change_due
            .iter()
            .zip(change_items)
            .zip(&self.change_due)
        {
            if let (Some(t), Some((at, days))) = (t, clock(Some(&change.due)))
                && *t < self.issued_at
            {
                r.error_hint(
                    Code::DueBeforeFollowUp,
                    r.at(item, &at),
                    format!(
                        "the new due time of task `{}`, {at} {}, is {} (in a follow-up a clock time counts from the day it is issued), before the follow-up is issued at {issued}",
                        change.task,
                        day_words(days),
                        running.format_time(*t)
                    ),
                    Some("give a later clock time, or `days: 1` for tomorrow".to_owned()),
                );
            }
        }
        let task_spans = r.spans_within(
            &added.tasks,
            "id",
            spec.add_tasks.iter().map(|t| t.id.as_str()),
        );
        for ((task, item), t) in spec.add_tasks.iter().zip(&task_spans).zip(&self.add_tasks) {
            if let (Some(t), Some((at, days))) = (t, clock(task.due.as_ref()))
                && *t < self.issued_at
            {
                r.push(
                    Severity::Warning,
                    Code::DueBeforeFollowUp,
                    r.at(item, &at),
                    format!(
                        "added task `{}` is due {at} {}, which is {} (in a follow-up a clock time counts from the day it is issued), before the follow-up is issued at {issued}: it is overdue as soon as it starts",
                        task.id,
                        day_words(days),
                        running.format_time(*t)
                    ),
                    Some("give a later clock time, or `days: 1` for tomorrow".to_owned()),
                );
            }
        }
    }
}

/// "today", "tomorrow", "N days later": a `ClockTime`'s `days` as the letter says it.
fn day_words(days: u32) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("{n} days after the issue day"),
    }
}

/// A due rule as the amended spec holds it: a clock time of the follow-up as the absolute
/// time it means (see [`ClockTimes`]), anything else as written.
fn anchored(due: &DueSpec, instant: Option<Timestamp>, offset: UtcOffset) -> DueSpec {
    match instant {
        Some(t) => DueSpec::At(t.to_short(offset)),
        None => due.clone(),
    }
}

/// Checks the tasks that `extend_period` and `end_period` name (each must be a measure
/// in force) and the new ends (after the document's issue time); returns the spans of
/// their items, `extend_period`'s first.
fn check_periods(
    r: &mut Reporter<'_>,
    spec: &FollowUpSpec,
    origin: &Origin,
    (offset, issued_at): (UtcOffset, Option<Timestamp>),
    len: usize,
) -> ItemSpans {
    let check_task = |r: &mut Reporter<'_>, id: &str, span: &Option<Range<usize>>| {
        let Some(task) = origin.spec.tasks.iter().find(|t| t.id == id) else {
            let hint = suggestion(id, origin.spec.tasks.iter().map(|t| t.id.as_str()));
            let at = r.at(span, id);
            r.error_hint(
                Code::UnknownTask,
                at,
                format!("unknown task `{id}` in the running directive"),
                hint,
            );
            return;
        };
        if task.in_force.is_none() {
            let at = r.at(span, id);
            r.error_hint(
                Code::NoPeriod,
                at,
                format!("task `{id}` is not a measure in force for a period"),
                Some("only a task with `in_force` has a period to extend or end; to move a deadline, use `change_due`".to_owned()),
            );
        }
    };
    let mut spans = items(
        r,
        "extend_period",
        len,
        spec.extend_period.iter().map(|e| e.task.clone()),
    );
    for (extend, span) in spec.extend_period.iter().zip(&spans) {
        check_task(r, &extend.task, span);
        let at = r.at(span, &extend.until);
        if let (Some(until), Some(issued_at)) = (
            parse_time_at(r, &extend.until, offset, at.clone()),
            issued_at,
        ) && until <= issued_at
        {
            r.error_hint(
                Code::InvalidPeriod,
                at,
                format!(
                    "the new end of task `{}`'s period, {}, is not after this document is issued",
                    extend.task,
                    until.to_rfc3339(offset)
                ),
                Some("to lift the measure now, list the task in `end_period`".to_owned()),
            );
        }
    }
    let ends = items(
        r,
        "end_period",
        len,
        spec.end_period.iter().map(|e| e.task.clone()),
    );
    for (end, span) in spec.end_period.iter().zip(&ends) {
        check_task(r, &end.task, span);
    }
    spans.extend(ends);
    let supersedes = items(
        r,
        "supersede",
        len,
        spec.supersede.iter().map(|e| e.task.clone()),
    );
    for (supersede, span) in spec.supersede.iter().zip(&supersedes) {
        check_task(r, &supersede.task, span);
        let successor = spec.add_tasks.iter().find(|t| t.id == supersede.by);
        if successor.is_none_or(|t| t.in_force.is_none()) {
            let at = r.at(span, &supersede.by);
            let hint = match successor {
                None => suggestion(&supersede.by, spec.add_tasks.iter().map(|t| t.id.as_str())).or(
                    Some("the successor is a task this document adds, in `add_tasks`".to_owned()),
                ),
                Some(_) => Some(
                    "give the successor an `in_force` period; the old one ends when it begins"
                        .to_owned(),
                ),
            };
            r.error_hint(
                Code::NoPeriod,
                at,
                format!(
                    "`{}` supersedes task `{}`, but is not a measure in force that this document adds",
                    supersede.by, supersede.task
                ),
                hint,
            );
        }
    }
    spans.extend(supersedes);
    spans
}

/// The running spec with the document's changes: tasks and policies added (clock times
/// anchored on the issue day), due rules and policies replaced, cancelled tasks no longer
/// depended on.
fn amended_spec(
    running: &WorkflowSpec,
    spec: &FollowUpSpec,
    clock_times: &ClockTimes,
    offset: UtcOffset,
) -> WorkflowSpec {
    let mut amended = running.clone();
    amended
        .tasks
        .extend(
            spec.add_tasks
                .iter()
                .zip(&clock_times.add_tasks)
                .map(|(task, &instant)| {
                    let mut task = task.clone();
                    task.due = task.due.map(|due| anchored(&due, instant, offset));
                    task
                }),
        );
    amended.policies.extend(spec.add_policies.iter().cloned());
    // Appended, so the running agencies and groups keep their indices.
    amended
        .agencies
        .list
        .extend(spec.add_agencies.iter().cloned());
    amended.groups.extend(spec.add_groups.iter().cloned());
    for add in &spec.add_members {
        if let Some(group) = amended.groups.iter_mut().find(|g| g.id == add.group) {
            group.members.extend(add.members.iter().cloned());
        }
    }
    let cancelled: BTreeSet<&str> = spec.cancel.iter().map(|c| c.task.as_str()).collect();
    for task in &mut amended.tasks {
        if let Some((change, &instant)) = spec
            .change_due
            .iter()
            .zip(&clock_times.change_due)
            .rev()
            .find(|(c, _)| c.task == task.id)
        {
            task.due = Some(anchored(&change.due, instant, offset));
        }
        if let Some(tighten) = spec.tighten.iter().rev().find(|t| t.task == task.id) {
            task.policy = Some(tighten.policy.clone());
        }
        // A period moved keeps its beginning and takes the new end: the extension's, or
        // the document's issue time for a measure lifted.
        let new_end = spec
            .extend_period
            .iter()
            .rev()
            .find(|e| e.task == task.id)
            .map(|e| &e.until)
            .or_else(|| {
                spec.end_period
                    .iter()
                    .any(|e| e.task == task.id)
                    .then_some(&spec.issued_at)
            })
            .or_else(|| {
                // Superseded: the old measure ends when its successor comes into force.
                let supersede = spec.supersede.iter().rev().find(|e| e.task == task.id)?;
                let successor = spec.add_tasks.iter().find(|t| t.id == supersede.by)?;
                Some(
                    successor
                        .in_force
                        .as_ref()
                        .and_then(|p| p.from.as_ref())
                        .unwrap_or(&spec.issued_at),
                )
            });
        if let (Some(period), Some(until)) = (task.in_force.as_mut(), new_end) {
            period.length = None;
            period.until = Some(until.clone());
        }
        // A withdrawn item is no longer awaited by what depended on it.
        task.depends_on.retain(|d| !cancelled.contains(d.as_str()));
        task.depends_on_all
            .retain(|d| !cancelled.contains(d.as_str()));
    }
    amended
}

/// Compiles the amended spec against this document's text; on failure, the diagnostics
/// that are not reported through `r`.
fn compile_amended(
    r: &mut Reporter<'_>,
    (amended, text): (&WorkflowSpec, &str),
    origin: &Origin,
    (spec, change_items): (&FollowUpSpec, &[Option<Range<usize>>]),
    added: &Added,
) -> Result<Loaded, Vec<Diagnostic>> {
    // Compile against this document's text with the `add_` list keys renamed in place
    // (same length, so every span and line:column holds): the added tasks, policies,
    // agencies and groups are then found where the loader looks for `tasks`,
    // `policies`, `agencies` and `groups`, and their diagnostics point into this
    // document.
    let mut shadow = text.to_owned();
    for (from, to) in [
        ("add_tasks", "    tasks"),
        ("add_policies", "    policies"),
        ("add_agencies", "    agencies"),
        ("add_groups", "    groups"),
    ] {
        if let Some(at) = r.locator.top_field(from) {
            shadow.replace_range(at..at + from.len(), to);
        }
    }
    compile(amended, &shadow, &origin.options).map_err(|e| {
        // The running parts compiled before: every error is this document's. One
        // found on a running task whose due rule this document changes (a due time
        // out of range) has no place in this text: it is located at the change.
        let mut others = Vec::new();
        for d in e
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error() || added.contains(d))
        {
            let change = spec
                .change_due
                .iter()
                .zip(change_items)
                .rev()
                .find(|(c, _)| {
                    d.code == Code::OutOfRange && d.message.contains(&format!("task `{}`", c.task))
                });
            match change {
                Some((change, span)) if d.span.is_none() => {
                    let at = r.at(span, &change.task);
                    r.error_hint(d.code, at, d.message, d.hint);
                }
                _ => others.push(d),
            }
        }
        others
    })
}
