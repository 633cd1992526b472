//! An instance's past and the stored workflows, for portals: the timeline (every
//! journaled input with the effects it produced) and the state at an earlier time, both
//! rebuilt by replaying the stored journal, never by touching the live instance; and the
//! workflows' texts, so a portal can replay them itself in WebAssembly.

use crate::error::ApiError;
use crate::replay;
use crate::runtime::{Host, InstanceView, hex, view_at};
use crate::shared::SharedTexts;
use crate::store::{StoredRow, history};
use axum::http::StatusCode;
use directrix_core::record::{EffectRecord, Grid};
use directrix_core::{Effect, Input, Instance, Timestamp, Workflow};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Timeline entries per page when `limit` is not given.
pub const TIMELINE_PAGE: i64 = 100;
/// The most timeline entries one page holds: a page replays the journal up to its end,
/// so its size bounds the work of one request beyond the replay itself.
pub const MAX_TIMELINE_PAGE: i64 = 1000;

/// `GET /v1/instances/{id}/timeline`: one page of the instance's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelinePage {
    /// The instance.
    pub instance: i64,
    /// The journaled inputs after `after`, in order.
    pub entries: Vec<TimelineEntry>,
    /// The `after` of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// One journaled input with names, as the simulation report shows a step (the core's
/// [`EffectRecord`]): `kind` is the input's (`start`, `act`, `advance` when the clock
/// reached a timer, `follow_up`, `migrate`, `resume`), `at` its time. An act has its
/// actor as `agency`, its `task`, `action`, `note` and `until`; a timer's `agency` is
/// `system`; a start's is the directive's issuer; a follow-up's `note` is its number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// The journal's length after this input: the `version` an act's answer gives, and
    /// what `after` takes.
    pub version: i64,
    /// The input.
    #[serde(flatten)]
    pub input: EffectRecord,
    /// What it caused, as the event stream delivered it, each with its stable event id.
    #[schema(value_type = Vec<TimelineEffect>)]
    pub effects: Vec<serde_json::Value>,
}

/// An effect in the timeline: the event stream's data with the event's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TimelineEffect {
    /// The stable event id (`GET /v1/events`).
    pub id: i64,
    /// The instance.
    pub instance: i64,
    /// The effect.
    #[serde(flatten)]
    pub effect: EffectRecord,
}

/// The time of a journaled input.
fn input_time(input: &Input) -> Timestamp {
    match input {
        Input::Start { at }
        | Input::Act { at, .. }
        | Input::Migrate { at, .. }
        | Input::FollowUp { at, .. } => *at,
        Input::Advance { to } | Input::Resume { to, .. } => *to,
    }
}

/// The named record of an input that `workflow` (the instance's after applying it)
/// accepted, so its indices are the workflow's.
fn input_record(workflow: &Workflow, input: &Input) -> EffectRecord {
    let kind = match input {
        Input::Start { .. } => "start",
        Input::Act { .. } => "act",
        Input::Advance { .. } => "advance",
        Input::Migrate { .. } => "migrate",
        Input::FollowUp { .. } => "follow_up",
        Input::Resume { .. } => "resume",
    };
    let agency = |id: directrix_core::workflow::AgencyId| {
        workflow
            .agencies()
            .get(id.index())
            .map(|a| a.id.clone())
            .unwrap_or_default()
    };
    let mut record = EffectRecord {
        at: workflow.format_time(input_time(input)),
        kind,
        task: String::new(),
        agency: String::new(),
        action: None,
        from: None,
        to: None,
        level: None,
        lead: None,
        due: None,
        on_time: None,
        until: None,
        note: None,
        code: None,
        error: None,
    };
    match input {
        Input::Start { .. } => record.agency = agency(workflow.directive().issuer),
        Input::Act {
            actor,
            task,
            action,
            note,
            until,
            ..
        } => {
            record.agency = agency(*actor);
            record.task = workflow
                .task_slots()
                .get(task.index())
                .map(|slot| slot.name.clone())
                .unwrap_or_default();
            record.action = Some(workflow.action_name(*action).to_owned());
            record.note = note.clone();
            record.until = until.map(|t| workflow.format_time(t));
        }
        Input::Advance { .. } | Input::Resume { .. } => record.agency = "system".to_owned(),
        Input::FollowUp { .. } => {
            record.note = workflow.documents().last().map(|d| d.number.clone());
        }
        Input::Migrate { from, to, .. } => record.note = Some(format!("{from} → {to}")),
    }
    record
}

fn journal_error(id: i64, row: &StoredRow, reason: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!(
        "instance {id}, journal row {}: {reason} (`directrix serve check` tells more)",
        row.seq
    ))
}

/// Replays stored rows from the journal's start, calling `each` with every input after
/// it applied (the instance, the journal's length then, the input, its effects). Stops
/// before the first input later than `until`. Returns the instance and the number of
/// rows applied.
fn replay_rows(
    id: i64,
    started_with: Arc<Workflow>,
    rows: &[StoredRow],
    until: Option<Timestamp>,
    mut each: impl FnMut(&Instance, i64, &Input, &[Effect]),
) -> Result<(Instance, usize), ApiError> {
    let mut instance: Option<Instance> = None;
    let mut applied = 0;
    for (index, row) in rows.iter().enumerate() {
        if row.seq != index as i64 {
            return Err(journal_error(id, row, format!("expected row {index}")));
        }
        let input: Input = serde_json::from_str(&row.input)
            .map_err(|e| journal_error(id, row, format!("not a journal input: {e}")))?;
        if until.is_some_and(|until| input_time(&input) > until) {
            break;
        }
        let mut effects = Vec::new();
        let current = match (instance.as_mut(), &input) {
            (None, Input::Start { at }) => {
                let (started, first) = Instance::start(Arc::clone(&started_with), *at)
                    .map_err(|e| journal_error(id, row, e))?;
                effects = first;
                instance.insert(started)
            }
            (None, _) => {
                return Err(journal_error(
                    id,
                    row,
                    "the journal does not begin with `start`",
                ));
            }
            (Some(current), _) => {
                replay::apply_input(current, &input, &mut effects)
                    .map_err(|reason| journal_error(id, row, reason))?;
                current
            }
        };
        applied += 1;
        each(current, applied as i64, &input, &effects);
    }
    let instance = instance
        .ok_or_else(|| ApiError::internal(format!("instance {id}: the journal is empty")))?;
    Ok((instance, applied))
}

/// One page of instance `id`'s timeline: the inputs whose `version` is above `after`, at
/// most `limit` of them, each with the effects it produced and their event ids.
pub async fn timeline(
    host: &Host,
    id: &str,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<TimelinePage, ApiError> {
    let after = after.unwrap_or(0);
    let limit = limit.unwrap_or(TIMELINE_PAGE);
    if after < 0 {
        return Err(ApiError::invalid_request(
            "`after` is a version: 0 or more (the `version` of the last entry seen)",
        ));
    }
    if !(1..=MAX_TIMELINE_PAGE).contains(&limit) {
        return Err(ApiError::invalid_request(format!(
            "`limit` is 1 to {MAX_TIMELINE_PAGE} entries (page on with `after`)"
        )));
    }
    let standing = host.standing(id).await?;
    let id = standing.id;
    let pool = host.store().pool();
    let end = after.saturating_add(limit);
    // One row past the page says whether another page follows. The rows are read before
    // the effects, so every effect of these rows is committed by the time those are read.
    let mut rows = history::journal_before(pool, id, end.saturating_add(1))
        .await
        .map_err(|e| ApiError::storage(&e))?;
    let more = rows.len() as i64 > end;
    rows.truncate(usize::try_from(end).unwrap_or(usize::MAX));
    let mut before = 0usize;
    let mut inputs = Vec::new();
    replay_rows(
        id,
        standing.started_with,
        &rows,
        None,
        |instance, version, input, effects| {
            if version > after {
                inputs.push((
                    version,
                    input_record(instance.workflow(), input),
                    effects.len(),
                ));
            } else {
                before += effects.len();
            }
        },
    )?;
    let total = before + inputs.iter().map(|(_, _, n)| n).sum::<usize>();
    let stored = history::first_effects(pool, id, total as i64)
        .await
        .map_err(|e| ApiError::storage(&e))?;
    if stored.len() != total {
        return Err(ApiError::internal(format!(
            "instance {id}: the outbox holds {} effects where the journal gives {total} (`directrix serve check` tells more)",
            stored.len()
        )));
    }
    let mut stored = stored.into_iter().skip(before);
    let entries = inputs
        .into_iter()
        .map(|(version, input, count)| {
            let effects = stored
                .by_ref()
                .take(count)
                .map(|effect| {
                    let mut value: serde_json::Value =
                        serde_json::from_str(&effect.record).unwrap_or_default();
                    if let Some(object) = value.as_object_mut() {
                        object.insert("id".to_owned(), effect.id.into());
                    }
                    value
                })
                .collect();
            TimelineEntry {
                version,
                input,
                effects,
            }
        })
        .collect();
    Ok(TimelinePage {
        instance: id,
        entries,
        next: more.then_some(end),
    })
}

/// An instance as it was at an earlier time ([`past`]).
pub struct Past {
    /// The rebuilt instance (its own copy: journaling in it changes nothing stored).
    pub instance: Instance,
    /// The journal's length at `at`.
    pub version: i64,
    /// The instance.
    pub id: i64,
}

/// Instance `id` as it was at `at` (read at the instance's offset), when that is before
/// its time now: its journal replayed up to `at` (every input at or before it), then the
/// timers due by `at`. `None` when `at` is not before the instance's time (the caller
/// projects instead). A time before the instance started is refused (422
/// `before_start`).
pub async fn past(host: &Host, id: &str, at: &str) -> Result<Option<Past>, ApiError> {
    let standing = host.standing(id).await?;
    let at = Timestamp::parse(at, standing.current.calendar().offset()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_time",
            e.to_string(),
        )
    })?;
    if at < standing.started_at {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "before_start",
            format!(
                "instance {} started at {}: there is no state before (ask for a time from then on)",
                standing.id,
                standing.current.format_time(standing.started_at)
            ),
        ));
    }
    if at >= standing.now {
        return Ok(None);
    }
    let rows = history::journal_before(host.store().pool(), standing.id, i64::MAX)
        .await
        .map_err(|e| ApiError::storage(&e))?;
    let (mut instance, applied) = replay_rows(
        standing.id,
        standing.started_with,
        &rows,
        Some(at),
        |_, _, _, _| {},
    )?;
    instance.advance(at)?;
    Ok(Some(Past {
        instance,
        version: applied as i64,
        id: standing.id,
    }))
}

/// The tracking grid at `at` before the instance's time ([`past`]); `None` otherwise.
pub async fn grid_before(host: &Host, id: &str, at: &str) -> Result<Option<Grid>, ApiError> {
    Ok(past(host, id, at).await?.map(|past| past.instance.grid()))
}

/// The status view at `at`: replayed before the instance's time, projected in a copy
/// from it on (the timers due by then fire; nothing is journaled).
pub async fn view_at_time(host: &Host, id: &str, at: &str) -> Result<InstanceView, ApiError> {
    if let Some(past) = past(host, id, at).await? {
        return Ok(view_at(past.id, &past.instance, past.version));
    }
    let (number, mut copy) = host.instance_copy(id).await?;
    let version = copy.journal_len() as i64;
    let instant = Timestamp::parse(at, copy.workflow().calendar().offset()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_time",
            e.to_string(),
        )
    })?;
    // The instance moved past `at` since `past` looked: that is the past now.
    if instant < copy.now()
        && let Some(past) = past(host, id, at).await?
    {
        return Ok(view_at(past.id, &past.instance, past.version));
    }
    copy.advance(instant)?;
    Ok(view_at(number, &copy, version))
}

/// `GET /v1/workflows`: a stored workflow.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowSummary {
    /// Its content hash: what `POST /v1/instances` names.
    pub hash: String,
    /// The directive number.
    pub directive: String,
    /// The directive's subject line.
    pub title: String,
    /// When the host stored it (RFC 3339 at the workflow's offset; the system clock,
    /// not a virtual one); absent for a workflow stored before the host recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_at: Option<String>,
}

/// `GET /v1/workflows/{hash}`: what a portal needs to run the workflow itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowDocument {
    /// The listing's fields.
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    /// The RON text, as stored.
    pub source: String,
    /// The shared calendars and agency registries it was loaded with, by name: the
    /// `calendars` and `registries` options of the WebAssembly `Workflow.parse`.
    #[serde(flatten)]
    pub shared: SharedTexts,
    /// SHA-256 (hex) of the compiled bytes (`directrix compile`, `workflow.compile()`):
    /// compiling `source` anywhere gives the same bytes.
    pub compiled_sha256: String,
    /// Their length.
    pub compiled_bytes: usize,
}

fn summary(workflow: &Workflow, hash: String, loaded_at: Option<i64>) -> WorkflowSummary {
    WorkflowSummary {
        hash,
        directive: workflow.directive().number.clone(),
        title: workflow.directive().subject.clone(),
        loaded_at: loaded_at.map(|t| workflow.format_time(Timestamp::from_seconds(t))),
    }
}

/// Whether `agency` (`None`: an admin) may read a workflow: an agency reads those it
/// has a part in, as for instances.
fn may_read(workflow: &Workflow, agency: Option<&str>) -> bool {
    agency.is_none_or(|agency| workflow.agency_id(agency).is_some())
}

/// The stored workflows `agency` may read (`None`: every one), in the order stored.
pub async fn workflows(
    host: &Host,
    agency: Option<&str>,
) -> Result<Vec<WorkflowSummary>, ApiError> {
    let rows = history::workflows(host.store().pool())
        .await
        .map_err(|e| ApiError::storage(&e))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let workflow = host.stored_workflow(&row.hash)?;
            may_read(&workflow, agency).then(|| summary(&workflow, row.hash, row.loaded_at))
        })
        .collect())
}

/// One stored workflow: 404 `unknown_workflow`, 403 `not_a_party` for an agency it
/// does not name.
pub async fn workflow(
    host: &Host,
    hash: &str,
    agency: Option<&str>,
) -> Result<WorkflowDocument, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_workflow",
            format!(
                "no workflow `{}` (GET /v1/workflows lists them)",
                directrix_core::diagnostic::excerpt(hash)
            ),
        )
    };
    let workflow = host.stored_workflow(hash).ok_or_else(unknown)?;
    if !may_read(&workflow, agency) {
        return Err(ApiError::forbidden(
            "not_a_party",
            format!(
                "agency `{}` has no part in workflow {hash}",
                directrix_core::diagnostic::excerpt(agency.unwrap_or_default())
            ),
        ));
    }
    let (row, stored, compiled) = history::workflow(host.store().pool(), hash)
        .await
        .map_err(|e| ApiError::storage(&e))?
        .ok_or_else(unknown)?;
    Ok(WorkflowDocument {
        summary: summary(&workflow, row.hash, row.loaded_at),
        shared: SharedTexts::from_json(&stored.shared).map_err(ApiError::internal)?,
        source: stored.source,
        compiled_sha256: hex(&Sha256::digest(&compiled)),
        compiled_bytes: compiled.len(),
    })
}
