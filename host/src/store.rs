//! Storage in `DIR/directrix.db` (SQLite, WAL, `synchronous=FULL`), or in a PostgreSQL
//! database that several nodes may share; [`backend`] holds what differs between them.
//!
//! Every write goes through one writer task that drains all pending commit requests
//! into one transaction (group commit) and answers each through its own [`Ticket`] once
//! the transaction is durable: many requests share one fsync. The writer keeps the order
//! in which requests were queued, so one instance's appends may be queued back to back
//! before the first is durable; each carries the version it was computed from.
//!
//! A batch is first written with one multi-row statement per table (the fast path). If
//! anything in it is refused (a version conflict, a reused idempotency key), the
//! transaction is rolled back and the batch written again one request per savepoint,
//! so the refused request fails alone and the others commit.
//!
//! Every value is bound; no SQL text is built from data.

use crate::metrics::Metrics;
use crate::shared::StoredWorkflow;
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};

pub mod backend;
pub use backend::{Dialect, Location};

/// The read pool's type, on either database.
pub type Pool = AnyPool;

/// At most this many requests share one transaction.
const MAX_BATCH: usize = 1024;

/// Rows per multi-row statement: far below SQLite's limit of bound values (32,766) and
/// PostgreSQL's (65,535).
const ROWS_PER_STATEMENT: usize = 400;

/// The meta key bumped by every token revocation.
pub const TOKENS_VERSION: &str = "tokens_version";

/// Why storage refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database failed (IO, corruption, a constraint).
    #[error("storage failed: {0}")]
    Database(String),
    /// The instance's stored version is not the one the append was computed from.
    #[error("instance {instance} changed underneath (version conflict)")]
    Conflict {
        /// The instance.
        instance: i64,
    },
    /// The idempotency key was already used by this agency (on another instance).
    #[error("this Idempotency-Key was already used by this agency")]
    KeyReused,
    /// The writer task is gone (the host is shutting down).
    #[error("the storage writer has stopped")]
    Stopped,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(error.to_string())
    }
}

/// The database file in a data directory.
pub fn database_path(dir: &Path) -> PathBuf {
    dir.join("directrix.db")
}

/// One journal row to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// The core `Input` as JSON.
    pub input: String,
    /// The authenticated agency, for an act.
    pub actor: Option<String>,
    /// The request's `Idempotency-Key`, for an act.
    pub idempotency_key: Option<String>,
}

/// The first answer to an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The authenticated agency (keys are per agency).
    pub agency: String,
    /// The key.
    pub key: String,
    /// SHA-256 of what was asked, to refuse the same key with another request.
    pub request_hash: String,
    /// The answer's JSON.
    pub response: String,
    /// The answer's HTTP status (a refusal is remembered too).
    pub status: u16,
}

/// What one input (or a few, e.g. the timers due before an act, then the act) changed in
/// an instance: committed together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    /// The instance.
    pub instance: i64,
    /// `Some(workflow hash)` when this append creates the instance.
    pub create: Option<String>,
    /// The `seq` of the first row; the stored version must equal it.
    pub first_seq: i64,
    /// The rows, in order (none: only an idempotent refusal is remembered).
    pub rows: Vec<JournalRow>,
    /// The effects they caused (records as JSON), in order.
    pub effects: Vec<String>,
    /// The instance's next timer afterwards (epoch seconds).
    pub next_timer: Option<i64>,
    /// A snapshot covering the journal up to the end of this append.
    pub snapshot: Option<Vec<u8>>,
    /// The answer to remember for an idempotent request.
    pub idempotency: Option<Idempotency>,
    /// Which load of the instance this was computed from (any number, the same for the
    /// appends computed one after another from one load). Once one of them is refused,
    /// the writer refuses the later ones too: they rest on the refused one's state, even
    /// if another node's rows made the stored version match theirs.
    pub lineage: u64,
}

/// A write request.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Store a workflow (kept if already there).
    Workflow {
        /// Its content hash.
        hash: String,
        /// The RON text.
        source: String,
        /// The shared calendars and registries it was loaded with
        /// ([`SharedTexts::to_json`](crate::shared::SharedTexts::to_json)).
        shared: String,
        /// `Workflow::to_compiled`.
        compiled: Vec<u8>,
    },
    /// Append to (or create) an instance.
    Append(Append),
}

struct Pending {
    write: Write,
    reply: watch::Sender<Option<Result<(), StoreError>>>,
}

/// A queued write's outcome, which any number of waiters may await.
#[derive(Debug, Clone)]
pub struct Ticket(watch::Receiver<Option<Result<(), StoreError>>>);

impl Ticket {
    /// Waits until the write is durable (or failed).
    pub async fn wait(mut self) -> Result<(), StoreError> {
        match self.0.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Err(StoreError::Stopped)),
            Err(_) => Err(StoreError::Stopped),
        }
    }

    /// The outcome, if the writer has answered.
    pub fn settled(&self) -> Option<Result<(), StoreError>> {
        self.0.borrow().clone()
    }
}

/// A stored instance's index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// Its id.
    pub id: i64,
    /// Its workflow's hash.
    pub workflow: String,
    /// Its next timer (epoch seconds).
    pub next_timer: Option<i64>,
    /// Its journal's length.
    pub version: i64,
}

/// A stored journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// Index in the core's journal.
    pub seq: i64,
    /// The core `Input` as JSON.
    pub input: String,
    /// The authenticated agency, for an act.
    pub actor: Option<String>,
    /// The request's key, for an act.
    pub idempotency_key: Option<String>,
}

/// A stored effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEffect {
    /// The stable event id.
    pub id: i64,
    /// The instance.
    pub instance: i64,
    /// The record's JSON.
    pub record: String,
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// May load workflows and start instances; acts as no agency.
    Admin,
    /// One agency.
    Agency(String),
}

/// The first answer stored under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAnswer {
    /// The instance acted on.
    pub instance: i64,
    /// SHA-256 of what was asked.
    pub request_hash: String,
    /// The answer's JSON.
    pub response: String,
    /// The answer's HTTP status.
    pub status: u16,
}

/// How many hex digits of a token's hash make its short id.
pub const TOKEN_ID_LEN: usize = 12;

/// A stored token, as `directrix serve token --list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The first [`TOKEN_ID_LEN`] hex digits of the token's hash (not of the token).
    pub id: String,
    /// Whose it is.
    pub principal: Principal,
    /// When it was made (epoch seconds; unknown for tokens made before this was kept).
    pub created: Option<i64>,
    /// When it was revoked.
    pub revoked: Option<i64>,
}

/// The database: a pool for reads, one writer task for writes.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    writer: mpsc::UnboundedSender<PendingBox>,
    dialect: Dialect,
    ids: Arc<backend::Ids>,
}

// A named wrapper so `Store` can derive Debug without exposing `Pending`.
struct PendingBox(Pending);

impl std::fmt::Debug for PendingBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

/// Opens (creating and migrating) the database for reads only: no writer task. Refuses a
/// database that a newer binary migrated.
pub async fn open_pool(location: &Location) -> Result<AnyPool, StoreError> {
    backend::open_pool(location).await
}

impl Store {
    /// Opens the database at `location` and starts the writer task (on the current
    /// runtime).
    pub async fn open(location: &Location, metrics: Arc<Metrics>) -> Result<Self, StoreError> {
        let pool = open_pool(location).await?;
        let dialect = location.dialect();
        let connection = backend::connect(location).await?;
        let ids = Arc::new(backend::Ids::new(&pool, dialect).await?);
        let (writer, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(connection, receiver, metrics, dialect));
        Ok(Self {
            pool,
            writer,
            dialect,
            ids,
        })
    }

    /// The read pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The database's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A new instance id, never given out before (by any node).
    pub async fn new_instance_id(&self) -> Result<i64, StoreError> {
        self.ids.next(&self.pool).await
    }

    /// Claims the instances whose timers are due by `now` for this node
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`, each leased for `lease_seconds`); `None`
    /// where one node keeps the index in memory.
    pub async fn claim_due(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: i64,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        backend::claim_due(&self.pool, self.dialect, now, lease_seconds, limit).await
    }

    /// Ends this node's lease on an instance's due timers.
    pub async fn release(&self, id: i64) -> Result<(), StoreError> {
        backend::release(&self.pool, self.dialect, id).await
    }

    /// Queues `write` behind every write queued before it; the ticket says when it is
    /// durable.
    pub fn queue(&self, write: Write) -> Result<Ticket, StoreError> {
        let (reply, answer) = watch::channel(None);
        self.writer
            .send(PendingBox(Pending { write, reply }))
            .map_err(|_| StoreError::Stopped)?;
        Ok(Ticket(answer))
    }

    /// Commits `write` (with whatever else is pending) and returns once it is durable.
    pub async fn commit(&self, write: Write) -> Result<(), StoreError> {
        self.queue(write)?.wait().await
    }
}

async fn write_loop(
    mut connection: AnyConnection,
    mut receiver: mpsc::UnboundedReceiver<PendingBox>,
    metrics: Arc<Metrics>,
    dialect: Dialect,
) {
    // (instance, lineage) of every refused append: the later ones of that lineage rest on it.
    let mut refused: HashSet<(i64, u64)> = HashSet::new();
    while let Some(PendingBox(first)) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(PendingBox(next)) => batch.push(next),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let outcomes = commit_batch(&mut connection, &batch, dialect, &mut refused).await;
        metrics.record_commit(started.elapsed(), batch.len());
        for (pending, outcome) in batch.into_iter().zip(outcomes) {
            // `send_replace`: the requester may have gone (its request timed out), the
            // outcome is kept for whoever else waits.
            pending.reply.send_replace(Some(outcome));
        }
    }
}

async fn commit_batch(
    connection: &mut AnyConnection,
    batch: &[Pending],
    dialect: Dialect,
    refused: &mut HashSet<(i64, u64)>,
) -> Vec<Result<(), StoreError>> {
    let clean = refused.is_empty()
        || batch.iter().all(|pending| match &pending.write {
            Write::Append(append) => !refused.contains(&(append.instance, append.lineage)),
            Write::Workflow { .. } => true,
        });
    // All together; if anything in it is refused (or the database failed), or an append
    // of a refused lineage is in it, one by one, so only what is refused fails.
    if clean && commit_together(connection, batch, dialect).await.is_ok() {
        return vec![Ok(()); batch.len()];
    }
    commit_one_by_one(connection, batch, dialect, refused).await
}

/// `(...), (...)` with `rows` groups of `columns` placeholders numbered from `$1`: the
/// VALUES of a multi-row statement (sqlx's `QueryBuilder` numbers none for `Any`).
fn values(rows: usize, columns: usize) -> String {
    let mut text = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!("${}", row * columns + column + 1));
        }
        text.push(')');
    }
    text
}

/// One instance's appends in a batch, chained: the first's version to the last's.
struct Chain {
    created: bool,
    from: i64,
    to: i64,
    next_timer: Option<i64>,
}

/// The whole batch in one transaction, one multi-row statement per table. Any refusal
/// (a broken version chain, a conflict, a reused key) fails it all, rolled back.
async fn commit_together(
    connection: &mut AnyConnection,
    batch: &[Pending],
    dialect: Dialect,
) -> Result<(), StoreError> {
    let mut chains: HashMap<i64, Chain> = HashMap::new();
    let mut order = Vec::new();
    let mut appends = Vec::new();
    for pending in batch {
        let Write::Append(append) = &pending.write else {
            continue;
        };
        let to = append.first_seq + append.rows.len() as i64;
        match chains.get_mut(&append.instance) {
            Some(chain) if append.create.is_none() && chain.to == append.first_seq => {
                chain.to = to;
                chain.next_timer = append.next_timer;
            }
            Some(_) => {
                return Err(StoreError::Conflict {
                    instance: append.instance,
                });
            }
            None => {
                order.push(append.instance);
                chains.insert(
                    append.instance,
                    Chain {
                        created: append.create.is_some(),
                        from: append.first_seq,
                        to,
                        next_timer: append.next_timer,
                    },
                );
            }
        }
        appends.push(append);
    }
    let mut transaction = connection.begin().await?;
    for pending in batch {
        if let Write::Workflow { .. } = &pending.write {
            apply(&mut transaction, &pending.write, dialect).await?;
        }
    }
    for append in &appends {
        if let Some(workflow) = &append.create {
            let chain = &chains[&append.instance];
            sqlx::query(
                "INSERT INTO instances (id, workflow, next_timer, version) VALUES ($1, $2, $3, $4)",
            )
            .bind(append.instance)
            .bind(workflow)
            .bind(chain.next_timer)
            .bind(chain.to)
            .execute(&mut *transaction)
            .await?;
        }
    }
    let updates: Vec<(i64, &Chain)> = order
        .iter()
        .map(|id| (*id, &chains[id]))
        .filter(|(_, chain)| !chain.created)
        .collect();
    for part in updates.chunks(ROWS_PER_STATEMENT) {
        // Both databases name a VALUES list's columns column1, column2, ...
        let text = format!(
            "UPDATE instances SET next_timer = v.column2, version = v.column3 FROM (VALUES {}) \
             AS v WHERE instances.id = v.column1 AND instances.version = v.column4",
            values(part.len(), 4)
        );
        let mut query = sqlx::query(&text);
        for (id, chain) in part {
            query = query
                .bind(*id)
                .bind(chain.next_timer)
                .bind(chain.to)
                .bind(chain.from);
        }
        let updated = query.execute(&mut *transaction).await?;
        if updated.rows_affected() != part.len() as u64 {
            return Err(StoreError::Conflict {
                instance: part[0].0,
            });
        }
    }
    let journal: Vec<(i64, i64, &JournalRow)> = appends
        .iter()
        .flat_map(|append| {
            append
                .rows
                .iter()
                .enumerate()
                .map(|(offset, row)| (append.instance, append.first_seq + offset as i64, row))
        })
        .collect();
    for part in journal.chunks(ROWS_PER_STATEMENT) {
        let text = format!(
            "INSERT INTO journal (instance, seq, input, actor, idempotency_key) VALUES {}",
            values(part.len(), 5)
        );
        let mut query = sqlx::query(&text);
        for (instance, seq, journal) in part {
            query = query
                .bind(*instance)
                .bind(*seq)
                .bind(&journal.input)
                .bind(&journal.actor)
                .bind(&journal.idempotency_key);
        }
        query.execute(&mut *transaction).await?;
    }
    let effects: Vec<(i64, i64, &String)> = appends
        .iter()
        .flat_map(|append| {
            let seq = append.first_seq + append.rows.len() as i64 - 1;
            append
                .effects
                .iter()
                .map(move |record| (append.instance, seq, record))
        })
        .collect();
    if let (false, Some(lock)) = (effects.is_empty(), backend::lock_outbox(dialect)) {
        sqlx::query(lock).execute(&mut *transaction).await?;
    }
    for part in effects.chunks(ROWS_PER_STATEMENT) {
        let text = format!(
            "INSERT INTO effects (instance, seq, record) VALUES {}",
            values(part.len(), 3)
        );
        let mut query = sqlx::query(&text);
        for (instance, seq, record) in part {
            query = query.bind(*instance).bind(*seq).bind(*record);
        }
        query.execute(&mut *transaction).await?;
    }
    for append in &appends {
        if let Some(state) = &append.snapshot {
            store_snapshot(
                &mut transaction,
                append.instance,
                append.first_seq + append.rows.len() as i64,
                state,
            )
            .await?;
        }
    }
    let firsts: Vec<(i64, &Idempotency)> = appends
        .iter()
        .filter_map(|append| {
            append
                .idempotency
                .as_ref()
                .map(|first| (append.instance, first))
        })
        .collect();
    for part in firsts.chunks(ROWS_PER_STATEMENT) {
        let text = format!(
            "INSERT INTO idempotency (agency, key, instance, request_hash, response, status) \
             VALUES {}",
            values(part.len(), 6)
        );
        let mut query = sqlx::query(&text);
        for (instance, first) in part {
            query = query
                .bind(&first.agency)
                .bind(&first.key)
                .bind(*instance)
                .bind(&first.request_hash)
                .bind(&first.response)
                .bind(i64::from(first.status));
        }
        query.execute(&mut *transaction).await?;
    }
    transaction.commit().await?;
    Ok(())
}

async fn store_snapshot(
    connection: &mut AnyConnection,
    instance: i64,
    seq: i64,
    state: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO snapshots (instance, seq, state) VALUES ($1, $2, $3) \
         ON CONFLICT (instance) DO UPDATE SET seq = excluded.seq, state = excluded.state",
    )
    .bind(instance)
    .bind(seq)
    .bind(state)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The batch request by request, each in its savepoint, so a refused one fails alone.
async fn commit_one_by_one(
    connection: &mut AnyConnection,
    batch: &[Pending],
    dialect: Dialect,
    refused: &mut HashSet<(i64, u64)>,
) -> Vec<Result<(), StoreError>> {
    let failed_all = |error: sqlx::Error| vec![Err(StoreError::from(error)); batch.len()];
    let mut transaction = match connection.begin().await {
        Ok(transaction) => transaction,
        Err(error) => return failed_all(error),
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for pending in batch {
        let lineage = match &pending.write {
            Write::Append(append) => Some((append.instance, append.lineage)),
            Write::Workflow { .. } => None,
        };
        if let Some((instance, _)) = lineage.filter(|key| refused.contains(key)) {
            outcomes.push(Err(StoreError::Conflict { instance }));
            continue;
        }
        let mut savepoint = match Connection::begin(&mut *transaction).await {
            Ok(savepoint) => savepoint,
            Err(error) => return failed_all(error),
        };
        match apply(&mut savepoint, &pending.write, dialect).await {
            Ok(()) => {
                if let Err(error) = savepoint.commit().await {
                    return failed_all(error);
                }
                outcomes.push(Ok(()));
            }
            Err(error) => {
                if let Err(rollback) = savepoint.rollback().await {
                    return failed_all(rollback);
                }
                if let Some(key) = lineage {
                    refused.insert(key);
                }
                outcomes.push(Err(error));
            }
        }
    }
    match transaction.commit().await {
        Ok(()) => outcomes,
        Err(error) => failed_all(error),
    }
}

async fn apply(
    connection: &mut AnyConnection,
    write: &Write,
    dialect: Dialect,
) -> Result<(), StoreError> {
    match write {
        Write::Workflow {
            hash,
            source,
            shared,
            compiled,
        } => {
            sqlx::query(
                "INSERT INTO workflows (hash, source, shared, compiled) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (hash) DO NOTHING",
            )
            .bind(hash)
            .bind(source)
            .bind(shared)
            .bind(compiled)
            .execute(&mut *connection)
            .await?;
        }
        Write::Append(append) => {
            let version = append.first_seq + append.rows.len() as i64;
            if let Some(workflow) = &append.create {
                sqlx::query(
                    "INSERT INTO instances (id, workflow, next_timer, version) VALUES ($1, $2, $3, $4)",
                )
                .bind(append.instance)
                .bind(workflow)
                .bind(append.next_timer)
                .bind(version)
                .execute(&mut *connection)
                .await?;
            } else {
                let updated = sqlx::query(
                    "UPDATE instances SET next_timer = $1, version = $2 WHERE id = $3 AND version = $4",
                )
                .bind(append.next_timer)
                .bind(version)
                .bind(append.instance)
                .bind(append.first_seq)
                .execute(&mut *connection)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::Conflict {
                        instance: append.instance,
                    });
                }
            }
            for (offset, row) in append.rows.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO journal (instance, seq, input, actor, idempotency_key) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(append.instance)
                .bind(append.first_seq + offset as i64)
                .bind(&row.input)
                .bind(&row.actor)
                .bind(&row.idempotency_key)
                .execute(&mut *connection)
                .await?;
            }
            if let (false, Some(lock)) = (append.effects.is_empty(), backend::lock_outbox(dialect))
            {
                sqlx::query(lock).execute(&mut *connection).await?;
            }
            for record in &append.effects {
                sqlx::query("INSERT INTO effects (instance, seq, record) VALUES ($1, $2, $3)")
                    .bind(append.instance)
                    .bind(version - 1)
                    .bind(record)
                    .execute(&mut *connection)
                    .await?;
            }
            if let Some(state) = &append.snapshot {
                store_snapshot(connection, append.instance, version, state).await?;
            }
            if let Some(first) = &append.idempotency {
                sqlx::query(
                    "INSERT INTO idempotency (agency, key, instance, request_hash, response, status) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&first.agency)
                .bind(&first.key)
                .bind(append.instance)
                .bind(&first.request_hash)
                .bind(&first.response)
                .bind(i64::from(first.status))
                .execute(&mut *connection)
                .await
                .map_err(|error| match error.as_database_error() {
                    Some(database) if database.is_unique_violation() => StoreError::KeyReused,
                    _ => StoreError::from(error),
                })?;
            }
        }
    }
    Ok(())
}

/// A journal row as `read` and `history` return it.
fn stored_row(row: sqlx::any::AnyRow) -> StoredRow {
    StoredRow {
        seq: row.get("seq"),
        input: row.get("input"),
        actor: row.get("actor"),
        idempotency_key: row.get("idempotency_key"),
    }
}

/// Reads, shared by the server and the offline commands.
///
/// Every read runs its statement to the end (`fetch_all`, also for a lookup by key): a
/// statement left open at its first row on a pooled connection could hold that
/// connection's WAL read snapshot, and later reads on it would miss later commits.
pub mod read {
    use super::*;

    /// Every stored workflow, with what it is loaded from.
    pub async fn workflows(pool: &AnyPool) -> Result<Vec<StoredWorkflow>, StoreError> {
        let rows = sqlx::query("SELECT hash, source, shared FROM workflows ORDER BY hash")
            .fetch_all(pool)
            .await?;
        Ok(rows.into_iter().map(stored_workflow).collect())
    }

    fn stored_workflow(row: sqlx::any::AnyRow) -> StoredWorkflow {
        StoredWorkflow {
            hash: row.get("hash"),
            source: row.get("source"),
            shared: row.get("shared"),
        }
    }

    /// Every instance's index entry, by id.
    pub async fn instances(pool: &AnyPool) -> Result<Vec<InstanceRow>, StoreError> {
        let rows =
            sqlx::query("SELECT id, workflow, next_timer, version FROM instances ORDER BY id")
                .fetch_all(pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|row| InstanceRow {
                id: row.get("id"),
                workflow: row.get("workflow"),
                next_timer: row.get("next_timer"),
                version: row.get("version"),
            })
            .collect())
    }

    /// One instance's index entry (one started on another node, say).
    pub async fn instance(pool: &AnyPool, id: i64) -> Result<Option<InstanceRow>, StoreError> {
        let row =
            sqlx::query("SELECT id, workflow, next_timer, version FROM instances WHERE id = $1")
                .bind(id)
                .fetch_all(pool)
                .await?
                .into_iter()
                .next();
        Ok(row.map(|row| InstanceRow {
            id: row.get("id"),
            workflow: row.get("workflow"),
            next_timer: row.get("next_timer"),
            version: row.get("version"),
        }))
    }

    /// One stored workflow, with what it is loaded from.
    pub async fn workflow_source(
        pool: &AnyPool,
        hash: &str,
    ) -> Result<Option<StoredWorkflow>, StoreError> {
        let row = sqlx::query("SELECT hash, source, shared FROM workflows WHERE hash = $1")
            .bind(hash)
            .fetch_all(pool)
            .await?
            .into_iter()
            .next();
        Ok(row.map(stored_workflow))
    }

    /// The latest snapshot of an instance: (journal rows it covers, bytes).
    pub async fn snapshot(
        pool: &AnyPool,
        instance: i64,
    ) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT seq, state FROM snapshots WHERE instance = $1")
            .bind(instance)
            .fetch_all(pool)
            .await?
            .into_iter()
            .next();
        Ok(row.map(|row| (row.get("seq"), row.get("state"))))
    }

    /// An instance's journal rows from `from_seq` on, in order.
    pub async fn journal(
        pool: &AnyPool,
        instance: i64,
        from_seq: i64,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, input, actor, idempotency_key FROM journal \
             WHERE instance = $1 AND seq >= $2 ORDER BY seq",
        )
        .bind(instance)
        .bind(from_seq)
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(stored_row).collect())
    }

    /// An instance's effects, in order.
    pub async fn effects_of(
        pool: &AnyPool,
        instance: i64,
    ) -> Result<Vec<StoredEffect>, StoreError> {
        let rows =
            sqlx::query("SELECT id, instance, record FROM effects WHERE instance = $1 ORDER BY id")
                .bind(instance)
                .fetch_all(pool)
                .await?;
        Ok(rows.into_iter().map(effect).collect())
    }

    /// Up to `limit` effects after event id `after`, in order.
    pub async fn effects_after(
        pool: &AnyPool,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEffect>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, instance, record FROM effects WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(effect).collect())
    }

    fn effect(row: sqlx::any::AnyRow) -> StoredEffect {
        StoredEffect {
            id: row.get("id"),
            instance: row.get("instance"),
            record: row.get("record"),
        }
    }

    /// The first answer to (agency, key).
    pub async fn idempotency(
        pool: &AnyPool,
        agency: &str,
        key: &str,
    ) -> Result<Option<FirstAnswer>, StoreError> {
        let row = sqlx::query(
            "SELECT instance, request_hash, response, status FROM idempotency \
             WHERE agency = $1 AND key = $2",
        )
        .bind(agency)
        .bind(key)
        .fetch_all(pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|row| FirstAnswer {
            instance: row.get("instance"),
            request_hash: row.get("request_hash"),
            response: row.get("response"),
            status: u16::try_from(row.get::<i64, _>("status")).unwrap_or(500),
        }))
    }

    /// Every (agency, key) used on an instance.
    pub async fn idempotency_keys(
        pool: &AnyPool,
        instance: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT agency, key FROM idempotency WHERE instance = $1")
            .bind(instance)
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get("agency"), row.get("key")))
            .collect())
    }

    /// Who holds the token with this hash (none once it is revoked).
    pub async fn token(pool: &AnyPool, hash: &str) -> Result<Option<Principal>, StoreError> {
        let row =
            sqlx::query("SELECT agency, admin FROM tokens WHERE hash = $1 AND revoked IS NULL")
                .bind(hash)
                .fetch_all(pool)
                .await?
                .into_iter()
                .next();
        Ok(row.and_then(|row| {
            let admin: i64 = row.get("admin");
            let agency: Option<String> = row.get("agency");
            match (admin, agency) {
                (1, _) => Some(Principal::Admin),
                (_, Some(agency)) => Some(Principal::Agency(agency)),
                _ => None,
            }
        }))
    }

    /// Every token's record (never the token, which is not kept), oldest first.
    pub async fn tokens(pool: &AnyPool) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT hash, agency, admin, created, revoked FROM tokens \
             ORDER BY created IS NOT NULL, created, hash",
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let hash: String = row.get("hash");
                TokenRecord {
                    id: hash[..TOKEN_ID_LEN.min(hash.len())].to_owned(),
                    principal: if row.get::<i64, _>("admin") == 1 {
                        Principal::Admin
                    } else {
                        Principal::Agency(
                            row.get::<Option<String>, _>("agency").unwrap_or_default(),
                        )
                    },
                    created: row.get("created"),
                    revoked: row.get("revoked"),
                }
            })
            .collect())
    }

    /// A value of the meta table.
    pub async fn meta(pool: &AnyPool, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_all(pool)
            .await?
            .into_iter()
            .next();
        Ok(row.map(|row| row.get("value")))
    }
}

/// Small writes made outside the writer task (before it starts, or by offline commands).
pub mod direct {
    use super::*;

    /// Stores a token's hash, made at `created` (epoch seconds).
    pub async fn insert_token(
        pool: &AnyPool,
        hash: &str,
        principal: &Principal,
        created: i64,
    ) -> Result<(), StoreError> {
        let (agency, admin) = match principal {
            Principal::Admin => (None, 1i64),
            Principal::Agency(agency) => (Some(agency.as_str()), 0i64),
        };
        sqlx::query("INSERT INTO tokens (hash, agency, admin, created) VALUES ($1, $2, $3, $4)")
            .bind(hash)
            .bind(agency)
            .bind(admin)
            .bind(created)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Revokes the one unrevoked token whose hash starts with `prefix` (a short id or
    /// more) at `now` (epoch seconds), and bumps the tokens version so running servers
    /// forget it. Returns its short id.
    pub async fn revoke_token(
        pool: &AnyPool,
        prefix: &str,
        now: i64,
    ) -> Result<Result<String, String>, StoreError> {
        let mut transaction = pool.begin().await?;
        let matching: Vec<String> = sqlx::query(
            "SELECT hash FROM tokens WHERE substr(hash, 1, length($1)) = $1 AND revoked IS NULL",
        )
        .bind(prefix)
        .fetch_all(&mut *transaction)
        .await?
        .into_iter()
        .map(|row| row.get("hash"))
        .collect();
        let hash = match matching.as_slice() {
            [hash] => hash.clone(),
            [] => return Ok(Err(format!("no unrevoked token has the id `{prefix}`"))),
            _ => {
                return Ok(Err(format!(
                    "{} tokens have ids starting `{prefix}`: give more of the id",
                    matching.len()
                )));
            }
        };
        sqlx::query("UPDATE tokens SET revoked = $1 WHERE hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) \
             DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)",
        )
        .bind(TOKENS_VERSION)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Ok(hash[..TOKEN_ID_LEN.min(hash.len())].to_owned()))
    }

    /// Stores a value of the meta table unless one is there already (a node sharing the
    /// database may have stored it first), and returns the stored one.
    pub async fn set_meta_once(
        pool: &AnyPool,
        key: &str,
        value: &str,
    ) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
        read::meta(pool, key)
            .await?
            .ok_or_else(|| StoreError::Database(format!("meta `{key}` vanished once stored")))
    }
}

/// Reads for the history endpoints: the timeline's journal prefix and effects, and the
/// stored workflows.
pub mod history {
    use super::*;

    /// A stored workflow's row, without its texts.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WorkflowRow {
        /// Its content hash.
        pub hash: String,
        /// When it was stored (Unix seconds, the system clock); `None` for a workflow
        /// stored before the host recorded it.
        pub loaded_at: Option<i64>,
    }

    /// Every stored workflow, in the order they were stored.
    pub async fn workflows(pool: &AnyPool) -> Result<Vec<WorkflowRow>, StoreError> {
        // `workflows` is a rowid table: the rowid counts insertions (a clock may not).
        let rows = sqlx::query("SELECT hash, loaded_at FROM workflows ORDER BY rowid")
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| WorkflowRow {
                hash: row.get("hash"),
                loaded_at: row.get("loaded_at"),
            })
            .collect())
    }

    /// One stored workflow: its row, what it is loaded from, and the compiled bytes.
    pub async fn workflow(
        pool: &AnyPool,
        hash: &str,
    ) -> Result<Option<(WorkflowRow, StoredWorkflow, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT hash, loaded_at, source, shared, compiled FROM workflows WHERE hash = $1",
        )
        .bind(hash)
        .fetch_all(pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|row| {
            (
                WorkflowRow {
                    hash: row.get("hash"),
                    loaded_at: row.get("loaded_at"),
                },
                StoredWorkflow {
                    hash: row.get("hash"),
                    source: row.get("source"),
                    shared: row.get("shared"),
                },
                row.get("compiled"),
            )
        }))
    }

    /// An instance's journal rows before `end_seq`, in order.
    pub async fn journal_before(
        pool: &AnyPool,
        instance: i64,
        end_seq: i64,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, input, actor, idempotency_key FROM journal \
             WHERE instance = $1 AND seq < $2 ORDER BY seq",
        )
        .bind(instance)
        .bind(end_seq)
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(stored_row).collect())
    }

    /// An instance's first `limit` effects, in order.
    pub async fn first_effects(
        pool: &AnyPool,
        instance: i64,
        limit: i64,
    ) -> Result<Vec<StoredEffect>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, instance, record FROM effects WHERE instance = $1 ORDER BY id LIMIT $2",
        )
        .bind(instance)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredEffect {
                id: row.get("id"),
                instance: row.get("instance"),
                record: row.get("record"),
            })
            .collect())
    }
}
