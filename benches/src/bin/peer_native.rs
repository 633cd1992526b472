//! The native side of the peer comparison (`bash benches/peer/run`, see README.md).
//!
//! `peer-native TASKS REPETITIONS [WARMUPS]` builds the same workflow text as
//! `benches/peer/compare.mjs` (one agency `a`, issuer and lead of TASKS tasks `t0..`, the
//! built-in default lifecycle, no due times, no policies), then, per round, starts a fresh
//! instance and sends acknowledge, start, report, accept to each task in turn, timing only
//! the event loop. Prints `{"events_per_second": MEDIAN, ...}` on one line.

use directrix_core::{Instance, load};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// The issue time, also the time of every action.
const AT: &str = "2021-05-10T08:00:00+07:00";
/// The default lifecycle's happy path, in order.
const ACTIONS: [&str; 4] = ["acknowledge", "start", "report", "accept"];

/// The workflow text (same generator logic as `workflow(n)` in compare.mjs).
fn workflow(tasks: usize) -> String {
    let mut ron = format!(
        "(format: 1, directive: (number: \"1/PEER\", kind: \"Test\", issuer: \"a\", \
         issued_at: \"{AT}\", subject: \"peer\"), calendar: (utc_offset: \"+07:00\"), \
         agencies: [(id: \"a\", name: \"A\")], tasks: [\n"
    );
    for i in 0..tasks {
        ron.push_str(&format!(
            "(id: \"t{i}\", title: \"T{i}\", lead: [\"a\"]),\n"
        ));
    }
    ron.push_str("])\n");
    ron
}

fn run(args: &[String]) -> Result<String, String> {
    let number = |i: usize, default: Option<usize>| -> Result<usize, String> {
        match (args.get(i), default) {
            (Some(text), _) => text.parse().map_err(|e| format!("argument {i}: {e}")),
            (None, Some(d)) => Ok(d),
            (None, None) => Err("usage: peer-native TASKS REPETITIONS [WARMUPS]".to_owned()),
        }
    };
    let (tasks, repetitions, warmups) = (number(1, None)?, number(2, None)?, number(3, Some(3))?);
    if tasks == 0 || repetitions == 0 {
        return Err("TASKS and REPETITIONS must be positive".to_owned());
    }
    let workflow = Arc::new(
        load(&workflow(tasks))
            .map_err(|e| format!("the workflow does not load: {e:?}"))?
            .workflow,
    );
    let at = workflow.directive().issued_at;
    let actor = workflow.agency_id("a").ok_or("no agency a")?;
    let actions = ACTIONS.map(|name| workflow.action_id(name).expect("built-in action"));
    // Ids resolved once: the events, in order, as (task, action).
    let mut events = Vec::with_capacity(tasks * ACTIONS.len());
    for i in 0..tasks {
        let task = workflow.task_ref(&format!("t{i}")).ok_or("missing task")?;
        events.extend(actions.iter().map(|&action| (task, action)));
    }
    let mut rates = Vec::with_capacity(repetitions);
    for round in 0..warmups + repetitions {
        let (mut instance, _) =
            Instance::start(workflow.clone(), at).expect("a parsed time is in range");
        let clock = Instant::now();
        for &(task, action) in &events {
            instance
                .act(at, actor, task, action, None)
                .map_err(|e| format!("refused: {e}"))?;
        }
        let elapsed = clock.elapsed().as_secs_f64();
        if round >= warmups {
            rates.push(events.len() as f64 / elapsed);
        }
        drop(instance);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    let runs: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    Ok(format!(
        "{{\"events_per_second\": {median:.1}, \"events\": {}, \"repetitions\": {repetitions}, \
         \"sorted_runs\": [{}]}}",
        events.len(),
        runs.join(", ")
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("peer-native: {message}");
            ExitCode::FAILURE
        }
    }
}
