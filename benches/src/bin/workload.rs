//! Fixed workloads for instruction counts: `workload OPERATION N` repeats one benchmarked
//! operation N times after building its inputs. Under `valgrind --tool=callgrind` the
//! difference between the counts at N and 2N is N operations' instructions, a figure that
//! does not move with the machine's load (criterion's wall-clock times do, by 10 % or more
//! on a shared 2-core machine). `benches/icount` compares two builds (see `benches/README.md`).
//!
//! Operations: `replay` (the seed scenario's journal), `simulate-seed` (one scripted run),
//! `advance` (10,000 tasks' timers over 14 days), `act` (10,000 tasks × 4 acts),
//! `from-compiled` (the seed), `load` (the seed), `monte-carlo` (one behaviour run).

use directrix_benches::{
    MASTER_SEED, SEED_SCRIPTED_SCENARIO, SEED_WORKFLOW, act_script, independent_tasks_text,
    load_arc, many_timers_text, run_acts,
};
use directrix_core::{Instance, Limits, Scenario, Span, Workflow, load, simulate};
use std::hint::black_box;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(operation), Some(times)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok()))
    else {
        eprintln!("usage: workload OPERATION N");
        std::process::exit(2);
    };
    let times: u64 = times;
    match operation.as_str() {
        "replay" => {
            let workflow = load_arc(SEED_WORKFLOW);
            let (scenario, _) = Scenario::load(SEED_SCRIPTED_SCENARIO, &workflow).expect("loads");
            let run = simulate(Arc::clone(&workflow), &scenario, 0, None).expect("runs");
            let journal = run.instance.journal().to_vec();
            for _ in 0..times {
                black_box(Instance::replay(Arc::clone(&workflow), &journal).expect("replays"));
            }
        }
        "simulate-seed" => {
            let workflow = load_arc(SEED_WORKFLOW);
            let (scenario, _) = Scenario::load(SEED_SCRIPTED_SCENARIO, &workflow).expect("loads");
            for _ in 0..times {
                black_box(simulate(Arc::clone(&workflow), &scenario, 0, None).expect("runs"));
            }
        }
        "advance" => {
            let workflow = load_arc(&many_timers_text(10_000));
            let at = workflow.directive().issued_at;
            let horizon = at.saturating_add(Span::from_seconds(14 * 86_400));
            for _ in 0..times {
                let (mut instance, _) = start(&workflow);
                black_box(instance.advance(horizon).expect("forward"));
            }
        }
        "act" => {
            let workflow = load_arc(&independent_tasks_text(10_000));
            let acts = act_script(&workflow);
            for _ in 0..times {
                let (mut instance, _) = start(&workflow);
                run_acts(&mut instance, &acts);
                black_box(instance);
            }
        }
        "from-compiled" => {
            let bytes = load(SEED_WORKFLOW).expect("loads").workflow.to_compiled();
            for _ in 0..times {
                black_box(Workflow::from_compiled(&bytes, &Limits::default()).expect("loads"));
            }
        }
        "load" => {
            for _ in 0..times {
                black_box(load(black_box(SEED_WORKFLOW)).expect("loads"));
            }
        }
        "monte-carlo" => {
            let fixture = directrix_benches::Fixture::seed();
            black_box(fixture.monte_carlo_sequential(times, MASTER_SEED));
        }
        other => {
            eprintln!("unknown operation `{other}`");
            std::process::exit(2);
        }
    }
}

fn start(workflow: &Arc<Workflow>) -> (Instance, Vec<directrix_core::Effect>) {
    Instance::start(Arc::clone(workflow), workflow.directive().issued_at).expect("in range")
}
