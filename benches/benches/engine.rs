//! Speed of the engine's own operations: parsing and validation at several sizes,
//! starting an instance with fan-out, act throughput, firing many timers, snapshot and
//! restore, journal replay, and one scripted run of the seed scenario.
//!
//! Run: `cargo bench -p directrix-benches --bench engine` (see `benches/README.md`;
//! figures in `benches/RESULTS.md`). Every text, workflow and script is built outside
//! the timed loops; benchmarks that consume an instance get a fresh one per batch from
//! `iter_batched`, untimed.

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use directrix_benches::{
    ENGINE_CASCADES, SEED_SCRIPTED_SCENARIO, SEED_WORKFLOW, act_script, independent_tasks_text,
    load_arc, many_timers_text, run_acts,
};
use directrix_core::{Instance, Limits, Scenario, Span, Workflow, load, simulate};
use directrix_generate::generate_cascade;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// Tasks of the act-throughput workflow (four acts each).
const ACT_TASKS: usize = 10_000;

/// Tasks of the many-timers workflow.
const TIMER_TASKS: usize = 10_000;

/// Settings for the heavy benchmarks: few samples, short warm-up and measurement.
fn heavy(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// `load` of the seed workflow and of generated cascades of about 1k, 10k and 60k task
/// instances; each name carries the exact instance count.
fn parse_validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_validate");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("seed", |b| {
        b.iter(|| load(black_box(SEED_WORKFLOW)).expect("seed workflow loads"));
    });
    heavy(&mut group);
    for params in ENGINE_CASCADES {
        let text = generate_cascade(params).workflow;
        let instances = load_arc(&text).task_slots().len();
        eprintln!(
            "parse_validate/cascade_{instances}: {}/{}/{} provinces/districts/communes, {} bytes of RON",
            params.provinces,
            params.districts,
            params.communes,
            text.len()
        );
        group.bench_function(format!("cascade_{instances}"), |b| {
            b.iter(|| load(black_box(&text)).expect("cascade loads"));
        });
    }
    group.finish();
}

/// `Workflow::from_compiled`, what the WebAssembly runtime does instead of
/// `parse_validate`: the same workflows from their compiled bytes.
fn from_compiled(c: &mut Criterion) {
    let mut group = c.benchmark_group("from_compiled");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let seed = load_arc(SEED_WORKFLOW).to_compiled();
    group.bench_function("seed", |b| {
        b.iter(|| Workflow::from_compiled(black_box(&seed), &Limits::default()).expect("loads"));
    });
    heavy(&mut group);
    for params in ENGINE_CASCADES {
        let workflow = load_arc(&generate_cascade(params).workflow);
        let bytes = workflow.to_compiled();
        eprintln!(
            "from_compiled/cascade_{}: {} compiled bytes",
            workflow.task_slots().len(),
            bytes.len()
        );
        group.bench_function(format!("cascade_{}", workflow.task_slots().len()), |b| {
            b.iter(|| {
                Workflow::from_compiled(black_box(&bytes), &Limits::default()).expect("loads")
            });
        });
    }
    group.finish();
}

/// `Instance::start` (every fanned-out task instance created, started or blocked, its
/// timers set) of the same cascades; the workflow is loaded once. Dropping the instance
/// is outside the timing.
fn start(c: &mut Criterion) {
    let mut group = c.benchmark_group("start");
    heavy(&mut group);
    for params in ENGINE_CASCADES {
        let workflow = load_arc(&generate_cascade(params).workflow);
        let at = workflow.directive().issued_at;
        let name = format!("cascade_{}", workflow.task_slots().len());
        group.bench_function(name, |b| {
            b.iter_with_large_drop(|| {
                Instance::start(Arc::clone(&workflow), black_box(at)).unwrap()
            });
        });
    }
    group.finish();
}

/// Act throughput: 10,000 independent tasks on the default lifecycle, each acknowledged,
/// started, reported and accepted (40,000 acts). A fresh started instance per batch.
fn act(c: &mut Criterion) {
    let workflow = load_arc(&independent_tasks_text(ACT_TASKS));
    let acts = act_script(&workflow);
    let at = workflow.directive().issued_at;
    let mut group = c.benchmark_group("act");
    heavy(&mut group);
    group.throughput(Throughput::Elements(acts.len() as u64));
    group.bench_function("throughput", |b| {
        b.iter_batched(
            || Instance::start(Arc::clone(&workflow), at).unwrap().0,
            |mut instance| {
                run_acts(&mut instance, black_box(&acts));
                instance
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// `advance` over 14 days of a workflow of 10,000 tasks with due times spread over a
/// week and a four-level escalation policy: every due, reminder and escalation timer
/// fires (nobody acts). A fresh started instance per batch.
fn advance(c: &mut Criterion) {
    let workflow = load_arc(&many_timers_text(TIMER_TASKS));
    let at = workflow.directive().issued_at;
    let horizon = at.saturating_add(Span::from_seconds(14 * 86_400));
    let fired = Instance::start(Arc::clone(&workflow), at)
        .unwrap()
        .0
        .advance(horizon)
        .expect("time moves forward")
        .len();
    eprintln!("advance/many_timers: {TIMER_TASKS} tasks, {fired} effects over 14 days");
    let mut group = c.benchmark_group("advance");
    heavy(&mut group);
    group.bench_function("many_timers", |b| {
        b.iter_batched(
            || Instance::start(Arc::clone(&workflow), at).unwrap().0,
            |mut instance| {
                let effects = instance.advance(black_box(horizon)).expect("forward");
                (instance, effects)
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// `snapshot/take` (`Instance::snapshot`, a deep copy of the state) and
/// `snapshot/restore` (`Instance::restore`, which checks the state against the workflow)
/// of a mid-run instance: the act-throughput workflow half done (every task acknowledged
/// and started, a journal of 20,001 inputs). No text serialisation: serde_json and ron
/// are not dependencies of this crate, so JSON writing and reading are not measured.
fn snapshot(c: &mut Criterion) {
    let workflow = load_arc(&independent_tasks_text(ACT_TASKS));
    let acts = act_script(&workflow);
    let (mut instance, _) =
        Instance::start(Arc::clone(&workflow), workflow.directive().issued_at).unwrap();
    run_acts(&mut instance, &acts[..acts.len() / 2]);
    let mut group = c.benchmark_group("snapshot");
    heavy(&mut group);
    group.bench_function("take", |b| {
        b.iter_with_large_drop(|| black_box(&instance).snapshot());
    });
    let snapshot = instance.snapshot();
    group.bench_function("restore", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |snapshot| Instance::restore(Arc::clone(&workflow), snapshot).expect("restores"),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// `Instance::replay` of the journal of the seed scenario's scripted run.
fn replay(c: &mut Criterion) {
    let workflow = load_arc(SEED_WORKFLOW);
    let (scenario, _) =
        Scenario::load(SEED_SCRIPTED_SCENARIO, &workflow).expect("seed scenario loads");
    let run = simulate(Arc::clone(&workflow), &scenario, 0, None).expect("the seed runs");
    let journal = run.instance.journal().to_vec();
    eprintln!("replay/journal: {} inputs", journal.len());
    let mut group = c.benchmark_group("replay");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("journal", |b| {
        b.iter_with_large_drop(|| {
            Instance::replay(Arc::clone(&workflow), black_box(&journal)).expect("replays")
        });
    });
    group.finish();
}

/// One run of the seed's scripted scenario (`simulate`, two weeks of fixed events).
fn simulate_seed(c: &mut Criterion) {
    let workflow = load_arc(SEED_WORKFLOW);
    let (scenario, _) =
        Scenario::load(SEED_SCRIPTED_SCENARIO, &workflow).expect("seed scenario loads");
    let mut group = c.benchmark_group("simulate");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("seed_scenario", |b| {
        b.iter(|| black_box(simulate(Arc::clone(&workflow), &scenario, 0, None)));
    });
    group.finish();
}

criterion_group!(
    benches,
    parse_validate,
    from_compiled,
    start,
    act,
    advance,
    snapshot,
    replay,
    simulate_seed
);
criterion_main!(benches);
