//! `simulate`: run a scenario and print its timeline.

use crate::diagnostics::{print, to_json};
use crate::{Format, Reported, load_workflow, read_text};
use directrix_core::{EffectRecord, Scenario, SimulationReport, Timestamp, Workflow};
use std::path::Path;
use std::sync::Arc;

pub(crate) fn run(
    workflow_path: &Path,
    scenario_path: Option<&Path>,
    until: Option<&str>,
    seed: u64,
    format: Format,
) -> Result<(), Reported> {
    let workflow = Arc::new(load_workflow(workflow_path)?);
    let until = match until {
        Some(text) => Some(
            Timestamp::parse(text, workflow.calendar().offset()).map_err(|e| {
                eprintln!("error: --until: {e}");
                Reported
            })?,
        ),
        None => None,
    };
    let scenario = match scenario_path {
        Some(path) => {
            let source = read_text(path)?;
            match Scenario::load(&source, &workflow) {
                Ok((scenario, warnings)) => {
                    print(path, &source, &warnings);
                    scenario
                }
                Err(error) => {
                    print(path, &source, &error.diagnostics);
                    return Err(Reported);
                }
            }
        }
        None => Scenario::silent(&workflow),
    };
    let report = directrix_core::simulate(Arc::clone(&workflow), &scenario, seed, until).report();
    match format {
        Format::Json => outln!("{}", to_json(&report)),
        Format::Table => print_timeline(&workflow, &report),
    }
    Ok(())
}

/// The base task of an instance name: `task[member]` → `task`.
fn base(task: &str) -> &str {
    task.split('[').next().unwrap_or(task)
}

fn detail(workflow: &Workflow, event: &EffectRecord) -> String {
    let name = |id: &str| {
        workflow
            .agency_id(id)
            .map_or_else(|| id.to_owned(), |a| workflow.agency(a).name.clone())
    };
    match event.kind {
        "transitioned" => format!(
            "{}: {} → {}",
            event.action.as_deref().unwrap_or_default(),
            event.from.as_deref().unwrap_or_default(),
            event.to.as_deref().unwrap_or_default()
        ),
        "overdue" => format!("missed due {}", short(workflow, event.due.as_deref())),
        "rescheduled" => format!("next due {}", short(workflow, event.due.as_deref())),
        "reminded" | "warned" | "escalated" | "reassigned" => format!(
            "level {} → {} (lead {})",
            event.level.unwrap_or_default(),
            name(&event.agency),
            event.lead.as_deref().unwrap_or_default()
        ),
        "completed" => match event.on_time {
            Some(true) => "on time".to_owned(),
            _ => "late".to_owned(),
        },
        "rejected" => event.error.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn short(workflow: &Workflow, rfc3339: Option<&str>) -> String {
    rfc3339
        .and_then(|t| Timestamp::parse(t, workflow.calendar().offset()).ok())
        .map_or_else(String::new, |t| t.to_short(workflow.calendar().offset()))
}

fn print_timeline(workflow: &Workflow, report: &SimulationReport) {
    outln!(
        "{} · scenario: {} · seed {} · {} → {}",
        report.directive,
        report.scenario,
        report.seed,
        short(workflow, Some(&report.start)),
        short(workflow, Some(&report.until))
    );
    outln!();
    // Fan-out makes runs of identical lines (one per commune); fold each run into one.
    let events = &report.events;
    let task_width = events
        .iter()
        .map(|e| e.task.chars().count())
        .max()
        .unwrap_or(4);
    let agency_width = events
        .iter()
        .map(|e| e.agency.chars().count())
        .max()
        .unwrap_or(6);
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        let mut run = 1;
        while let Some(next) = events.get(i + run) {
            let same = next.at == event.at
                && next.kind == event.kind
                && next.task != event.task
                && base(&next.task) == base(&event.task)
                && next.action == event.action
                && next.kind != "rejected";
            if !same {
                break;
            }
            run += 1;
        }
        let (task, agency, detail) = if run > 1 {
            let mut folded = event.clone();
            folded.lead = Some("each".to_owned());
            (
                format!("{} ×{run}", base(&event.task)),
                "(each)".to_owned(),
                detail(workflow, &folded),
            )
        } else {
            (
                event.task.clone(),
                event.agency.clone(),
                detail(workflow, event),
            )
        };
        let line = format!(
            "{}  {:12}  {task:task_width$}  {agency:agency_width$}  {}",
            short(workflow, Some(&event.at)),
            event.kind,
            detail
        );
        outln!("{}", line.trim_end());
        i += run;
    }
    let s = &report.summary;
    outln!();
    outln!(
        "{} task instances: {} done ({} on time), {} overdue now; {} overdue events, {} reminders, {} escalations, {} rejected actions",
        s.tasks,
        s.done,
        s.done_on_time,
        s.overdue,
        s.overdue_events,
        s.reminders,
        s.escalations,
        s.rejected
    );
    outln!("Critical path: {}", report.critical_path.join(" → "));
}
