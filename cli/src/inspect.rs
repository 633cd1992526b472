//! `inspect`: what a workflow says, as a table or JSON.

use crate::diagnostics::to_json;
use crate::{Format, Reported};
use directrix_core::{Workflow, inspect::Inspection};

pub(crate) fn inspect(workflow: &Workflow, format: Format) -> Result<(), Reported> {
    let inspection = workflow.inspection();
    match format {
        Format::Json => outln!("{}", to_json(&inspection)),
        Format::Table => print_table(workflow, &inspection),
    }
    Ok(())
}

fn print_table(workflow: &Workflow, inspection: &Inspection) {
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
        "  {:width$}  {:16}  {:16}  {:16}  lead",
        "task",
        "planned start",
        "planned due",
        "earliest done"
    );
    let analysis = workflow.analysis();
    for ((task, planned), earliest) in inspection
        .tasks
        .iter()
        .zip(workflow.plan())
        .zip(&analysis.tasks)
    {
        let lead = match &task.for_each {
            Some(group) => format!("each of `{group}` ({})", task.instances),
            None => task.leads.join(", "),
        };
        outln!(
            "{} {:width$}  {:16}  {:16}  {:16}  {lead}",
            if task.critical { "*" } else { " " },
            task.id,
            short(planned.start),
            planned.due.map(short).unwrap_or_else(|| "-".to_owned()),
            short(earliest.earliest_completion),
        );
    }
    let in_force: Vec<_> = inspection
        .tasks
        .iter()
        .filter_map(|t| t.in_force.as_ref().map(|p| (&t.id, p)))
        .collect();
    if !in_force.is_empty() {
        outln!();
        outln!("Measures in force");
        for (task, period) in in_force {
            outln!("  {task:width$}  {period}");
        }
    }
    outln!();
    outln!(
        "Critical path (*): {}",
        inspection.critical_path.join(" → ")
    );
    // The chains behind "earliest done", for tasks that wait on others.
    let chains: Vec<_> = inspection
        .tasks
        .iter()
        .filter(|t| t.critical_path.len() > 1)
        .collect();
    if !chains.is_empty() {
        outln!();
        outln!("Earliest done at the expected pace, set by");
        for task in chains {
            outln!("  {:width$}  {}", task.id, task.critical_path.join(" → "));
        }
    }
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
