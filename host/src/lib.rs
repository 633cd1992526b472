//! # directrix-host
//!
//! `directrix serve`: the durable, authenticated host around the no-IO core. The core
//! computes; this crate does the IO: storage (SQLite, or PostgreSQL for several nodes), the clock and the timers, the
//! HTTP API and identity.
//!
//! - **The journal is the truth.** An input (an act, a timer firing, a start) is
//!   acknowledged only after its journal row and its effects are committed in one
//!   transaction ([`store`]); commits are grouped so many requests share one fsync.
//!   Snapshots are a cache written every N inputs; an instance loads as its latest
//!   snapshot plus the journal tail ([`replay`]), and `directrix serve check` proves that
//!   replaying each whole journal gives what is stored.
//! - **Timers survive restarts.** The scheduler fires each instance's next timer when the
//!   [`clock::Clock`] reaches it; after downtime the missed ones fire once each, in order.
//! - **The host authenticates, the core authorises.** A token is one agency's (or an
//!   admin's); the actor of an act is always the token's agency.
#![deny(missing_docs)]

pub mod api;
pub mod clock;
pub mod error;
pub mod history;
pub mod metrics;
pub mod openapi;
pub mod portal;
pub mod replay;
pub mod runtime;
pub mod shared;
pub mod store;

use clock::{Clock, SystemClock, VirtualClock};
use directrix_core::{Timestamp, time::UtcOffset};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Location, Principal, Store, direct, read};

/// The meta key of the persisted virtual clock.
const CLOCK_KEY: &str = "virtual_clock";

/// What `directrix serve` is given.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database: `DIR/directrix.db`, or PostgreSQL.
    pub database: Location,
    /// Where to listen, e.g. `127.0.0.1:8080` (port 0: any free port).
    pub listen: String,
    /// Start a virtual clock at this instant (RFC 3339) when the data has none.
    pub clock: Option<String>,
    /// Virtual seconds per real second.
    pub speed: Option<f64>,
    /// Snapshot an instance every this many journal rows.
    pub snapshot_every: i64,
    /// Request limits.
    pub limits: api::Limits,
    /// Workflow texts to store before serving (kept if already there), each with the
    /// shared calendars and registries it may name.
    pub preload: Vec<(String, shared::SharedTexts)>,
    /// The built portal's folder (`wasm/`); `None`: this source tree's, if built.
    pub portal: Option<PathBuf>,
    /// Serve no portal at all.
    pub no_portal: bool,
}

impl ServeOptions {
    /// The defaults for a database.
    pub fn new(database: Location) -> Self {
        Self {
            database,
            listen: "127.0.0.1:8080".to_owned(),
            clock: None,
            speed: None,
            snapshot_every: 100,
            limits: api::Limits {
                body_bytes: 4 * 1024 * 1024,
                request_timeout: Duration::from_secs(30),
            },
            preload: Vec::new(),
            portal: None,
            no_portal: false,
        }
    }
}

fn runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Chooses the clock: the data's persisted virtual clock, else a new one from
/// `--clock`, else the system's.
async fn resolve_clock(
    pool: &store::Pool,
    options: &ServeOptions,
) -> Result<Arc<dyn Clock>, String> {
    if let Some(stored) = read::meta(pool, CLOCK_KEY)
        .await
        .map_err(|e| e.to_string())?
    {
        let clock: VirtualClock = serde_json::from_str(&stored)
            .map_err(|e| format!("the stored virtual clock is damaged: {e}"))?;
        if options.clock.is_some() || options.speed.is_some() {
            eprintln!(
                "directrix serve: this data directory's virtual clock continues (--clock and --speed apply to a new one)"
            );
        }
        return Ok(Arc::new(clock));
    }
    match (&options.clock, options.speed) {
        (Some(text), speed) => {
            let at = Timestamp::parse(text, UtcOffset::UTC).map_err(|e| format!("--clock: {e}"))?;
            let speed = speed.unwrap_or(1.0);
            if !(speed.is_finite() && speed > 0.0) {
                return Err("--speed must be a positive number".to_owned());
            }
            let clock = VirtualClock::starting(at, speed);
            let text = serde_json::to_string(&clock).map_err(|e| e.to_string())?;
            // Nodes started together on one database: the first clock stored is everyone's.
            let stored = direct::set_meta_once(pool, CLOCK_KEY, &text)
                .await
                .map_err(|e| e.to_string())?;
            let clock: VirtualClock = serde_json::from_str(&stored)
                .map_err(|e| format!("the stored virtual clock is damaged: {e}"))?;
            Ok(Arc::new(clock))
        }
        (None, Some(_)) => Err("--speed needs --clock".to_owned()),
        (None, None) => Ok(Arc::new(SystemClock)),
    }
}

/// Runs the host until interrupted. Prints `listening on http://ADDR` on stdout once
/// the socket is bound.
pub fn serve(options: ServeOptions) -> Result<(), String> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let portal = if options.no_portal {
        None
    } else {
        Some(portal::Portal::choose(options.portal.clone())?)
    };
    if let Some(portal::PortalChoice::Missing(message)) = &portal {
        eprintln!("directrix serve: {message}");
    }
    runtime(None)?.block_on(async move {
        let metrics = Arc::new(metrics::Metrics::default());
        let store = Store::open(&options.database, Arc::clone(&metrics))
            .await
            .map_err(|e| e.to_string())?;
        let clock = resolve_clock(store.pool(), &options).await?;
        let host = runtime::Host::open(store, clock, metrics, options.snapshot_every).await?;
        for (source, shared) in options.preload {
            let (hash, _) = host
                .add_workflow(source, shared)
                .await
                .map_err(|e| format!("--load: {}", e.message))?;
            println!("directrix serve: workflow {hash}");
        }
        let listener = tokio::net::TcpListener::bind(&options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        {
            use std::io::Write as _;
            let mut stdout = std::io::stdout();
            let _ = writeln!(stdout, "directrix serve: listening on http://{address}");
            let _ = stdout.flush();
        }
        tokio::spawn(Arc::clone(&host).run_scheduler());
        let stopping = Arc::clone(&host);
        axum::serve(listener, api::router(host, options.limits, portal.as_ref()))
            .with_graceful_shutdown(async move {
                stop_signal().await;
                // Open event streams end, so the graceful shutdown does not wait for
                // them for ever; every acknowledged input is already committed.
                stopping.stop();
            })
            .await
            .map_err(|e| format!("server failed: {e}"))
    })
}

/// Ctrl-C, or SIGTERM where there is one (a service manager's stop).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Creates a token for `principal`, stores its hash, and returns the token (shown once).
pub fn create_token(data: &Location, principal: &Principal) -> Result<String, String> {
    if let Principal::Agency(agency) = principal
        && (agency.is_empty() || agency.len() > 200)
    {
        return Err("an agency id is 1 to 200 bytes".to_owned());
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| format!("no randomness for a token: {e}"))?;
    let token = format!("dxt_{}", runtime::hex(&secret));
    let hash = api::token_hash(&token);
    runtime(Some(1))?.block_on(async {
        let pool = store::open_pool(data).await.map_err(|e| e.to_string())?;
        direct::insert_token(&pool, &hash, principal, SystemClock.now().as_seconds())
            .await
            .map_err(|e| e.to_string())
    })?;
    Ok(token)
}

/// Every token's record (never a token: only their hashes are kept).
pub fn list_tokens(data: &Location) -> Result<Vec<store::TokenRecord>, String> {
    data.must_exist()?;
    runtime(Some(1))?.block_on(async {
        let pool = store::open_pool(data).await.map_err(|e| e.to_string())?;
        read::tokens(&pool).await.map_err(|e| e.to_string())
    })
}

/// Revokes the token whose short id (as `--list` shows it, or more of its hash) is
/// `id`; running servers refuse it within about a second. Returns the short id.
pub fn revoke_token(data: &Location, id: &str) -> Result<String, String> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < 6 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "a token id is 6 to 64 hex digits, as `directrix serve token --list` shows (got `{}`)",
            directrix_core::diagnostic::excerpt(&id)
        ));
    }
    data.must_exist()?;
    runtime(Some(1))?.block_on(async {
        let pool = store::open_pool(data).await.map_err(|e| e.to_string())?;
        direct::revoke_token(&pool, &id, SystemClock.now().as_seconds())
            .await
            .map_err(|e| e.to_string())?
    })
}

/// What `directrix serve check` found for one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceCheck {
    /// The instance.
    pub id: i64,
    /// Journal rows.
    pub rows: usize,
    /// Effects in the outbox.
    pub effects: usize,
    /// What differs (empty: replay equals what is stored).
    pub problems: Vec<String>,
}

/// Replays every instance's whole journal and compares it with what is stored: the
/// snapshot plus tail, the version, the next timer, and the effects outbox (each effect
/// exactly once, in order).
pub fn check(data: &Location) -> Result<Vec<InstanceCheck>, String> {
    data.must_exist()?;
    runtime(Some(1))?.block_on(async {
        let pool = store::open_pool(data).await.map_err(|e| e.to_string())?;
        let mut workflows = std::collections::HashMap::new();
        for stored in read::workflows(&pool).await.map_err(|e| e.to_string())? {
            let workflow = stored.load()?;
            workflows.insert(stored.hash, Arc::new(workflow));
        }
        let mut checks = Vec::new();
        for row in read::instances(&pool).await.map_err(|e| e.to_string())? {
            let mut problems = Vec::new();
            let journal = read::journal(&pool, row.id, 0)
                .await
                .map_err(|e| e.to_string())?;
            let outbox = read::effects_of(&pool, row.id)
                .await
                .map_err(|e| e.to_string())?;
            let Some(workflow) = workflows.get(&row.workflow).cloned() else {
                problems.push(format!("its workflow {} is not stored", row.workflow));
                checks.push(InstanceCheck {
                    id: row.id,
                    rows: journal.len(),
                    effects: outbox.len(),
                    problems,
                });
                continue;
            };
            if row.version != journal.len() as i64 {
                problems.push(format!(
                    "version {} but {} journal rows",
                    row.version,
                    journal.len()
                ));
            }
            match replay::replay_all(Arc::clone(&workflow), row.id, &journal) {
                Err(error) => problems.push(format!("the journal does not replay: {error}")),
                Ok((replayed, effects)) => {
                    match replay::load(&pool, workflow, row.id).await {
                        // The loaded instance keeps no journal (the rows are it): the
                        // states are compared.
                        Ok((stored, _))
                            if stored.snapshot_without_journal()
                                != replayed.snapshot_without_journal() =>
                        {
                            problems.push(
                                "snapshot + tail differs from replaying the journal".to_owned(),
                            )
                        }
                        Ok(_) => {}
                        Err(error) => problems.push(format!("does not load: {error}")),
                    }
                    let next = replayed.next_timer().map(|t| t.at.as_seconds());
                    if next != row.next_timer {
                        problems.push(format!(
                            "stored next timer {:?}, replay says {next:?}",
                            row.next_timer
                        ));
                    }
                    let expected: Vec<String> = effects
                        .iter()
                        .map(|e| replay::effect_json(row.id, &replayed, e))
                        .collect();
                    let stored: Vec<&str> = outbox.iter().map(|e| e.record.as_str()).collect();
                    if expected != stored {
                        let first = expected
                            .iter()
                            .zip(&stored)
                            .position(|(a, b)| a != b)
                            .unwrap_or(expected.len().min(stored.len()));
                        problems.push(format!(
                            "the outbox holds {} effects, replay gives {} (first difference at {first})",
                            stored.len(),
                            expected.len()
                        ));
                    }
                }
            }
            checks.push(InstanceCheck {
                id: row.id,
                rows: journal.len(),
                effects: outbox.len(),
                problems,
            });
        }
        Ok(checks)
    })
}
