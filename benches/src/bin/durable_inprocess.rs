//! The in-process half of the durable comparison (`bash benches/durable/run`, issue #16):
//! the same task lifecycle as `compare.mjs` (acknowledge → start → report → accept on one
//! task per instance of `benches/durable/one-task.ron`), driven through the host's own
//! API (`directrix_host::runtime::Host`, its storage layer and group commit) in this
//! process, with no HTTP in between. Every act carries an idempotency key and is
//! acknowledged only once its journal row is committed, as over HTTP.
//!
//! ```text
//! durable-inprocess --database postgres://... | --data DIR  [--tasks 1000] [--clients 16]
//!                   [--rounds 5] [--warmups 1]
//! ```
//!
//! Only the loop of acts is timed (instances are started before); each round's instances
//! are checked to end in `accepted`. It prints one line per round and, last, the median:
//! `directrix in-process (STORAGE): N events/s, p50 X ms, p99 Y ms`.

use directrix_host::clock::SystemClock;
use directrix_host::metrics::Metrics;
use directrix_host::runtime::{ActRequest, Host};
use directrix_host::shared::SharedTexts;
use directrix_host::store::{Location, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORKFLOW: &str = include_str!("../../durable/one-task.ron");
const LIFECYCLE: [&str; 4] = ["acknowledge", "start", "report", "accept"];

struct Options {
    location: Location,
    tasks: usize,
    clients: usize,
    rounds: usize,
    warmups: usize,
}

fn options() -> Result<Options, String> {
    let mut data = None;
    let mut database = None;
    let (mut tasks, mut clients, mut rounds, mut warmups) = (1000, 16, 5, 1);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<usize>()
                .map_err(|e| format!("{flag}: {e}"))
                .and_then(|n| {
                    if n == 0 {
                        Err(format!("{flag} must be at least 1"))
                    } else {
                        Ok(n)
                    }
                })
        };
        match flag.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--database" => database = Some(value()?),
            "--tasks" => tasks = number(value()?)?,
            "--clients" => clients = number(value()?)?,
            "--rounds" => rounds = number(value()?)?,
            "--warmups" => warmups = value()?.parse().map_err(|e| format!("--warmups: {e}"))?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Options {
        location: Location::choose(data, database)?,
        tasks,
        clients,
        rounds,
        warmups,
    })
}

/// One round: `tasks` fresh instances, then the timed loop; events per second and every
/// act's latency.
async fn round(
    host: &Arc<Host>,
    workflow: &str,
    options: &Options,
    tag: &str,
) -> Result<(f64, Vec<Duration>), String> {
    let mut ids = Vec::with_capacity(options.tasks);
    for _ in 0..options.tasks {
        let view = host
            .start_instance(workflow, None)
            .await
            .map_err(|e| e.message)?;
        ids.push(view.id);
    }
    let per_client = ids.len().div_ceil(options.clients);
    let started = Instant::now();
    let mut clients = Vec::new();
    for (client, chunk) in ids.chunks(per_client).enumerate() {
        let host = Arc::clone(host);
        let chunk = chunk.to_vec();
        let tag = format!("{tag}-{client}");
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(chunk.len() * LIFECYCLE.len());
            for action in LIFECYCLE {
                for id in &chunk {
                    let request = ActRequest {
                        task: "t".to_owned(),
                        action: action.to_owned(),
                        note: None,
                        until: None,
                    };
                    let key = format!("{tag}-{id}-{action}");
                    let sent = Instant::now();
                    let outcome = host
                        .act(&id.to_string(), "a", &request, Some(&key))
                        .await
                        .map_err(|e| format!("instance {id} {action}: {}", e.message))?;
                    if outcome.status != 200 {
                        return Err(format!("instance {id} {action}: {}", outcome.body));
                    }
                    latencies.push(sent.elapsed());
                }
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    for id in &ids {
        let view = host
            .instance_view(&id.to_string())
            .await
            .map_err(|e| e.message)?;
        let state = &view.tasks[0].state;
        if state != "accepted" {
            return Err(format!("instance {id} ended in `{state}`, not `accepted`"));
        }
    }
    Ok((latencies.len() as f64 / elapsed.as_secs_f64(), latencies))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn run(options: Options) -> Result<(), String> {
    let metrics = Arc::new(Metrics::default());
    let store = Store::open(&options.location, Arc::clone(&metrics))
        .await
        .map_err(|e| e.to_string())?;
    let host = Host::open(store, Arc::new(SystemClock), metrics, 100).await?;
    let (workflow, _) = host
        .add_workflow(WORKFLOW.to_owned(), SharedTexts::default())
        .await
        .map_err(|e| e.message)?;
    let run_tag = format!("{}", std::process::id());
    let mut rates = Vec::new();
    let mut all = Vec::new();
    for index in 0..options.warmups + options.rounds {
        let tag = format!("{run_tag}-{index}");
        let (rate, latencies) = round(&host, &workflow, &options, &tag).await?;
        let measured = index >= options.warmups;
        println!(
            "{} {}: {rate:.0} events/s",
            if measured { "round" } else { "warm-up" },
            index + 1
        );
        if measured {
            rates.push(rate);
            all.extend(latencies);
        }
    }
    rates.sort_by(f64::total_cmp);
    all.sort_unstable();
    let storage = match options.location {
        Location::Sqlite(_) => "sqlite",
        Location::Postgres(_) => "postgres",
    };
    println!(
        "directrix in-process ({storage}): {:.0} events/s, p50 {:.1} ms, p99 {:.1} ms",
        rates[rates.len() / 2],
        percentile(&all, 0.50),
        percentile(&all, 0.99),
    );
    Ok(())
}

fn main() {
    let result = options().and_then(|options| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(run(options))
    });
    if let Err(message) = result {
        eprintln!("durable-inprocess: {message}");
        std::process::exit(1);
    }
}
