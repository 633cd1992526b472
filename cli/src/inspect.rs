//! `inspect`: what a workflow says, as a table or JSON.

use crate::diagnostics::to_json;
use crate::{Format, Reported};
use directrix_core::{AgencyId, Workflow};
use serde::Serialize;

/// The JSON form of `inspect` (a documented contract, see README).
#[derive(Serialize)]
struct Inspection<'w> {
    directive: DirectiveView<'w>,
    documents: &'w [directrix_core::Document],
    calendar: CalendarView,
    agencies: Vec<AgencyView<'w>>,
    groups: Vec<GroupView<'w>>,
    tasks: Vec<TaskView<'w>>,
    critical_path: Vec<&'w str>,
}

#[derive(Serialize)]
struct DirectiveView<'w> {
    number: &'w str,
    kind: &'w str,
    kind_gloss: Option<&'w str>,
    urgency: directrix_core::spec::Urgency,
    issuer: &'w str,
    signer: Option<&'w directrix_core::spec::SignerSpec>,
    place: Option<&'w str>,
    issued_at: String,
    subject: &'w str,
    subject_gloss: Option<&'w str>,
    addressees: Vec<&'w str>,
    copies: Vec<CopyView<'w>>,
    implements: &'w [String],
}

#[derive(Serialize)]
struct CopyView<'w> {
    to: &'w str,
    purpose: Option<&'w str>,
    purpose_gloss: Option<&'w str>,
}

#[derive(Serialize)]
struct CalendarView {
    utc_offset: String,
}

#[derive(Serialize)]
struct AgencyView<'w> {
    id: &'w str,
    name: &'w str,
    gloss: Option<&'w str>,
    kind: directrix_core::spec::AgencyKind,
    parent: Option<&'w str>,
}

#[derive(Serialize)]
struct GroupView<'w> {
    id: &'w str,
    name: &'w str,
    members: Vec<&'w str>,
}

#[derive(Serialize)]
struct TaskView<'w> {
    id: &'w str,
    title: &'w str,
    gloss: Option<&'w str>,
    leads: Vec<&'w str>,
    for_each: Option<&'w str>,
    instances: usize,
    support: Vec<&'w str>,
    depends_on: Vec<&'w str>,
    supervisor: &'w str,
    machine: &'w str,
    policy: Option<&'w str>,
    start: String,
    due: String,
    planned_start: String,
    planned_due: Option<String>,
    critical: bool,
}

fn ids<'w>(workflow: &'w Workflow, agencies: &[AgencyId]) -> Vec<&'w str> {
    agencies
        .iter()
        .map(|a| workflow.agency(*a).id.as_str())
        .collect()
}

pub(crate) fn inspect(workflow: &Workflow, format: Format) -> Result<(), Reported> {
    let plan = workflow.plan();
    let critical = workflow.critical_path();
    let d = workflow.directive();
    let inspection = Inspection {
        directive: DirectiveView {
            number: &d.number,
            kind: &d.kind,
            kind_gloss: d.kind_gloss.as_deref(),
            urgency: d.urgency,
            issuer: &workflow.agency(d.issuer).id,
            signer: d.signer.as_ref(),
            place: d.place.as_deref(),
            issued_at: workflow.format_time(d.issued_at),
            subject: &d.subject,
            subject_gloss: d.subject_gloss.as_deref(),
            addressees: ids(workflow, &d.addressees),
            copies: d
                .copies
                .iter()
                .map(|c| CopyView {
                    to: c
                        .to
                        .map_or("addressees", |a| workflow.agency(a).id.as_str()),
                    purpose: c.purpose.as_deref(),
                    purpose_gloss: c.purpose_gloss.as_deref(),
                })
                .collect(),
            implements: &d.implements,
        },
        documents: workflow.documents(),
        calendar: CalendarView {
            utc_offset: workflow.calendar().offset_text(),
        },
        agencies: workflow
            .agencies()
            .iter()
            .map(|a| AgencyView {
                id: &a.id,
                name: &a.name,
                gloss: a.gloss.as_deref(),
                kind: a.kind,
                parent: a.parent.map(|p| workflow.agency(p).id.as_str()),
            })
            .collect(),
        groups: workflow
            .groups()
            .iter()
            .map(|g| GroupView {
                id: &g.id,
                name: &g.name,
                members: ids(workflow, &g.members),
            })
            .collect(),
        tasks: workflow
            .tasks()
            .iter()
            .enumerate()
            .map(|(i, t)| TaskView {
                id: &t.id,
                title: &t.title,
                gloss: t.gloss.as_deref(),
                leads: ids(workflow, &t.leads),
                for_each: t.for_each.map(|g| workflow.groups()[g.index()].id.as_str()),
                instances: t.instances.len(),
                support: ids(workflow, &t.support),
                depends_on: t
                    .depends_on
                    .iter()
                    .map(|d| workflow.task(*d).id.as_str())
                    .collect(),
                supervisor: &workflow.agency(t.supervisor).id,
                machine: &workflow.machines()[t.machine.index()].id,
                policy: t.policy.map(|p| workflow.policies()[p].id.as_str()),
                start: workflow.describe_start(t.start),
                due: workflow.describe_due(t.due),
                planned_start: workflow.format_time(plan[i].start),
                planned_due: plan[i].due.map(|t| workflow.format_time(t)),
                critical: critical.iter().any(|c| c.index() == i),
            })
            .collect(),
        critical_path: critical
            .iter()
            .map(|t| workflow.task(*t).id.as_str())
            .collect(),
    };
    match format {
        Format::Json => outln!("{}", to_json(&inspection)),
        Format::Table => print_table(workflow, &inspection),
    }
    Ok(())
}

fn print_table(workflow: &Workflow, inspection: &Inspection<'_>) {
    let d = workflow.directive();
    let short = |t| directrix_core::Timestamp::to_short(t, workflow.calendar().offset());
    outln!(
        "{} · {}{} · {:?}",
        d.number,
        d.kind,
        d.kind_gloss
            .as_ref()
            .map(|g| format!(" ({g})"))
            .unwrap_or_default(),
        d.urgency
    );
    outln!("{}", d.subject);
    if let Some(gloss) = &d.subject_gloss {
        outln!("  {gloss}");
    }
    outln!(
        "Issued {} ({}){} by {}",
        short(d.issued_at),
        inspection.calendar.utc_offset,
        d.place
            .as_ref()
            .map(|p| format!(" at {p}"))
            .unwrap_or_default(),
        workflow.agency(d.issuer).name
    );
    if let Some(s) = &d.signer {
        outln!(
            "Signed {} {}, {} {}",
            s.prefix,
            s.on_behalf_of,
            s.title,
            s.name
        );
    }
    if !d.implements.is_empty() {
        outln!("Implements {}", d.implements.join(", "));
    }
    outln!();
    outln!("Agencies");
    let roots: Vec<usize> = (0..workflow.agencies().len())
        .filter(|&i| workflow.agencies()[i].parent.is_none())
        .collect();
    for root in roots {
        print_tree(workflow, root, "", true, true);
    }
    outln!();
    outln!("Tasks (times {})", inspection.calendar.utc_offset);
    let width = inspection
        .tasks
        .iter()
        .map(|t| t.id.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!(
        "  {:width$}  {:16}  {:16}  lead",
        "task",
        "planned start",
        "planned due"
    );
    for (task, planned) in inspection.tasks.iter().zip(workflow.plan()) {
        let lead = match task.for_each {
            Some(group) => format!("each of `{group}` ({})", task.instances),
            None => task.leads.join(", "),
        };
        outln!(
            "{} {:width$}  {:16}  {:16}  {lead}",
            if task.critical { "*" } else { " " },
            task.id,
            short(planned.start),
            planned.due.map(short).unwrap_or_else(|| "-".to_owned()),
        );
    }
    outln!();
    outln!(
        "Critical path (*): {}",
        inspection.critical_path.join(" → ")
    );
}

fn print_tree(workflow: &Workflow, node: usize, prefix: &str, last: bool, root: bool) {
    let agency = &workflow.agencies()[node];
    let branch = if root {
        ""
    } else if last {
        "└─ "
    } else {
        "├─ "
    };
    outln!("  {prefix}{branch}{} ({})", agency.name, agency.id);
    let children: Vec<usize> = (0..workflow.agencies().len())
        .filter(|&i| workflow.agencies()[i].parent.map(|p| p.index()) == Some(node))
        .collect();
    let child_prefix = if root {
        prefix.to_owned()
    } else {
        format!("{prefix}{}", if last { "   " } else { "│  " })
    };
    for (i, child) in children.iter().enumerate() {
        print_tree(
            workflow,
            *child,
            &child_prefix,
            i + 1 == children.len(),
            false,
        );
    }
}
