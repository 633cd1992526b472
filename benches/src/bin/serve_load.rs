//! The load client of `directrix serve` (figures in `benches/RESULTS.md`; run:
//! `cargo build --release -p directrix-cli -p directrix-benches && target/release/serve-load`).
//!
//! It starts the release `directrix` on a scratch data directory and measures, in order:
//! 1. memory per idle instance: the server's resident memory before and after creating
//!    `--instances` instances of the seed workflow (64 clients);
//! 2. restart with those instances: time to the listening line, to `/healthz`, and to the
//!    first instance served (`GET /v1/instances/{id}`, which loads it);
//! 3. durable acts per second at each of `--clients` concurrent clients (one keep-alive
//!    connection each, every act with an `Idempotency-Key`), p50/p99 latency; each client
//!    walks its own instances through the seed scenario's first day of acts;
//! 4. that every acknowledged act is in the journal (each instance's journal read back),
//!    and `directrix serve check` over the whole database;
//! 5. disk bytes per journaled act (database size after a clean stop and a checkpoint);
//! 6. acts spread over one instance of the national cascade (21,528 task instances), and
//!    the time to load that instance cold (a restart, then its first request).
//!
//! During each phase of acts it also reports the timer lag (due → fired and durable,
//! real time) of the timers the scheduler fired meanwhile, from the server's
//! `directrix_timer_lag_seconds` histogram: with `--speed N` the seed instances run on a
//! virtual clock N times faster than real time, so their reminders (two and four
//! virtual hours after the start) fall due while the acts run.
//!
//! Clients are plain threads with blocking sockets: one connection per client, as many
//! requests in flight as clients.

use directrix_core::Instance;
use directrix_host::store::{Location, Principal, direct, open_pool};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SEED_SCENARIO: &str = include_str!("../../../workflows/kien-xuong-114-cv-hu.scenario.ron");
const SEED_PATH: &str = "workflows/kien-xuong-114-cv-hu.ron";
const ADMIN: &str = "dxt_bench_admin";

struct Options {
    bin: PathBuf,
    instances: usize,
    acts: usize,
    clients: Vec<usize>,
    cascade_acts: usize,
    snapshot_every: usize,
    speed: f64,
}

fn options() -> Options {
    let mut options = Options {
        bin: PathBuf::from("target/release/directrix"),
        instances: 10_000,
        acts: 20_000,
        clients: vec![1, 16, 64],
        cascade_acts: 5_000,
        snapshot_every: 100,
        speed: 1.0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        let number = || value.parse::<usize>().expect("a number");
        match pair[0].as_str() {
            "--bin" => options.bin = PathBuf::from(&value),
            "--instances" => options.instances = number(),
            "--acts" => options.acts = number(),
            "--cascade-acts" => options.cascade_acts = number(),
            "--snapshot-every" => options.snapshot_every = number(),
            "--speed" => options.speed = value.parse().expect("a number"),
            "--clients" => {
                options.clients = value
                    .split(',')
                    .map(|c| c.parse().expect("a number"))
                    .collect()
            }
            other => panic!(
                "unknown option {other} (--bin, --instances, --acts, --clients, --cascade-acts, --snapshot-every, --speed)"
            ),
        }
    }
    options
}

/// A running `directrix serve`.
struct Server {
    child: Child,
    addr: String,
    /// From spawning to the listening line.
    listening_after: Duration,
}

// The child is waited on by `Server::stop` (or on its way out by the panic's).
#[allow(clippy::zombie_processes)]
fn start_server(options: &Options, data: &Path, extra: &[&str]) -> (Server, Vec<String>) {
    let started = Instant::now();
    let snapshot_every = options.snapshot_every.to_string();
    let mut child = Command::new(&options.bin)
        .args(["serve", "--data"])
        .arg(data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--snapshot-every",
            &snapshot_every,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start directrix serve (build it: cargo build --release -p directrix-cli)");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("read stdout") == 0 {
            let _ = child.wait();
            panic!("directrix serve exited: {lines:?}");
        }
        if let Some(addr) = line
            .trim()
            .strip_prefix("directrix serve: listening on http://")
        {
            let server = Server {
                child,
                addr: addr.to_owned(),
                listening_after: started.elapsed(),
            };
            // Keep reading (and dropping) its stdout so it never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return (server, lines);
        }
        lines.push(line.trim().to_owned());
    }
}

impl Server {
    /// SIGTERM, then waits: a clean stop.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.child.wait().expect("wait");
    }

    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    fn open(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            writer: stream.try_clone().expect("clone"),
            reader: BufReader::new(stream),
            host: addr.to_owned(),
        }
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n",
            self.host
        );
        if let Some(key) = key {
            head.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.writer.write_all(head.as_bytes()).expect("send");
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("status");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status: {status_line:?}"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

fn token_of(agency: &str) -> String {
    format!("dxt_bench_{agency}")
}

/// Stores the admin token and one per agency (before or beside the server: SQLite
/// takes the writes in turn).
fn store_tokens(data: &Path, agencies: &BTreeSet<String>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let pool = open_pool(&Location::Sqlite(data.to_path_buf()))
                .await
                .expect("open");
            let mut tokens = vec![(ADMIN.to_owned(), Principal::Admin)];
            tokens.extend(
                agencies
                    .iter()
                    .map(|a| (token_of(a), Principal::Agency(a.clone()))),
            );
            for (token, principal) in tokens {
                let hash = directrix_host::api::token_hash(&token);
                // Already there from an earlier phase: fine.
                let _ = direct::insert_token(&pool, &hash, &principal, 0).await;
            }
            pool.close().await;
        });
}

/// The database's size after folding the WAL into it (the server stopped).
fn disk_bytes(data: &Path) -> u64 {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let pool = open_pool(&Location::Sqlite(data.to_path_buf()))
                .await
                .expect("open");
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
                .expect("checkpoint");
            pool.close().await;
        });
    ["directrix.db", "directrix.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(data.join(f)).map_or(0, |m| m.len()))
        .sum()
}

/// The seed scenario's acts of its first day, in order: (agency, task, action). Each is
/// allowed after the ones before it whatever the time.
fn seed_script() -> Vec<(String, String, String)> {
    let field = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("{name}: \""))? + name.len() + 3;
        let end = line[start..].find('"')? + start;
        Some(line[start..end].to_owned())
    };
    SEED_SCENARIO
        .lines()
        .filter(|l| l.trim_start().starts_with("(at: \"2021-05-07"))
        .filter_map(|l| Some((field(l, "actor")?, field(l, "task")?, field(l, "action")?)))
        .collect()
}

/// An act's body.
fn act_body(task: &str, action: &str) -> String {
    serde_json::json!({ "task": task, "action": action }).to_string()
}

/// Latencies in microseconds, sorted: (p50, p99) in milliseconds.
fn percentiles(mut micros: Vec<u32>) -> (f64, f64) {
    micros.sort_unstable();
    let at = |q: f64| {
        let i = ((micros.len() as f64 - 1.0) * q).round() as usize;
        f64::from(micros.get(i).copied().unwrap_or(0)) / 1000.0
    };
    (at(0.50), at(0.99))
}

/// The server's timer lag histogram: (upper bound in seconds, cumulative count).
fn timer_lags(addr: &str) -> Vec<(f64, u64)> {
    let mut connection = Connection::open(addr);
    let (status, text) = connection.request("GET", "/metrics", ADMIN, None, "");
    assert_eq!(status, 200);
    text.lines()
        .filter_map(|line| line.strip_prefix("directrix_timer_lag_seconds_bucket{le=\""))
        .filter_map(|rest| {
            let (bound, count) = rest.split_once("\"} ")?;
            let bound = if bound == "+Inf" {
                f64::INFINITY
            } else {
                bound.parse().ok()?
            };
            Some((bound, count.trim().parse().ok()?))
        })
        .collect()
}

/// The timers fired between two readings of the histogram, and the bucket bound their
/// p99 falls under.
fn lag_between(before: &[(f64, u64)], after: &[(f64, u64)]) -> String {
    let counts: Vec<(f64, u64)> = after
        .iter()
        .zip(before)
        .map(|((bound, a), (_, b))| (*bound, a.saturating_sub(*b)))
        .collect();
    let total = counts.last().map_or(0, |(_, n)| *n);
    if total == 0 {
        return "no timer fell due".to_owned();
    }
    let p99 = counts
        .iter()
        .find(|(_, n)| *n as f64 >= 0.99 * total as f64)
        .map_or(f64::INFINITY, |(bound, _)| *bound);
    let p50 = counts
        .iter()
        .find(|(_, n)| *n as f64 >= 0.50 * total as f64)
        .map_or(f64::INFINITY, |(bound, _)| *bound);
    format!(
        "{total} timers fired by the scheduler, lag p50 <= {:.0} ms, p99 <= {:.0} ms",
        p50 * 1000.0,
        p99 * 1000.0
    )
}

/// What one phase of acts did.
struct Phase {
    acked: usize,
    refused: usize,
    elapsed: Duration,
    latencies: Vec<u32>,
}

impl Phase {
    fn report(&self, what: &str) {
        let (p50, p99) = percentiles(self.latencies.clone());
        println!(
            "{what}: {} acts acknowledged ({} refused) in {:.2} s: {:.0} acts/s, p50 {p50:.2} ms, p99 {p99:.2} ms",
            self.acked,
            self.refused,
            self.elapsed.as_secs_f64(),
            self.acked as f64 / self.elapsed.as_secs_f64()
        );
    }
}

/// Runs `work[c]` (a list of (instance, agency, task, action)) on client `c`, all
/// clients at once; counts acknowledged acts per instance into `acked`.
fn drive(
    addr: &str,
    work: Vec<Vec<(i64, String, String, String)>>,
    acked: &Arc<BTreeMap<i64, AtomicUsize>>,
    tag: &str,
) -> Phase {
    let started = Instant::now();
    let handles: Vec<_> = work
        .into_iter()
        .enumerate()
        .map(|(client, acts)| {
            let addr = addr.to_owned();
            let acked = Arc::clone(acked);
            let tag = tag.to_owned();
            std::thread::spawn(move || {
                let mut connection = Connection::open(&addr);
                let mut latencies = Vec::with_capacity(acts.len());
                let mut refused = 0;
                for (n, (instance, agency, task, action)) in acts.iter().enumerate() {
                    let key = format!("{tag}-{client}-{n}");
                    let sent = Instant::now();
                    let (status, body) = connection.request(
                        "POST",
                        &format!("/v1/instances/{instance}/acts"),
                        &token_of(agency),
                        Some(&key),
                        &act_body(task, action),
                    );
                    latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    if status == 200 {
                        acked[instance].fetch_add(1, Ordering::Relaxed);
                    } else {
                        if refused < 3 {
                            eprintln!("refused ({status}): {body}");
                        }
                        refused += 1;
                    }
                }
                (latencies, refused)
            })
        })
        .collect();
    let mut phase = Phase {
        acked: 0,
        refused: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for handle in handles {
        let (latencies, refused) = handle.join().expect("client");
        phase.acked += latencies.len() - refused;
        phase.refused += refused;
        phase.latencies.extend(latencies);
    }
    phase.elapsed = started.elapsed();
    phase
}

/// Creates `count` instances of `workflow` with `clients` connections; their ids.
fn create_instances(addr: &str, workflow: &str, count: usize, clients: usize) -> Vec<i64> {
    let body = serde_json::json!({ "workflow": workflow }).to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, body, next) = (addr.to_owned(), body.clone(), Arc::clone(&next));
            std::thread::spawn(move || {
                let mut connection = Connection::open(&addr);
                let mut ids = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    let (status, answer) =
                        connection.request("POST", "/v1/instances", ADMIN, None, &body);
                    assert_eq!(status, 201, "{answer}");
                    let view: serde_json::Value = serde_json::from_str(&answer).expect("json");
                    ids.push(view["id"].as_i64().expect("id"));
                }
                ids
            })
        })
        .collect();
    let mut ids: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("creator"))
        .collect();
    ids.sort_unstable();
    ids
}

fn hash_from(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("directrix serve: workflow "))
        .expect("the loaded workflow's hash")
        .to_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "directrix-serve-load-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn seed_phases(options: &Options) {
    let data = scratch("seed");
    let script = seed_script();
    let agencies: BTreeSet<String> = script.iter().map(|(a, _, _)| a.clone()).collect();
    store_tokens(&data, &agencies);
    let speed = options.speed.to_string();
    let clock = ["--clock", "2021-05-07T08:00:00+07:00", "--speed", &speed];
    let (server, lines) = start_server(
        options,
        &data,
        &[&clock[..], &["--load", SEED_PATH]].concat(),
    );
    let hash = hash_from(&lines);
    let mut health = Connection::open(&server.addr);
    assert_eq!(health.request("GET", "/healthz", ADMIN, None, "").0, 200);
    let rss_before = server.rss_bytes();
    let started = Instant::now();
    let ids = create_instances(&server.addr, &hash, options.instances, 64);
    let created_in = started.elapsed();
    let rss_after = server.rss_bytes();
    println!(
        "created {} seed instances in {:.2} s ({:.0}/s, 64 clients); resident memory {:.1} -> {:.1} MiB: {:.0} bytes per idle instance",
        ids.len(),
        created_in.as_secs_f64(),
        ids.len() as f64 / created_in.as_secs_f64(),
        mib(rss_before),
        mib(rss_after),
        (rss_after.saturating_sub(rss_before)) as f64 / ids.len() as f64
    );
    drop(health);
    server.stop();
    let disk_before = disk_bytes(&data);

    // Restart with every instance stored.
    let spawned = Instant::now();
    let (server, _) = start_server(options, &data, &[]);
    let mut connection = Connection::open(&server.addr);
    assert_eq!(
        connection.request("GET", "/healthz", ADMIN, None, "").0,
        200
    );
    let healthy_after = spawned.elapsed();
    let (status, _) = connection.request(
        "GET",
        &format!("/v1/instances/{}", ids[ids.len() / 2]),
        ADMIN,
        None,
        "",
    );
    assert_eq!(status, 200);
    println!(
        "restart with {} instances: listening after {:.0} ms, /healthz served after {:.0} ms, first instance served after {:.0} ms; resident memory {:.1} MiB",
        ids.len(),
        server.listening_after.as_secs_f64() * 1000.0,
        healthy_after.as_secs_f64() * 1000.0,
        spawned.elapsed().as_secs_f64() * 1000.0,
        mib(server.rss_bytes())
    );
    drop(connection);

    // Acts at each concurrency, each phase on instances of its own.
    let acked: Arc<BTreeMap<i64, AtomicUsize>> =
        Arc::new(ids.iter().map(|&id| (id, AtomicUsize::new(0))).collect());
    let mut unused = ids.iter().copied();
    let mut total = 0;
    for &clients in &options.clients {
        let acts = if clients == 1 {
            options.acts / 10
        } else {
            options.acts
        };
        let per_instance = script.len();
        let instances = acts.div_ceil(per_instance).div_ceil(clients) * clients;
        let mine: Vec<i64> = unused.by_ref().take(instances).collect();
        assert_eq!(
            mine.len(),
            instances,
            "not enough instances (raise --instances)"
        );
        let mut work = vec![Vec::new(); clients];
        for (client, chunk) in work.iter_mut().zip(mine.chunks(instances / clients)) {
            // Round-robin over the client's instances, each walking the script in order.
            for (agency, task, action) in &script {
                for &instance in chunk {
                    client.push((instance, agency.clone(), task.clone(), action.clone()));
                }
            }
            client.truncate(acts / clients);
        }
        let lags = timer_lags(&server.addr);
        let phase = drive(&server.addr, work, &acked, &format!("c{clients}"));
        phase.report(&format!("seed, {clients} clients"));
        println!(
            "  timers meanwhile: {}",
            lag_between(&lags, &timer_lags(&server.addr))
        );
        total += phase.acked;
    }

    // Every acknowledged act is in the journal.
    let mut connection = Connection::open(&server.addr);
    let mut found = 0;
    for (&id, count) in acked.iter().filter(|(_, c)| c.load(Ordering::Relaxed) > 0) {
        let (status, body) = connection.request(
            "GET",
            &format!("/v1/instances/{id}/journal"),
            ADMIN,
            None,
            "",
        );
        assert_eq!(status, 200);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&body).expect("journal");
        let acts = rows.iter().filter(|r| r["input"]["input"] == "act").count();
        assert_eq!(acts, count.load(Ordering::Relaxed), "instance {id}");
        found += acts;
    }
    println!("acknowledged {total} acts, found {found} in the journals");
    drop(connection);
    server.stop();
    let disk_after = disk_bytes(&data);
    println!(
        "disk: {:.1} MiB with {} instances, {:.1} MiB after {total} acts: {:.0} bytes per journaled act (journal row, effects, idempotency record, snapshots)",
        mib(disk_before),
        ids.len(),
        mib(disk_after),
        (disk_after.saturating_sub(disk_before)) as f64 / total as f64
    );
    let checked = Instant::now();
    let status = Command::new(&options.bin)
        .args(["serve", "check", "--data"])
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .expect("check");
    println!(
        "directrix serve check: {} in {:.1} s",
        if status.success() {
            "every instance replays to what is stored"
        } else {
            "DIFFERENCES"
        },
        checked.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&data);
}

fn cascade_phase(options: &Options) {
    let data = scratch("cascade");
    let text = directrix_benches::national_text();
    let path = data.join("national.ron");
    std::fs::write(&path, &text.workflow).expect("write the cascade");
    let workflow = Arc::new(
        directrix_core::load(&text.workflow)
            .expect("cascade loads")
            .workflow,
    );
    let issued = workflow.directive().issued_at;
    let clock = issued.to_rfc3339(workflow.calendar().offset());
    // What each agency may do at the start, one act per task instance, found with the
    // core on a local copy of the instance.
    let (local, _) = Instance::start(Arc::clone(&workflow), issued).expect("start");
    let mut acts = Vec::new();
    let mut seen = BTreeSet::new();
    for agency in workflow.agencies().iter() {
        let Some(id) = workflow.agency_id(&agency.id) else {
            continue;
        };
        for item in local.inbox_records(id) {
            if !item.needs_note && !item.needs_until && seen.insert(item.task.clone()) {
                acts.push((agency.id.clone(), item.task, item.action));
            }
        }
        if acts.len() >= options.cascade_acts {
            break;
        }
    }
    acts.truncate(options.cascade_acts);
    let agencies: BTreeSet<String> = acts.iter().map(|(a, _, _)| a.clone()).collect();
    store_tokens(&data, &agencies);
    let path_text = path.to_string_lossy().into_owned();
    let (server, lines) = start_server(
        options,
        &data,
        &[
            "--clock",
            &clock,
            "--speed",
            "1",
            "--max-body",
            "67108864",
            "--load",
            &path_text,
        ],
    );
    let hash = hash_from(&lines);
    let started = Instant::now();
    let ids = create_instances(&server.addr, &hash, 1, 1);
    println!(
        "national cascade: {} task instances; one instance started in {:.2} s; {} agencies act",
        local.status_records().len(),
        started.elapsed().as_secs_f64(),
        agencies.len()
    );
    let acked: Arc<BTreeMap<i64, AtomicUsize>> = Arc::new([(ids[0], AtomicUsize::new(0))].into());
    for &clients in &options.clients {
        if clients == 1 {
            continue;
        }
        let mut work = vec![Vec::new(); clients];
        let share = acts.len() / options.clients.len().max(1);
        let phase_acts: Vec<_> = acts.drain(..share.min(acts.len())).collect();
        for (n, (agency, task, action)) in phase_acts.into_iter().enumerate() {
            work[n % clients].push((ids[0], agency, task, action));
        }
        let phase = drive(&server.addr, work, &acked, &format!("n{clients}"));
        phase.report(&format!(
            "national cascade, one instance, {clients} clients"
        ));
    }
    server.stop();

    // Cold: a restart, then the instance's first request loads its snapshot and tail.
    let (server, _) = start_server(options, &data, &[]);
    let loading = Instant::now();
    let mut connection = Connection::open(&server.addr);
    let (status, _) =
        connection.request("GET", &format!("/v1/instances/{}", ids[0]), ADMIN, None, "");
    assert_eq!(status, 200);
    println!(
        "national cascade instance ({} acts journaled) loaded cold and served in {:.0} ms",
        acked[&ids[0]].load(Ordering::Relaxed),
        loading.elapsed().as_secs_f64() * 1000.0
    );
    drop(connection);
    server.stop();
    let _ = std::fs::remove_dir_all(&data);
}

fn main() {
    let options = options();
    seed_phases(&options);
    cascade_phase(&options);
}
