//! The live host: workflows and instances in memory over the store, every change
//! journaled before it is acknowledged, and the timer scheduler.

use crate::clock::Clock;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::replay::{self, effect_json, encode_snapshot};
use crate::shared::SharedTexts;
use crate::store::{Append, Idempotency, JournalRow, Store, StoreError, Ticket, Write, read};
use axum::http::StatusCode;
use directrix_core::{
    Effect, Input, Instance, Timestamp, Workflow, instance::ActArgs, record::InboxRecord,
    record::NextTimerRecord, record::StatusRecord,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::Notify;

/// An instance in memory, with the journal length its stored snapshot covers.
///
/// Its state may run ahead of the store: an input's rows are queued to the writer under
/// the instance's lock and the lock is released before they are durable, so the next
/// input is computed (and queued) meanwhile. Nobody is answered before the write their
/// answer rests on is durable (`last`).
struct Live {
    instance: Instance,
    snapshot_seq: i64,
    /// Which load this is: a failed commit empties the slot only if it was not reloaded
    /// since.
    generation: u64,
    /// The last write queued for this instance.
    last: Option<Ticket>,
    /// Every (agency, Idempotency-Key) used on this instance, by [`key_hash`]: a key not
    /// here was never used here, so a new key needs no read (a key used on another
    /// instance is refused by the table's primary key when the act is committed).
    keys: HashMap<u64, Seen>,
    /// The keys whose answer is held until their write is durable, oldest first.
    pending_keys: VecDeque<u64>,
}

/// What a loaded instance knows of a key used on it.
enum Seen {
    /// Its first answer is in the table.
    Stored,
    /// Its first answer, until the write that stores it is durable.
    Pending(Arc<FirstInMemory>),
}

/// A first answer whose write is queued.
struct FirstInMemory {
    request_hash: String,
    status: u16,
    body: String,
    ticket: Ticket,
}

impl Live {
    /// Forgets the answers that are now durable (the table has them).
    fn sweep_keys(&mut self) {
        while let Some(hash) = self.pending_keys.front().copied() {
            let settled = match self.keys.get(&hash) {
                Some(Seen::Pending(first)) => first.ticket.settled(),
                _ => Some(Ok(())),
            };
            match settled {
                None => break,
                Some(Ok(())) => {
                    if let Some(seen) = self.keys.get_mut(&hash) {
                        *seen = Seen::Stored;
                    }
                }
                Some(Err(_)) => {
                    self.keys.remove(&hash);
                }
            }
            self.pending_keys.pop_front();
        }
    }
}

/// The in-memory key of (agency, Idempotency-Key). A collision only costs a read.
fn key_hash(agency: &str, key: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    (agency, key).hash(&mut hasher);
    hasher.finish()
}

/// A write queued for an instance, to be waited for once its lock is released.
struct Committing {
    ticket: Ticket,
    generation: u64,
    fired: u64,
    effects: bool,
}

/// Waits until what a reader saw is durable.
async fn settled(ticket: Option<Ticket>) -> Result<(), ApiError> {
    match ticket {
        Some(ticket) => ticket.wait().await.map_err(|e| ApiError::commit(&e)),
        None => Ok(()),
    }
}

/// `None` until loaded, and again after a failed commit: the next user reloads it from
/// the journal, the truth.
type Slot = Arc<tokio::sync::Mutex<Option<Live>>>;

#[derive(Clone)]
struct Entry {
    workflow: String,
    slot: Slot,
}

/// Due instances by time, and each instance's due time, kept together.
#[derive(Default)]
struct Timers {
    by_time: BTreeSet<(i64, i64)>,
    of: HashMap<i64, i64>,
}

impl Timers {
    fn set(&mut self, id: i64, at: Option<i64>) {
        if let Some(old) = self.of.remove(&id) {
            self.by_time.remove(&(old, id));
        }
        if let Some(at) = at {
            self.of.insert(id, at);
            self.by_time.insert((at, id));
        }
    }

    fn due(&self, now: i64) -> Vec<i64> {
        self.by_time
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| *id)
            .collect()
    }

    fn first(&self) -> Option<i64> {
        self.by_time.first().map(|(at, _)| *at)
    }
}

/// An act as the API receives it. The actor is not a field: it is the token's agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::ToSchema)]
pub struct ActRequest {
    /// Task instance name.
    pub task: String,
    /// Action id.
    pub action: String,
    /// Free text for the journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For an extension request: the due time asked for (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// The answer to an act.
#[derive(Debug, Serialize)]
struct ActAnswer {
    instance: i64,
    version: i64,
    at: String,
    effects: Vec<serde_json::Value>,
}

/// An instance's status view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstanceView {
    /// Its id.
    pub id: i64,
    /// Its workflow's content hash.
    pub workflow: String,
    /// The directive number.
    pub directive: String,
    /// Its journal's length.
    pub version: i64,
    /// Its time (the latest input's).
    pub now: String,
    /// When it needs the clock next.
    pub next_timer: Option<NextTimerRecord>,
    /// Every task instance.
    pub tasks: Vec<StatusRecord>,
    /// A fingerprint of its state ([`Instance::state_hash`]): what a portal replaying
    /// the journal in WebAssembly reaches too.
    pub state_hash: String,
}

/// One instance's part of an agency's inbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InboxEntry {
    /// The instance.
    pub instance: i64,
    /// The directive number.
    pub directive: String,
    /// What the agency may do there now.
    pub items: Vec<InboxRecord>,
}

/// What an act returned: the answer's JSON, and whether it is a stored first answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActOutcome {
    /// The JSON body.
    pub body: String,
    /// The HTTP status: 200, or a refusal's when a refused act's key is repeated.
    pub status: u16,
    /// True when the Idempotency-Key was seen before with the same request.
    pub replayed: bool,
}

impl ActOutcome {
    fn replay(
        first_hash: &str,
        request_hash: &str,
        status: u16,
        body: String,
    ) -> Result<Self, ApiError> {
        if first_hash != request_hash {
            return Err(ApiError::key_reused());
        }
        Ok(Self {
            body,
            status,
            replayed: true,
        })
    }
}

/// The running host.
pub struct Host {
    store: Store,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    workflows: RwLock<HashMap<String, Arc<Workflow>>>,
    instances: Mutex<HashMap<i64, Entry>>,
    timers: Mutex<Timers>,
    wake: Notify,
    /// Bumped after every commit that stored effects: wakes the event streams.
    events: tokio::sync::watch::Sender<u64>,
    /// Set when the host stops: ends the event streams.
    stopping: tokio::sync::watch::Sender<bool>,
    snapshot_every: i64,
    /// Numbers the loads of instances ([`Live::generation`]).
    loads: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding it leaves plain data behind: keep going.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Host {
    /// Loads the workflows and the instance index from the store.
    pub async fn open(
        store: Store,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        snapshot_every: i64,
    ) -> Result<Arc<Self>, String> {
        let mut workflows = HashMap::new();
        for stored in read::workflows(store.pool())
            .await
            .map_err(|e| e.to_string())?
        {
            let workflow = stored.load()?;
            workflows.insert(stored.hash, Arc::new(workflow));
        }
        let mut instances = HashMap::new();
        let mut timers = Timers::default();
        for row in read::instances(store.pool())
            .await
            .map_err(|e| e.to_string())?
        {
            timers.set(row.id, row.next_timer);
            instances.insert(
                row.id,
                Entry {
                    workflow: row.workflow,
                    slot: Slot::default(),
                },
            );
        }
        Ok(Arc::new(Self {
            store,
            clock,
            metrics,
            workflows: RwLock::new(workflows),
            instances: Mutex::new(instances),
            timers: Mutex::new(timers),
            wake: Notify::new(),
            events: tokio::sync::watch::Sender::new(0),
            stopping: tokio::sync::watch::Sender::new(false),
            snapshot_every: snapshot_every.max(1),
            loads: AtomicU64::new(0),
        }))
    }

    /// The host's clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn workflow(&self, hash: &str) -> Option<Arc<Workflow>> {
        self.workflows
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(hash)
            .cloned()
    }

    fn entry(&self, id: &str) -> Result<(i64, Entry), ApiError> {
        let parsed: i64 = id.parse().map_err(|_| ApiError::unknown_instance(id))?;
        lock(&self.instances)
            .get(&parsed)
            .cloned()
            .map(|entry| (parsed, entry))
            .ok_or_else(|| ApiError::unknown_instance(id))
    }

    /// Loads the instance into its slot if it is not there.
    async fn ensure_loaded<'a>(
        &self,
        id: i64,
        entry: &Entry,
        slot: &'a mut Option<Live>,
    ) -> Result<&'a mut Live, ApiError> {
        if let Some(live) = slot.as_ref()
            && self.store.dialect().shared()
            && live
                .last
                .as_ref()
                .is_none_or(|last| last.settled().is_some())
        {
            // Another node may have appended since this one loaded it: reload when the
            // stored version is not the one in memory (nothing of ours is in flight).
            let stored = read::instance(self.store.pool(), id)
                .await
                .map_err(|e| ApiError::storage(&e))?
                .map(|row| row.version);
            if stored != Some(live.instance.journal_len() as i64) {
                *slot = None;
            }
        }
        if slot.is_none() {
            let workflow = self.workflow(&entry.workflow).ok_or_else(|| {
                ApiError::internal(format!("instance {id}: its workflow is not loaded"))
            })?;
            let (instance, snapshot_seq) = replay::load(self.store.pool(), workflow, id)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let keys = read::idempotency_keys(self.store.pool(), id)
                .await
                .map_err(|e| ApiError::storage(&e))?
                .into_iter()
                .map(|(agency, key)| (key_hash(&agency, &key), Seen::Stored))
                .collect();
            *slot = Some(self.live(instance, snapshot_seq, keys));
        }
        slot.as_mut()
            .ok_or_else(|| ApiError::internal("instance slot emptied while loading"))
    }

    /// The time for an input: the clock's, never before the instance's own time.
    fn input_time(&self, instance: &Instance) -> Timestamp {
        self.clock.now().max(instance.now())
    }

    fn live(&self, instance: Instance, snapshot_seq: i64, keys: HashMap<u64, Seen>) -> Live {
        Live {
            instance,
            snapshot_seq,
            generation: self.loads.fetch_add(1, Ordering::Relaxed),
            last: None,
            keys,
            pending_keys: VecDeque::new(),
        }
    }

    /// Queues what `live` journaled since `first_seq` (and the first answer to
    /// remember), under the instance's lock; [`Host::settle`] then waits for it without
    /// the lock. `None`: nothing to write. On failure empties the slot so the instance
    /// reloads from the journal.
    fn queue(
        &self,
        id: i64,
        slot: &mut Option<Live>,
        first_seq: i64,
        effects: &[Effect],
        act: Option<(&str, Option<Idempotency>)>,
    ) -> Result<Option<Committing>, ApiError> {
        let Some(live) = slot.as_mut() else {
            return Err(ApiError::internal("instance not loaded"));
        };
        let (actor, first) = match act {
            Some((agency, first)) => (Some(agency), first),
            None => (None, None),
        };
        let version = live.instance.journal_len() as i64;
        if version == first_seq && first.is_none() {
            return Ok(None);
        }
        // The instance keeps only what it journaled since its last queued write (the
        // writer holds the rest): `journal()[0]` is at position `kept_from`.
        let journal = live.instance.journal();
        let kept_from = version - journal.len() as i64;
        let Some(unstored) = usize::try_from(first_seq - kept_from)
            .ok()
            .and_then(|from| journal.get(from..))
        else {
            return Err(ApiError::internal(
                "instance journal no longer holds its tail",
            ));
        };
        let mut fired = 0;
        let rows = unstored
            .iter()
            .map(|input| {
                // Only the request's own act carries its agency and key; the timers that
                // fired before it are the system's.
                let is_act = matches!(input, Input::Act { .. });
                fired += u64::from(matches!(input, Input::Advance { .. }));
                JournalRow {
                    input: serde_json::to_string(input).unwrap_or_default(),
                    actor: actor.filter(|_| is_act).map(str::to_owned),
                    idempotency_key: first.as_ref().filter(|_| is_act).map(|f| f.key.clone()),
                }
            })
            .collect();
        let snapshot = (version - live.snapshot_seq >= self.snapshot_every)
            .then(|| encode_snapshot(&live.instance));
        let next_timer = live.instance.next_timer().map(|t| t.at.as_seconds());
        let append = Append {
            instance: id,
            create: None,
            first_seq,
            rows,
            effects: effects
                .iter()
                .map(|e| effect_json(id, &live.instance, e))
                .collect(),
            next_timer,
            snapshot: snapshot.clone(),
            idempotency: first,
            lineage: live.generation,
        };
        match self.store.queue(Write::Append(append)) {
            Ok(ticket) => {
                if snapshot.is_some() {
                    live.snapshot_seq = version;
                }
                // Queued: memory stays the state's size however long the journal grows.
                live.instance.forget_journal();
                live.last = Some(ticket.clone());
                // Set under the lock, so the index follows the instance's order.
                self.set_timer(id, next_timer);
                Ok(Some(Committing {
                    ticket,
                    generation: live.generation,
                    fired,
                    effects: !effects.is_empty(),
                }))
            }
            Err(error) => {
                *slot = None;
                Err(ApiError::storage(&error))
            }
        }
    }

    /// Waits (without the instance's lock) until a queued write is durable. On failure
    /// the instance reloads from the journal (unless it already did), and the writes
    /// queued after this one fail on their version check.
    async fn settle(&self, id: i64, entry: &Entry, committing: Committing) -> Result<(), ApiError> {
        match committing.ticket.wait().await {
            Ok(()) => {
                self.metrics
                    .timers_fired
                    .fetch_add(committing.fired, Ordering::Relaxed);
                if committing.effects {
                    self.events.send_modify(|n| *n += 1);
                }
                Ok(())
            }
            Err(error) => {
                if let StoreError::Conflict { .. } = error {
                    // Another node appended first: expected where nodes share a database.
                    tracing::info!(instance = id, %error, "reloading the instance");
                } else {
                    tracing::error!(instance = id, %error, "commit failed; reloading the instance");
                }
                let mut slot = entry.slot.lock().await;
                if slot
                    .as_ref()
                    .is_some_and(|live| live.generation == committing.generation)
                {
                    *slot = None;
                }
                drop(slot);
                // The scheduler's index may hold the failed write's timer: it fires, finds
                // nothing due, and takes the journal's.
                Err(ApiError::commit(&error))
            }
        }
    }

    fn set_timer(&self, id: i64, at: Option<i64>) {
        lock(&self.timers).set(id, at);
        self.wake.notify_one();
    }

    /// Fires every timer of the instance due by `now`, one instant at a time, so each
    /// fires at its own time as `restore_at`'s catch-up does. Returns those instants.
    fn fire_due(
        instance: &mut Instance,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) -> Result<Vec<Timestamp>, ApiError> {
        let mut fired = Vec::new();
        while let Some(next) = instance.next_timer().filter(|t| t.at <= now) {
            effects.extend(instance.advance(next.at)?);
            fired.push(next.at);
        }
        Ok(fired)
    }

    /// Stores a workflow with the shared calendars and registries it names; returns its
    /// hash and warnings.
    pub async fn add_workflow(
        &self,
        source: String,
        shared: SharedTexts,
    ) -> Result<(String, Vec<directrix_core::Diagnostic>), ApiError> {
        let loaded = shared.load(&source).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_workflow",
                error.to_string(),
            )
            .with(
                "diagnostics",
                serde_json::to_value(&error.diagnostics).unwrap_or_default(),
            )
        })?;
        let workflow = loaded.workflow;
        let hash = workflow.content_hash().to_owned();
        if self.workflow(&hash).is_none() {
            let write = Write::Workflow {
                hash: hash.clone(),
                source,
                shared: shared.to_json(),
                compiled: workflow.to_compiled(),
            };
            self.store
                .commit(write)
                .await
                .map_err(|e| ApiError::storage(&e))?;
            self.workflows
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(hash.clone(), Arc::new(workflow));
        }
        Ok((hash, loaded.warnings))
    }

    /// Starts an instance of a stored workflow at `start` (default: the clock's now).
    pub async fn start_instance(
        &self,
        workflow_hash: &str,
        start: Option<&str>,
    ) -> Result<InstanceView, ApiError> {
        let workflow = self.find_workflow(workflow_hash).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_workflow",
                format!(
                    "no workflow `{}` (POST its text to /v1/workflows first)",
                    directrix_core::diagnostic::excerpt(workflow_hash)
                ),
            )
        })?;
        let at = match start {
            Some(text) => Timestamp::parse(text, workflow.calendar().offset()).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_time",
                    e.to_string(),
                )
            })?,
            None => self.clock.now(),
        };
        let (instance, effects) = Instance::start(Arc::clone(&workflow), at)?;
        let id = self
            .store
            .new_instance_id()
            .await
            .map_err(|e| ApiError::storage(&e))?;
        let next_timer = instance.next_timer().map(|t| t.at.as_seconds());
        let append = Append {
            instance: id,
            create: Some(workflow_hash.to_owned()),
            first_seq: 0,
            rows: instance
                .journal()
                .iter()
                .map(|input| JournalRow {
                    input: serde_json::to_string(input).unwrap_or_default(),
                    actor: None,
                    idempotency_key: None,
                })
                .collect(),
            effects: effects
                .iter()
                .map(|e| effect_json(id, &instance, e))
                .collect(),
            next_timer,
            snapshot: None,
            idempotency: None,
            lineage: self.loads.fetch_add(1, Ordering::Relaxed),
        };
        self.store
            .commit(Write::Append(append))
            .await
            .map_err(|e| ApiError::storage(&e))?;
        let view = view(id, &instance);
        let mut instance = instance;
        instance.forget_journal();
        lock(&self.instances).insert(
            id,
            Entry {
                workflow: workflow_hash.to_owned(),
                slot: Arc::new(tokio::sync::Mutex::new(Some(self.live(
                    instance,
                    0,
                    HashMap::new(),
                )))),
            },
        );
        self.set_timer(id, next_timer);
        self.events.send_modify(|n| *n += 1);
        Ok(view)
    }

    /// Whether `agency` has a part in the instance's workflow (may read it).
    fn is_party(&self, entry: &Entry, agency: &str) -> bool {
        self.workflow(&entry.workflow)
            .is_some_and(|w| w.agency_id(agency).is_some())
    }

    /// A receiver that sees a change after every commit that stored effects.
    pub fn subscribe_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events.subscribe()
    }

    /// A receiver that turns true when the host stops.
    pub fn subscribe_stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Ends the event streams (the server is shutting down).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Whether `agency` has a part in instance `id` (sees its events).
    pub fn is_party_of(&self, id: i64, agency: &str) -> bool {
        let entry = lock(&self.instances).get(&id).cloned();
        entry.is_some_and(|entry| self.is_party(&entry, agency))
    }

    /// Refuses an agency foreign to the instance's workflow.
    pub async fn check_party(&self, id: &str, agency: Option<&str>) -> Result<(), ApiError> {
        let (_, entry) = self.find(id).await?;
        match agency {
            Some(agency) if !self.is_party(&entry, agency) => Err(ApiError::forbidden(
                "not_a_party",
                format!(
                    "agency `{}` has no part in instance {id}",
                    directrix_core::diagnostic::excerpt(agency)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The status view of an instance.
    pub async fn instance_view(&self, id: &str) -> Result<InstanceView, ApiError> {
        // What it saw may be refused meanwhile (another node's append): seen again.
        retry_conflicts(|| self.instance_view_once(id)).await
    }

    async fn instance_view_once(&self, id: &str) -> Result<InstanceView, ApiError> {
        let (id, entry) = self.find(id).await?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let view = view(id, &live.instance);
        let last = live.last.clone();
        drop(slot);
        settled(last).await?;
        Ok(view)
    }

    /// The tracking grid of an instance at `at` (default: the clock's now), never before
    /// the instance's own time. A projection: the timers due by then fire in a copy,
    /// nothing is journaled.
    pub async fn grid(
        &self,
        id: &str,
        at: Option<&str>,
    ) -> Result<directrix_core::record::Grid, ApiError> {
        let (id, entry) = self.find(id).await?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let at = match at {
            Some(text) => Timestamp::parse(text, live.instance.workflow().calendar().offset())
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_time",
                        e.to_string(),
                    )
                })?,
            None => self.input_time(&live.instance),
        };
        let mut projected = live.instance.clone();
        let last = live.last.clone();
        drop(slot);
        settled(last).await?;
        projected.advance(at)?;
        Ok(projected.grid())
    }

    /// The stored journal of an instance.
    pub async fn journal(&self, id: &str) -> Result<Vec<serde_json::Value>, ApiError> {
        let (id, _) = self.find(id).await?;
        let rows = read::journal(self.store.pool(), id, 0)
            .await
            .map_err(|e| ApiError::storage(&e))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                serde_json::json!({
                    "seq": row.seq,
                    "input": serde_json::from_str::<serde_json::Value>(&row.input).unwrap_or_default(),
                    "actor": row.actor,
                    "idempotency_key": row.idempotency_key,
                })
            })
            .collect())
    }

    /// What `agency` may do now, across every instance it has a part in.
    pub async fn inbox(&self, agency: &str) -> Result<Vec<InboxEntry>, ApiError> {
        retry_conflicts(|| self.inbox_once(agency)).await
    }

    async fn inbox_once(&self, agency: &str) -> Result<Vec<InboxEntry>, ApiError> {
        if self.store.dialect().shared() {
            // Instances started on other nodes.
            let rows = read::instances(self.store.pool())
                .await
                .map_err(|e| ApiError::storage(&e))?;
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            self.know_instances(&ids).await?;
        }
        let mut entries: Vec<(i64, Entry)> = lock(&self.instances)
            .iter()
            .map(|(id, entry)| (*id, entry.clone()))
            .collect();
        entries.sort_by_key(|(id, _)| *id);
        let mut inbox = Vec::new();
        let mut lasts = Vec::new();
        for (id, entry) in entries {
            let Some(agency_id) = self
                .workflow(&entry.workflow)
                .and_then(|w| w.agency_id(agency))
            else {
                continue;
            };
            let mut slot = entry.slot.lock().await;
            let live = self.ensure_loaded(id, &entry, &mut slot).await?;
            let items = live.instance.inbox_records(agency_id);
            lasts.push(live.last.clone());
            if !items.is_empty() {
                inbox.push(InboxEntry {
                    instance: id,
                    directive: live.instance.workflow().directive().number.clone(),
                    items,
                });
            }
        }
        for last in lasts {
            settled(last).await?;
        }
        Ok(inbox)
    }

    /// `agency` acts on an instance. With a key, a repeated request returns the first
    /// answer (a refusal too) and changes nothing; the same key with another request is
    /// refused.
    pub async fn act(
        &self,
        id: &str,
        agency: &str,
        request: &ActRequest,
        key: Option<&str>,
    ) -> Result<ActOutcome, ApiError> {
        retry_conflicts(|| self.act_once(id, agency, request, key)).await
    }

    async fn act_once(
        &self,
        id: &str,
        agency: &str,
        request: &ActRequest,
        key: Option<&str>,
    ) -> Result<ActOutcome, ApiError> {
        let (id, entry) = self.find(id).await?;
        let request_hash = hex(&Sha256::digest(
            serde_json::to_vec(&(id, request)).unwrap_or_default(),
        ));
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        // Checked under the instance's lock, so two requests with one key cannot both
        // pass on this instance; across instances the table's key refuses the second.
        let hash = key.map(|key| key_hash(agency, key));
        if let (Some(key), Some(hash)) = (key, hash) {
            live.sweep_keys();
            match live.keys.get(&hash) {
                Some(Seen::Pending(first)) => {
                    let first = Arc::clone(first);
                    drop(slot);
                    let outcome = ActOutcome::replay(
                        &first.request_hash,
                        &request_hash,
                        first.status,
                        first.body.clone(),
                    )?;
                    first
                        .ticket
                        .clone()
                        .wait()
                        .await
                        .map_err(|e| ApiError::storage(&e))?;
                    return Ok(outcome);
                }
                Some(Seen::Stored) => {
                    if let Some(first) = read::idempotency(self.store.pool(), agency, key)
                        .await
                        .map_err(|e| ApiError::storage(&e))?
                    {
                        return ActOutcome::replay(
                            &first.request_hash,
                            &request_hash,
                            first.status,
                            first.response,
                        );
                    }
                    // Another key's hash: this one is new.
                }
                None => {}
            }
        }
        let first_seq = live.instance.journal_len() as i64;
        let at = self.input_time(&live.instance);
        let mut effects = Vec::new();
        let outcome = act_on(&mut live.instance, at, agency, request, &mut effects);
        let (status, body) = match &outcome {
            Ok(()) => (
                StatusCode::OK.as_u16(),
                serde_json::to_string(&ActAnswer {
                    instance: id,
                    version: live.instance.journal_len() as i64,
                    at: live.instance.workflow().format_time(at),
                    effects: effects
                        .iter()
                        .map(|e| serde_json::from_str(&effect_json(id, &live.instance, e)))
                        .collect::<Result<_, _>>()
                        .unwrap_or_default(),
                })
                .unwrap_or_default(),
            ),
            // The core's refusal, decided by the state the act met: kept under the key
            // like an answer.
            Err(error) => (error.status.as_u16(), error.body().to_string()),
        };
        let first = key.map(|key| Idempotency {
            agency: agency.to_owned(),
            key: key.to_owned(),
            request_hash: request_hash.clone(),
            response: body.clone(),
            status,
        });
        // The timers that fell due before the act are journaled even when the act is
        // refused: they fired.
        let committing = self.queue(id, &mut slot, first_seq, &effects, Some((agency, first)))?;
        if let (Some(hash), Some(committing), Some(live)) = (hash, &committing, slot.as_mut()) {
            live.keys.insert(
                hash,
                Seen::Pending(Arc::new(FirstInMemory {
                    request_hash,
                    status,
                    body: body.clone(),
                    ticket: committing.ticket.clone(),
                })),
            );
            live.pending_keys.push_back(hash);
        }
        drop(slot);
        if let Some(committing) = committing {
            self.settle(id, &entry, committing).await?;
        }
        match outcome {
            Ok(()) => {
                self.metrics.acts.fetch_add(1, Ordering::Relaxed);
                Ok(ActOutcome {
                    body,
                    status,
                    replayed: false,
                })
            }
            Err(error) => {
                self.metrics.acts_refused.fetch_add(1, Ordering::Relaxed);
                Err(error)
            }
        }
    }

    /// Applies a follow-up document to an instance (admin): the timers due first, then
    /// the document, journaled with its text so replay applies it again.
    pub async fn follow_up(&self, id: &str, text: String) -> Result<String, ApiError> {
        retry_conflicts(|| self.follow_up_once(id, text.clone())).await
    }

    async fn follow_up_once(&self, id: &str, text: String) -> Result<String, ApiError> {
        let (id, entry) = self.find(id).await?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let first_seq = live.instance.journal_len() as i64;
        let at = self.input_time(&live.instance);
        let mut effects = Vec::new();
        let outcome = Self::fire_due(&mut live.instance, at, &mut effects).and_then(|_| {
            let (applied, report) = live
                .instance
                .apply_follow_up(at, &text)
                .map_err(follow_up_error)?;
            effects.extend(applied);
            Ok(report)
        });
        let body = outcome.as_ref().ok().map(|report| {
            serde_json::json!({
                "instance": id,
                "version": live.instance.journal_len() as i64,
                "workflow": live.instance.workflow().content_hash(),
                "at": live.instance.workflow().format_time(at),
                "effects": effects
                    .iter()
                    .map(|e| serde_json::from_str(&effect_json(id, &live.instance, e)).unwrap_or_default())
                    .collect::<Vec<serde_json::Value>>(),
                "report": report,
            })
            .to_string()
        });
        let committing = self.queue(id, &mut slot, first_seq, &effects, None)?;
        drop(slot);
        if let Some(committing) = committing {
            self.settle(id, &entry, committing).await?;
        }
        outcome?;
        body.ok_or_else(|| ApiError::internal("follow-up answered nothing"))
    }

    /// Fires the due timers of one instance and journals them.
    async fn fire(&self, id: i64) -> Result<(), ApiError> {
        let Ok((_, entry)) = self.find(&id.to_string()).await else {
            return Ok(());
        };
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let first_seq = live.instance.journal_len() as i64;
        let now = self.clock.now();
        let mut effects = Vec::new();
        let fired = Self::fire_due(&mut live.instance, now, &mut effects);
        let next_timer = live.instance.next_timer().map(|t| t.at.as_seconds());
        let committing = self.queue(id, &mut slot, first_seq, &effects, None)?;
        // Nothing journaled (e.g. another task fired them first): the index may still
        // hold a stale time.
        self.set_timer(id, next_timer);
        drop(slot);
        if let Some(committing) = committing {
            self.settle(id, &entry, committing).await?;
        }
        for at in fired.as_deref().unwrap_or_default() {
            self.metrics.record_timer_lag(self.clock.real_since(*at));
        }
        fired.map(drop)
    }

    /// Fires timers as the clock reaches them, for ever.
    pub async fn run_scheduler(self: Arc<Self>) {
        loop {
            let now = self.clock.now().as_seconds();
            let (due, claimed) = match self.store.claim_due(now, TIMER_LEASE_SECONDS, 256).await {
                Ok(Some(claimed)) => (claimed, true),
                Ok(None) => (lock(&self.timers).due(now), false),
                Err(error) => {
                    tracing::error!(%error, "claiming due timers failed");
                    (Vec::new(), true)
                }
            };
            let mut firing = tokio::task::JoinSet::new();
            for id in due {
                let host = Arc::clone(&self);
                firing.spawn(async move {
                    let fired = host.fire(id).await;
                    if claimed {
                        // Claimed in the database: the lease ends here, whatever the
                        // outcome (a failure is claimed again at the next look).
                        if let Err(error) = &fired {
                            tracing::error!(instance = id, code = %error.code, message = %error.message, "firing timers failed");
                        }
                        if let Err(error) = host.store.release(id).await {
                            tracing::error!(instance = id, %error, "releasing a timer lease failed");
                        }
                        return;
                    }
                    if let Err(error) = fired {
                        tracing::error!(instance = id, code = %error.code, message = %error.message, "firing timers failed");
                        // Out of the index for a second of real time, so a failing
                        // instance (storage down) neither spins the scheduler nor is
                        // forgotten.
                        lock(&host.timers).set(id, None);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        host.set_timer(id, Some(host.clock.now().as_seconds()));
                    }
                });
            }
            while firing.join_next().await.is_some() {}
            if claimed {
                // What the database did not give this node is fired (or leased) by
                // another: its stale times here would only wake this loop for nothing.
                let mut timers = lock(&self.timers);
                for id in timers.due(now) {
                    timers.set(id, None);
                }
            }
            let next = lock(&self.timers).first();
            let wait = next
                .map(|at| self.clock.real_wait(Timestamp::from_seconds(at)))
                .unwrap_or(Duration::from_secs(1))
                .min(Duration::from_secs(1));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

/// How long a node holds the due timers it claimed from a shared database: after this
/// (seconds of the database's clock) another node may fire them, e.g. when this one died.
const TIMER_LEASE_SECONDS: i64 = 5;

/// How often an event stream reads a shared database's outbox for other nodes' effects.
const EVENTS_POLL: Duration = Duration::from_millis(200);

/// Tries again, on the instance reloaded from the journal, while a commit meets another
/// node's append (the version it was computed from is gone). Bounded: a busy instance
/// answers 409 `version_conflict` in the end, and the client retries with its key.
async fn retry_conflicts<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(error) if error.code == ApiError::VERSION_CONFLICT && tries < 8 => tries += 1,
            outcome => return outcome,
        }
    }
}

impl Host {
    /// The instance `id`, also when it was started on another node sharing the database
    /// (it is then added to the index).
    async fn find(&self, id: &str) -> Result<(i64, Entry), ApiError> {
        match self.entry(id) {
            Err(error) if self.store.dialect().shared() => {
                let parsed: i64 = id.parse().map_err(|_| ApiError::unknown_instance(id))?;
                self.know_instances(&[parsed]).await?;
                self.entry(id).map_err(|_| error)
            }
            found => found,
        }
    }

    /// Adds to the index the instances among `ids` that another node started (and
    /// their workflows). A no-op where one node owns the database.
    pub async fn know_instances(&self, ids: &[i64]) -> Result<(), ApiError> {
        if !self.store.dialect().shared() {
            return Ok(());
        }
        let unknown: BTreeSet<i64> = {
            let known = lock(&self.instances);
            ids.iter()
                .filter(|id| !known.contains_key(id))
                .copied()
                .collect()
        };
        for id in unknown {
            let Some(row) = read::instance(self.store.pool(), id)
                .await
                .map_err(|e| ApiError::storage(&e))?
            else {
                continue;
            };
            if self.find_workflow(&row.workflow).await?.is_none() {
                continue;
            }
            lock(&self.instances).entry(id).or_insert_with(|| Entry {
                workflow: row.workflow,
                slot: Slot::default(),
            });
        }
        Ok(())
    }

    /// A stored workflow, also one another node stored since this one started.
    async fn find_workflow(&self, hash: &str) -> Result<Option<Arc<Workflow>>, ApiError> {
        if let Some(workflow) = self.workflow(hash) {
            return Ok(Some(workflow));
        }
        if !self.store.dialect().shared() {
            return Ok(None);
        }
        let Some(stored) = read::workflow_source(self.store.pool(), hash)
            .await
            .map_err(|e| ApiError::storage(&e))?
        else {
            return Ok(None);
        };
        let workflow = Arc::new(stored.load().map_err(ApiError::internal)?);
        self.workflows
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(hash.to_owned(), Arc::clone(&workflow));
        Ok(Some(workflow))
    }

    /// How often an event stream should read the outbox besides this node's commits:
    /// `Some` where other nodes commit to the same database.
    pub fn events_poll(&self) -> Option<Duration> {
        self.store.dialect().shared().then_some(EVENTS_POLL)
    }
}

/// The act itself: the timers due first, then the action, as the token's agency.
fn act_on(
    instance: &mut Instance,
    at: Timestamp,
    agency: &str,
    request: &ActRequest,
    effects: &mut Vec<Effect>,
) -> Result<(), ApiError> {
    let workflow = Arc::clone(instance.workflow());
    let until = request
        .until
        .as_deref()
        .map(|text| Timestamp::parse(text, workflow.calendar().offset()))
        .transpose()
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_time",
                e.to_string(),
            )
        })?;
    let (actor, task, action) = workflow.resolve_act(agency, &request.task, &request.action)?;
    Host::fire_due(instance, at, effects)?;
    let args = ActArgs {
        note: request.note.as_deref(),
        until,
    };
    instance.act_with(at, actor, task, action, args, effects)?;
    Ok(())
}

fn follow_up_error(error: directrix_core::instance::FollowUpError) -> ApiError {
    let status = match error {
        directrix_core::instance::FollowUpError::Time(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.code(), error.to_string()).with(
        "diagnostics",
        serde_json::to_value(error.diagnostics()).unwrap_or_default(),
    )
}

fn view(id: i64, instance: &Instance) -> InstanceView {
    let workflow = instance.workflow();
    InstanceView {
        id,
        workflow: workflow.content_hash().to_owned(),
        directive: workflow.directive().number.clone(),
        version: instance.journal_len() as i64,
        now: workflow.format_time(instance.now()),
        next_timer: instance.next_timer_record(),
        tasks: instance.status_records(),
        state_hash: instance.state_hash(),
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where an instance stands, for the history endpoints ([`crate::history`]).
pub(crate) struct Standing {
    /// Its id.
    pub id: i64,
    /// The workflow it started with: what a replay of its journal starts from.
    pub started_with: Arc<Workflow>,
    /// The workflow it runs now (amended by its follow-ups): its offset reads times.
    pub current: Arc<Workflow>,
    /// When it started.
    pub started_at: Timestamp,
    /// Its time: the latest input's.
    pub now: Timestamp,
}

impl Host {
    /// Where instance `id` stands, loading it if it is not in memory. Reads only.
    pub(crate) async fn standing(&self, id: &str) -> Result<Standing, ApiError> {
        let (id, entry) = self.find(id).await?;
        let started_with = self.workflow(&entry.workflow).ok_or_else(|| {
            ApiError::internal(format!("instance {id}: its workflow is not loaded"))
        })?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        Ok(Standing {
            id,
            started_with,
            current: Arc::clone(live.instance.workflow()),
            started_at: live.instance.started_at(),
            now: live.instance.now(),
        })
    }

    /// A copy of instance `id` as it is now, to project without touching it.
    pub(crate) async fn instance_copy(&self, id: &str) -> Result<(i64, Instance), ApiError> {
        let (id, entry) = self.find(id).await?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        Ok((id, live.instance.clone()))
    }

    /// A stored workflow, by its content hash.
    pub(crate) fn stored_workflow(&self, hash: &str) -> Option<Arc<Workflow>> {
        self.workflow(hash)
    }
}

/// The status view of an instance with the journal length it stands for (a replayed or
/// projected copy journals inputs of its own that the store does not hold).
pub(crate) fn view_at(id: i64, instance: &Instance, version: i64) -> InstanceView {
    InstanceView {
        version,
        ..view(id, instance)
    }
}
