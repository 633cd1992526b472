//! Child documents, the text side: an implementing directive issued later by another
//! agency ("Bộ Y tế hướng dẫn thực hiện Chỉ thị …"), a workflow file of its own whose
//! `implements` names the running directive, attached to the running instance.
//!
//! A child is checked on its own first (it is a directive file, so `directrix validate`
//! reads it alone), then against the running workflow, and becomes an [`Amendment`] that
//! only adds: its agencies, groups, machines, policies and tasks join the running spec
//! (appended, so running indices stay), its tasks supervised by its issuer unless they
//! name a supervisor. The engine applies that amendment as it applies a follow-up's
//! (`engine/followup.rs`), and journals the child's text as a `follow_up` input, so a
//! host that journals and replays follow-ups runs children unchanged.
//!
//! Its tasks run in the parent's instance, not a linked one: they escalate to the
//! parent's issuer (`ParentIssuer`), show in the parent's grid and timeline, and replay
//! with the parent's journal, with no messages between instances (the engine has none).

use crate::front::compile::{compile, parse_time_at};
use crate::front::load::{load_with, parse_ron};
use crate::front::reporter::Reporter;
use crate::model::amendment::{Amended, Amendment};
use crate::model::diagnostic::{Code, Diagnostic, suggestion};
use crate::model::spec::{FollowUpSpec, TargetSpec, WorkflowSpec};
use crate::model::workflow::{ChildDocument, Document, Origin, Workflow};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Whether `text` is a child document (a workflow file, with a `directive`) rather than a
/// follow-up: a follow-up has no `directive` field.
pub(crate) fn is_child(text: &str) -> bool {
    crate::front::locator::Locator::new(text)
        .top_field("directive")
        .is_some()
}

/// The amendment attaching the child document `text` to the `running` workflow.
///
/// # Errors
/// Every problem, located in `text`: the child's own (as `validate` reports them), then
/// `unknown-parent` (it implements nothing), `implements-mismatch` (it implements a
/// document this instance does not run), `child-before-parent` (issued before the
/// running directive), `duplicate-id` (a task, or a different policy, machine, template
/// or group, under an id the running workflow has, or a number already attached),
/// `unknown-registry` (a registry the running directive does not use).
pub(crate) fn amendment(running: &Workflow, text: &str) -> Result<Amendment, Vec<Diagnostic>> {
    let Some(origin) = running.origin.as_deref() else {
        return Err(vec![Diagnostic {
            severity: crate::model::diagnostic::Severity::Error,
            code: Code::UnknownParent,
            message: "this workflow was not loaded from text, so no child can be attached"
                .to_owned(),
            span: None,
            location: None,
            hint: Some("load it with `load` or `load_with`".to_owned()),
            origin: None,
        }]);
    };
    // On its own first: a child is a directive file and must be valid as one.
    let own = load_with(text, &origin.options).map_err(|e| e.diagnostics)?;
    let mut child: WorkflowSpec = parse_ron(text, &origin.options.limits).map_err(|d| vec![d])?;
    crate::front::nfc::workflow(&mut child);
    let mut r = Reporter::new(text);
    let directive_span = r.key("directive").map(|s| s.start..text.len());
    let offset = running.calendar.offset();
    let issued_span = r.field_at(&directive_span, "issued_at");
    let issued_at = parse_time_at(
        &mut r,
        &child.directive.issued_at,
        offset,
        issued_span.clone(),
    )
    .unwrap_or(running.directive.issued_at);

    // The chain it may implement: the directive, then the documents applied to it.
    let chain: Vec<&str> = std::iter::once(running.directive.number.as_str())
        .chain(origin.follow_ups.iter().map(|d| d.number.as_str()))
        .collect();
    let implements = child.directive.implements.clone();
    let parent = implements
        .iter()
        .find(|n| chain.contains(&n.as_str()))
        .cloned();
    let number_span = r.field_at(&directive_span, "number");
    if implements.is_empty() {
        r.error_hint(
            Code::UnknownParent,
            number_span.clone(),
            format!(
                "child document `{}` implements no document, so it has no parent to attach to",
                child.directive.number
            ),
            Some(format!(
                "name the directive it carries out: `implements: [\"{}\"]`",
                running.directive.number
            )),
        );
    } else if parent.is_none() {
        let at = r.value_in_field(&directive_span, "implements", &implements[0]);
        r.error_hint(
            Code::ImplementsMismatch,
            at,
            format!(
                "child document `{}` implements `{}`, but this instance runs `{}`",
                child.directive.number,
                implements.join("`, `"),
                chain.join("`, `")
            ),
            suggestion(&implements[0], chain.iter().copied()).or(Some(format!(
                "attach it to an instance of the directive it implements, or name this one: `implements: [\"{}\"]`",
                running.directive.number
            ))),
        );
    }
    if chain.contains(&child.directive.number.as_str()) {
        r.error_hint(
            Code::DuplicateId,
            number_span,
            format!(
                "document `{}` is already part of this instance",
                child.directive.number
            ),
            Some("a child is attached once; give a new document its own number".to_owned()),
        );
    }
    if issued_at < running.directive.issued_at {
        r.error_hint(
            Code::ChildBeforeParent,
            issued_span.clone(),
            format!(
                "child document `{}` is issued at {}, before directive `{}` it implements ({})",
                child.directive.number,
                running.format_time(issued_at),
                running.directive.number,
                running.format_time(running.directive.issued_at)
            ),
            Some("an implementing document comes after its parent: check `issued_at`".to_owned()),
        );
    }

    let issuer = child.directive.issuer.clone();
    let added = merge(
        &mut r,
        &mut child,
        (running, origin),
        &own.workflow,
        text.len(),
    );
    if r.has_errors() {
        return Err(r.finish());
    }
    let mut amended = origin.spec.clone();
    amended.agencies.list.extend(added.agencies.iter().cloned());
    amended.groups.extend(added.groups.iter().cloned());
    amended.machines.extend(added.machines);
    amended.policies.extend(added.policies.iter().cloned());
    amended.templates.extend(added.templates);
    amended.tasks.extend(child.tasks.iter().cloned());
    // Compiled against the child's text: its sections have the keys the loader looks
    // for, so what it adds is located there.
    let loaded = compile(&amended, text, &origin.options).map_err(|e| {
        let mut diagnostics = r.finish();
        diagnostics.extend(e.diagnostics.into_iter().filter(Diagnostic::is_error));
        diagnostics
    })?;
    let parent = parent.unwrap_or_default();
    let mut follow_ups = origin.follow_ups.clone();
    follow_ups.push(Document {
        number: child.directive.number.clone(),
        kind: child.directive.kind.clone(),
        issuer: own
            .workflow
            .agency(own.workflow.directive.issuer)
            .name
            .clone(),
        issued_on: running.format_time(issued_at)[..10].to_owned(),
        subject: Some(child.directive.subject.clone()),
        gloss: child.directive.subject_gloss.clone(),
        implements,
    });
    let mut children = origin.children.clone();
    children.push(ChildDocument {
        number: child.directive.number.clone(),
        issuer: issuer.clone(),
        implements: parent.clone(),
        tasks: child.tasks.iter().map(|t| t.id.clone()).collect(),
    });
    let mut workflow = loaded.workflow;
    workflow.documents.extend(follow_ups.iter().cloned());
    workflow.origin = Some(Arc::new(Origin {
        spec: amended,
        options: origin.options.clone(),
        follow_ups,
        children,
    }));
    // What the engine reads of the document: it adds, and changes nothing running.
    let spec = FollowUpSpec {
        format: child.format,
        number: child.directive.number,
        kind: child.directive.kind,
        kind_gloss: child.directive.kind_gloss,
        urgency: child.directive.urgency,
        issuer,
        issued_at: child.directive.issued_at,
        further_to: parent,
        subject: child.directive.subject,
        subject_gloss: child.directive.subject_gloss,
        add_tasks: child.tasks,
        add_policies: added.policies,
        add_agencies: added.agencies,
        add_groups: added.groups,
        add_members: Vec::new(),
        change_due: Vec::new(),
        cancel: Vec::new(),
        tighten: Vec::new(),
        extend_period: Vec::new(),
        end_period: Vec::new(),
        supersede: Vec::new(),
    };
    Ok(Amendment {
        amended: Amended {
            workflow,
            spec,
            warnings: own.warnings,
        },
        issued_at,
        issued_at_span: issued_span,
        change_due_spans: Vec::new(),
        cancel_spans: Vec::new(),
        period_spans: Vec::new(),
    })
}

/// What a child adds to the running spec besides its tasks.
struct Added {
    agencies: Vec<crate::model::spec::AgencySpec>,
    groups: Vec<crate::model::spec::GroupSpec>,
    machines: Vec<crate::model::spec::MachineSpec>,
    policies: Vec<crate::model::spec::PolicySpec>,
    templates: Vec<crate::model::spec::TemplateSpec>,
}

/// Checks what the child declares against the running workflow and returns what it adds;
/// rewrites its tasks (supervised by the child's issuer unless they say otherwise) and
/// its policies (`Issuer` is the child's issuer, not the running directive's).
fn merge(
    r: &mut Reporter<'_>,
    child: &mut WorkflowSpec,
    (running, origin): (&Workflow, &Origin),
    own: &Workflow,
    len: usize,
) -> Added {
    let section = |r: &Reporter<'_>, key: &str| r.key(key).map(|s| s.start..len);
    let issuer = child.directive.issuer.clone();

    let agencies_span = section(r, "agencies");
    for name in &child.agencies.uses {
        if !origin.spec.agencies.uses.contains(name) {
            let at = r.value_in_field(&agencies_span, "use", name);
            r.error_hint(
                Code::UnknownRegistry,
                at,
                format!(
                    "registry `{name}` is not used by directive `{}`, so its units are not agencies of the running instance",
                    running.directive.number
                ),
                Some("list the agencies the child needs under `list`".to_owned()),
            );
        }
    }
    let agencies: Vec<_> = child
        .agencies
        .list
        .iter()
        .filter(|a| running.agency_id(&a.id).is_none())
        .cloned()
        .collect();

    let groups_span = section(r, "groups");
    let members = |w: &Workflow, id: &str| -> Option<BTreeSet<String>> {
        let group = w.groups.iter().find(|g| g.id == id)?;
        Some(
            group
                .members
                .iter()
                .map(|&m| w.agency(m).id.clone())
                .collect(),
        )
    };
    let mut groups = Vec::new();
    for group in &child.groups {
        match members(running, &group.id) {
            None => groups.push(group.clone()),
            Some(theirs) if Some(&theirs) == members(own, &group.id).as_ref() => {}
            Some(_) => {
                let at = r.value_in_field(&groups_span, "id", &group.id);
                r.error_hint(
                    Code::DuplicateId,
                    at,
                    format!(
                        "group `{}` has other members than the running directive's group of that id",
                        group.id
                    ),
                    Some("give the child's group its own id".to_owned()),
                );
            }
        }
    }

    for policy in &mut child.policies {
        for level in &mut policy.levels {
            if level.target == TargetSpec::Issuer {
                level.target = TargetSpec::Agency(issuer.clone());
            }
        }
    }
    let policies = new_items(
        r,
        ("policies", len),
        &child.policies,
        &origin.spec.policies,
        |p| &p.id,
    );
    let machines = new_items(
        r,
        ("machines", len),
        &child.machines,
        &origin.spec.machines,
        |m| &m.id,
    );
    let templates = new_items(
        r,
        ("templates", len),
        &child.templates,
        &origin.spec.templates,
        |t| &t.id,
    );

    let tasks_span = section(r, "tasks");
    for task in &mut child.tasks {
        if running.task_index.contains_key(&task.id) {
            let at = r.value_in_field(&tasks_span, "id", &task.id);
            r.error_hint(
                Code::DuplicateId,
                at,
                format!(
                    "task `{}` already exists in the running directive `{}`",
                    task.id, running.directive.number
                ),
                Some("give the child's task its own id".to_owned()),
            );
        }
        // The child's issuer follows its tasks, as the running directive's issuer
        // follows its own.
        task.supervisor.get_or_insert_with(|| issuer.clone());
    }
    Added {
        agencies,
        groups,
        machines,
        policies,
        templates,
    }
}

/// The items of the child's section `key` that the running spec lacks; one under an id
/// the running spec has with other content is a `duplicate-id` error.
fn new_items<T: Clone + PartialEq>(
    r: &mut Reporter<'_>,
    (key, len): (&str, usize),
    child: &[T],
    running: &[T],
    id: impl Fn(&T) -> &String,
) -> Vec<T> {
    let span = r.key(key).map(|s| s.start..len);
    let mut added = Vec::new();
    for item in child {
        match running.iter().find(|x| id(x) == id(item)) {
            None => added.push(item.clone()),
            Some(same) if same == item => {}
            Some(_) => {
                let at = r.value_in_field(&span, "id", id(item));
                r.error_hint(
                    Code::DuplicateId,
                    at,
                    format!(
                        "`{}` under `{key}` differs from the running directive's of that id",
                        id(item)
                    ),
                    Some("give the child's one its own id, or copy the running one".to_owned()),
                );
            }
        }
    }
    added
}
