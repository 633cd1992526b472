//! The live host: workflows and instances in memory over the store, every change
//! journaled before it is acknowledged, and the timer scheduler.

use crate::clock::Clock;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::replay::{self, effect_json, encode_snapshot};
use crate::store::{Append, Idempotency, JournalRow, Store, Write, read};
use axum::http::StatusCode;
use directrix_core::{
    Effect, Input, Instance, Timestamp, Workflow, instance::ActArgs, record::InboxRecord,
    record::NextTimerRecord, record::StatusRecord,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::Notify;

/// An instance in memory, with the journal length its stored snapshot covers.
struct Live {
    instance: Instance,
    snapshot_seq: i64,
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
    /// True when the Idempotency-Key was seen before with the same request.
    pub replayed: bool,
}

/// The running host.
pub struct Host {
    store: Store,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    workflows: RwLock<HashMap<String, Arc<Workflow>>>,
    instances: Mutex<HashMap<i64, Entry>>,
    next_id: AtomicI64,
    timers: Mutex<Timers>,
    wake: Notify,
    /// Bumped after every commit that stored effects: wakes the event streams.
    events: tokio::sync::watch::Sender<u64>,
    /// Set when the host stops: ends the event streams.
    stopping: tokio::sync::watch::Sender<bool>,
    snapshot_every: i64,
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
        for (hash, source) in read::workflows(store.pool())
            .await
            .map_err(|e| e.to_string())?
        {
            let workflow = directrix_core::load(&source)
                .map_err(|e| format!("stored workflow {hash} no longer loads: {e}"))?
                .workflow;
            workflows.insert(hash, Arc::new(workflow));
        }
        let mut instances = HashMap::new();
        let mut timers = Timers::default();
        let mut max_id = 0;
        for row in read::instances(store.pool())
            .await
            .map_err(|e| e.to_string())?
        {
            max_id = max_id.max(row.id);
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
            next_id: AtomicI64::new(max_id + 1),
            timers: Mutex::new(timers),
            wake: Notify::new(),
            events: tokio::sync::watch::Sender::new(0),
            stopping: tokio::sync::watch::Sender::new(false),
            snapshot_every: snapshot_every.max(1),
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
        if slot.is_none() {
            let workflow = self.workflow(&entry.workflow).ok_or_else(|| {
                ApiError::internal(format!("instance {id}: its workflow is not loaded"))
            })?;
            let (instance, snapshot_seq) = replay::load(self.store.pool(), workflow, id)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            *slot = Some(Live {
                instance,
                snapshot_seq,
            });
        }
        slot.as_mut()
            .ok_or_else(|| ApiError::internal("instance slot emptied while loading"))
    }

    /// The time for an input: the clock's, never before the instance's own time.
    fn input_time(&self, instance: &Instance) -> Timestamp {
        self.clock.now().max(instance.now())
    }

    /// Commits what `live` journaled since `first_seq`; on failure empties the slot so
    /// the instance reloads from the journal.
    async fn commit(
        &self,
        id: i64,
        slot: &mut Option<Live>,
        first_seq: i64,
        effects: &[Effect],
        act: Option<(&str, Option<Idempotency>)>,
    ) -> Result<(), ApiError> {
        let Some(live) = slot.as_mut() else {
            return Err(ApiError::internal("instance not loaded"));
        };
        let version = live.instance.journal_len() as i64;
        if version == first_seq {
            return Ok(());
        }
        // The instance keeps only what it journaled since its last commit (the store
        // holds the rest): `journal()[0]` is at position `kept_from`.
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
        let (actor, first) = match act {
            Some((agency, first)) => (Some(agency), first),
            None => (None, None),
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
        };
        match self.store.commit(Write::Append(append)).await {
            Ok(()) => {
                if snapshot.is_some() {
                    live.snapshot_seq = version;
                }
                // Stored: memory stays the state's size however long the journal grows.
                live.instance.forget_journal();
                self.metrics
                    .timers_fired
                    .fetch_add(fired, Ordering::Relaxed);
                self.set_timer(id, next_timer);
                if !effects.is_empty() {
                    self.events.send_modify(|n| *n += 1);
                }
                Ok(())
            }
            Err(error) => {
                tracing::error!(instance = id, %error, "commit failed; reloading the instance");
                *slot = None;
                Err(ApiError::storage(&error))
            }
        }
    }

    fn set_timer(&self, id: i64, at: Option<i64>) {
        lock(&self.timers).set(id, at);
        self.wake.notify_one();
    }

    /// Fires every timer of the instance due by `now`, one instant at a time, so each
    /// fires at its own time as `restore_at`'s catch-up does.
    fn fire_due(
        instance: &mut Instance,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) -> Result<(), ApiError> {
        while let Some(next) = instance.next_timer().filter(|t| t.at <= now) {
            effects.extend(instance.advance(next.at)?);
        }
        Ok(())
    }

    /// Stores a workflow; returns its hash and warnings.
    pub async fn add_workflow(
        &self,
        source: String,
    ) -> Result<(String, Vec<directrix_core::Diagnostic>), ApiError> {
        let loaded = directrix_core::load(&source).map_err(|error| {
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
        let workflow = self.workflow(workflow_hash).ok_or_else(|| {
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
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
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
                slot: Arc::new(tokio::sync::Mutex::new(Some(Live {
                    instance,
                    snapshot_seq: 0,
                }))),
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
    pub fn check_party(&self, id: &str, agency: Option<&str>) -> Result<(), ApiError> {
        let (_, entry) = self.entry(id)?;
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
        let (id, entry) = self.entry(id)?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        Ok(view(id, &live.instance))
    }

    /// The tracking grid of an instance at `at` (default: the clock's now), never before
    /// the instance's own time. A projection: the timers due by then fire in a copy,
    /// nothing is journaled.
    pub async fn grid(
        &self,
        id: &str,
        at: Option<&str>,
    ) -> Result<directrix_core::record::Grid, ApiError> {
        let (id, entry) = self.entry(id)?;
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
        drop(slot);
        projected.advance(at)?;
        Ok(projected.grid())
    }

    /// The stored journal of an instance.
    pub async fn journal(&self, id: &str) -> Result<Vec<serde_json::Value>, ApiError> {
        let (id, _) = self.entry(id)?;
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
        let mut entries: Vec<(i64, Entry)> = lock(&self.instances)
            .iter()
            .map(|(id, entry)| (*id, entry.clone()))
            .collect();
        entries.sort_by_key(|(id, _)| *id);
        let mut inbox = Vec::new();
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
            if !items.is_empty() {
                inbox.push(InboxEntry {
                    instance: id,
                    directive: live.instance.workflow().directive().number.clone(),
                    items,
                });
            }
        }
        Ok(inbox)
    }

    /// `agency` acts on an instance. With a key, a repeated request returns the first
    /// answer and changes nothing; the same key with another request is refused.
    pub async fn act(
        &self,
        id: &str,
        agency: &str,
        request: &ActRequest,
        key: Option<&str>,
    ) -> Result<ActOutcome, ApiError> {
        let (id, entry) = self.entry(id)?;
        let request_hash = hex(&Sha256::digest(
            serde_json::to_vec(&(id, request)).unwrap_or_default(),
        ));
        let mut slot = entry.slot.lock().await;
        // Checked under the instance's lock, so two requests with one key cannot both
        // pass on this instance; across instances the table's key refuses the second.
        if let Some(key) = key {
            let first = read::idempotency(self.store.pool(), agency, key)
                .await
                .map_err(|e| ApiError::storage(&e))?;
            if let Some((_, hash, response)) = first {
                if hash != request_hash {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used for another request; use a new key for a new request",
                    ));
                }
                return Ok(ActOutcome {
                    body: response,
                    replayed: true,
                });
            }
        }
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let first_seq = live.instance.journal_len() as i64;
        let at = self.input_time(&live.instance);
        let mut effects = Vec::new();
        let outcome = act_on(&mut live.instance, at, agency, request, &mut effects);
        let answer = outcome.as_ref().ok().map(|()| {
            let body = serde_json::to_string(&ActAnswer {
                instance: id,
                version: live.instance.journal_len() as i64,
                at: live.instance.workflow().format_time(at),
                effects: effects
                    .iter()
                    .map(|e| serde_json::from_str(&effect_json(id, &live.instance, e)))
                    .collect::<Result<_, _>>()
                    .unwrap_or_default(),
            })
            .unwrap_or_default();
            let first = key.map(|key| Idempotency {
                agency: agency.to_owned(),
                key: key.to_owned(),
                request_hash: request_hash.clone(),
                response: body.clone(),
            });
            (body, first)
        });
        // The timers that fell due before the act are journaled even when the act is
        // refused: they fired.
        let (body, first) = match answer {
            Some((body, first)) => (Some(body), first),
            None => (None, None),
        };
        self.commit(id, &mut slot, first_seq, &effects, Some((agency, first)))
            .await?;
        match (outcome, body) {
            (Ok(()), Some(body)) => {
                self.metrics.acts.fetch_add(1, Ordering::Relaxed);
                Ok(ActOutcome {
                    body,
                    replayed: false,
                })
            }
            (Err(error), _) => {
                self.metrics.acts_refused.fetch_add(1, Ordering::Relaxed);
                Err(error)
            }
            (Ok(()), None) => Err(ApiError::internal("act answered nothing")),
        }
    }

    /// Applies a follow-up document to an instance (admin): the timers due first, then
    /// the document, journaled with its text so replay applies it again.
    pub async fn follow_up(&self, id: &str, text: String) -> Result<String, ApiError> {
        let (id, entry) = self.entry(id)?;
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let first_seq = live.instance.journal_len() as i64;
        let at = self.input_time(&live.instance);
        let mut effects = Vec::new();
        let outcome = Self::fire_due(&mut live.instance, at, &mut effects).and_then(|()| {
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
        self.commit(id, &mut slot, first_seq, &effects, None)
            .await?;
        outcome?;
        body.ok_or_else(|| ApiError::internal("follow-up answered nothing"))
    }

    /// Fires the due timers of one instance and journals them.
    async fn fire(&self, id: i64) -> Result<(), ApiError> {
        let Some(entry) = lock(&self.instances).get(&id).cloned() else {
            return Ok(());
        };
        let mut slot = entry.slot.lock().await;
        let live = self.ensure_loaded(id, &entry, &mut slot).await?;
        let first_seq = live.instance.journal_len() as i64;
        let now = self.clock.now();
        let mut effects = Vec::new();
        let fired = Self::fire_due(&mut live.instance, now, &mut effects);
        let next_timer = live.instance.next_timer().map(|t| t.at.as_seconds());
        self.commit(id, &mut slot, first_seq, &effects, None)
            .await?;
        // Nothing journaled (e.g. another task fired them first): the index may still
        // hold a stale time.
        self.set_timer(id, next_timer);
        fired
    }

    /// Fires timers as the clock reaches them, for ever.
    pub async fn run_scheduler(self: Arc<Self>) {
        loop {
            let now = self.clock.now().as_seconds();
            let due = lock(&self.timers).due(now);
            let mut firing = tokio::task::JoinSet::new();
            for id in due {
                let host = Arc::clone(&self);
                firing.spawn(async move {
                    if let Err(error) = host.fire(id).await {
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
        let (id, entry) = self.entry(id)?;
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
        let (id, entry) = self.entry(id)?;
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
