//! Rebuilding instances from what is stored: the snapshot and the journal tail, or the
//! whole journal. Shared by the server (loading) and `directrix serve check`.

use crate::store::{StoreError, StoredRow, read};
use directrix_core::{Effect, Input, Instance, Snapshot, Workflow};
use serde::Serialize;
use sqlx::AnyPool;
use std::sync::Arc;

/// Why a stored instance does not rebuild.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A journal row is not a core input, or does not apply.
    #[error("instance {instance}, journal row {seq}: {reason}")]
    Journal {
        /// The instance.
        instance: i64,
        /// The row.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Applies one journaled input to an instance as the core's replay does
/// ([`Instance::apply_input`]), appending its effects. The input must also come back as
/// the instance's last journal entry: a replay that journals something else than what
/// was stored has diverged.
pub fn apply_input(
    instance: &mut Instance,
    input: &Input,
    effects: &mut Vec<Effect>,
) -> Result<(), String> {
    effects.extend(instance.apply_input(input).map_err(|e| e.to_string())?);
    if instance.journal().last() != Some(input) {
        return Err("replaying it journaled something else (was the journal edited?)".to_owned());
    }
    Ok(())
}

fn parse(instance: i64, row: &StoredRow) -> Result<Input, LoadError> {
    serde_json::from_str(&row.input).map_err(|e| LoadError::Journal {
        instance,
        seq: row.seq,
        reason: format!("not a journal input: {e}"),
    })
}

/// Replays a whole journal from its `start`: the instance and every effect, in order.
pub fn replay_all(
    workflow: Arc<Workflow>,
    instance_id: i64,
    rows: &[StoredRow],
) -> Result<(Instance, Vec<Effect>), LoadError> {
    let journal_error = |seq: i64, reason: String| LoadError::Journal {
        instance: instance_id,
        seq,
        reason,
    };
    for (index, row) in rows.iter().enumerate() {
        if row.seq != index as i64 {
            return Err(journal_error(row.seq, format!("expected row {index}")));
        }
    }
    let Some(first) = rows.first() else {
        return Err(journal_error(0, "the journal is empty".to_owned()));
    };
    let Input::Start { at } = parse(instance_id, first)? else {
        return Err(journal_error(
            0,
            "the journal does not begin with `start`".to_owned(),
        ));
    };
    let (mut instance, mut effects) =
        Instance::start(workflow, at).map_err(|e| journal_error(0, e.to_string()))?;
    for row in &rows[1..] {
        let input = parse(instance_id, row)?;
        apply_input(&mut instance, &input, &mut effects)
            .map_err(|reason| journal_error(row.seq, reason))?;
    }
    Ok((instance, effects))
}

/// Encodes a snapshot for the `snapshots` table (CBOR), without the journal (the
/// `journal` table holds it): its size is the state's, however long the journal.
pub fn encode_snapshot(instance: &Instance) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec fails only if serialising fails, which the core's derived
    // impls do not; an empty snapshot is refused on load and the journal replayed.
    let _ = ciborium::into_writer(&instance.snapshot_without_journal(), &mut bytes);
    bytes
}

/// Loads an instance as its latest snapshot plus the journal tail; when there is no
/// snapshot, or it does not restore (another version after a follow-up, damage), from
/// the whole journal. Returns the instance (its journal forgotten: the store holds it)
/// and the journal length its snapshot covers.
pub async fn load(
    pool: &AnyPool,
    workflow: Arc<Workflow>,
    id: i64,
) -> Result<(Instance, i64), LoadError> {
    if let Some((seq, bytes)) = read::snapshot(pool, id).await? {
        let restored = ciborium::from_reader::<Snapshot, _>(bytes.as_slice())
            .ok()
            .and_then(|snapshot| Instance::restore(Arc::clone(&workflow), snapshot).ok())
            .filter(|instance| instance.journal_len() as i64 == seq);
        if let Some(mut instance) = restored {
            let tail = read::journal(pool, id, seq).await?;
            let mut effects = Vec::new();
            for (offset, row) in tail.iter().enumerate() {
                if row.seq != seq + offset as i64 {
                    return Err(LoadError::Journal {
                        instance: id,
                        seq: row.seq,
                        reason: format!("expected row {}", seq + offset as i64),
                    });
                }
                let input = parse(id, row)?;
                apply_input(&mut instance, &input, &mut effects).map_err(|reason| {
                    LoadError::Journal {
                        instance: id,
                        seq: row.seq,
                        reason,
                    }
                })?;
            }
            instance.forget_journal();
            return Ok((instance, seq));
        }
        tracing::warn!(
            instance = id,
            "snapshot did not restore; replaying the journal"
        );
    }
    let rows = read::journal(pool, id, 0).await?;
    let (mut instance, _) = replay_all(workflow, id, &rows)?;
    instance.forget_journal();
    Ok((instance, 0))
}

/// An effect as the outbox and the API carry it: the instance, then the core's record.
#[derive(Debug, Serialize)]
struct EventRecord<'a> {
    instance: i64,
    #[serde(flatten)]
    effect: &'a directrix_core::record::EffectRecord,
}

/// The outbox record of an effect (JSON).
pub fn effect_json(instance_id: i64, instance: &Instance, effect: &Effect) -> String {
    let record = instance.workflow().effect_record(effect);
    serde_json::to_string(&EventRecord {
        instance: instance_id,
        effect: &record,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use directrix_core::Span;

    #[test]
    fn a_snapshot_round_trips_through_cbor() {
        let source = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
        let workflow = Arc::new(directrix_core::load(source).unwrap().workflow);
        let (mut instance, _) =
            Instance::start(Arc::clone(&workflow), workflow.directive().issued_at).unwrap();
        instance
            .advance(instance.now().saturating_add(Span::parse("3d").unwrap()))
            .unwrap();
        let bytes = encode_snapshot(&instance);
        let snapshot: Snapshot = ciborium::from_reader(bytes.as_slice()).unwrap();
        let restored = Instance::restore(workflow, snapshot).unwrap();
        assert_eq!(restored.journal_len(), instance.journal_len());
        assert!(restored.journal().is_empty());
        assert_eq!(
            restored.snapshot_without_journal(),
            instance.snapshot_without_journal()
        );
    }
}
