//! Speed of directrix at scale: Monte Carlo of the seed workflow (one thread, then a
//! 1- and 2-thread pool), parsing and validation of the seed and of the national
//! cascade, and one behaviour run of the national cascade.
//!
//! Run: `cargo bench -p directrix-benches` (see `benches/README.md`; goals and figures
//! in `benches/RESULTS.md`).

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use directrix_benches::{
    Fixture, MASTER_SEED, MONTE_CARLO_RUNS, SEED_WORKFLOW, national_text, thread_pool,
};
use directrix_core::{load, simulate};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// 10,000 runs of the seed behaviour scenario: on the bench thread, then on rayon pools
/// of 1 and 2 threads (their ratio is the parallel speed-up).
fn monte_carlo(c: &mut Criterion) {
    let fixture = Fixture::seed();
    let mut group = c.benchmark_group("monte_carlo");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("seed_10000_runs", |b| {
        b.iter(|| black_box(fixture.monte_carlo_sequential(MONTE_CARLO_RUNS, MASTER_SEED)));
    });
    for threads in [1, 2] {
        let pool = thread_pool(threads);
        group.bench_with_input(
            BenchmarkId::new("seed_10000_runs_threads", threads),
            &pool,
            |b, pool| {
                b.iter(|| {
                    black_box(fixture.monte_carlo_parallel(pool, MONTE_CARLO_RUNS, MASTER_SEED))
                });
            },
        );
    }
    group.finish();
}

/// Parsing and validation (`load`) of the seed workflow and of the national cascade;
/// the cascade's text is generated once, outside the timed loop.
fn load_workflows(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.bench_function("seed", |b| {
        b.iter(|| load(black_box(SEED_WORKFLOW)).expect("seed workflow loads"));
    });
    let national = national_text().workflow;
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("cascade_63_700_10000", |b| {
        b.iter(|| load(black_box(&national)).expect("national cascade loads"));
    });
    group.finish();
}

/// One behaviour run of the national cascade from its start to the scenario's end.
fn simulate_national(c: &mut Criterion) {
    let fixture = Fixture::national();
    let mut group = c.benchmark_group("simulate");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("cascade_63_700_10000_one_run", |b| {
        b.iter(|| {
            black_box(simulate(
                Arc::clone(&fixture.workflow),
                &fixture.scenario,
                MASTER_SEED,
                None,
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, monte_carlo, load_workflows, simulate_national);
criterion_main!(benches);
