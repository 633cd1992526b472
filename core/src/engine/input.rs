//! Inputs: the journaled `Input`s and the arguments of an action.

// Named in the docs only.
#[cfg(doc)]
use super::Instance;
use super::{SkippedTimer, TimerPolicy};
use crate::model::time::Timestamp;
use crate::model::workflow::{ActionId, AgencyId, TaskRef};
use serde::{Deserialize, Serialize};

/// The wire form of an [`Input`] when reading one: every field of every kind, optional.
/// serde reads an internally tagged enum by buffering the whole input in a generic
/// `Content` tree before choosing the variant, and that code was the largest single item
/// of the WebAssembly runtime after the workflow loader (30 KB); a flat record decodes
/// directly, and `TryFrom` checks that its kind has exactly its own fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputRecord {
    input: InputKind,
    at: Option<Timestamp>,
    actor: Option<AgencyId>,
    task: Option<TaskRef>,
    action: Option<ActionId>,
    note: Option<String>,
    until: Option<Timestamp>,
    to: Option<InputTo>,
    from: Option<String>,
    text: Option<String>,
    policy: Option<TimerPolicy>,
    skipped: Option<Vec<SkippedTimer>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum InputKind {
    Start,
    Act,
    Advance,
    Migrate,
    FollowUp,
    Resume,
}

/// `to`: an instant for `advance` and `resume`, a content hash for `migrate`.
enum InputTo {
    Time(Timestamp),
    Hash(String),
}

impl<'de> Deserialize<'de> for InputTo {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToVisitor;
        impl serde::de::Visitor<'_> for ToVisitor {
            type Value = InputTo;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an instant in seconds or a content hash")
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<InputTo, E> {
                Ok(InputTo::Time(Timestamp::from_seconds(v)))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<InputTo, E> {
                i64::try_from(v)
                    .map(|v| InputTo::Time(Timestamp::from_seconds(v)))
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<InputTo, E> {
                Ok(InputTo::Hash(v.to_owned()))
            }
        }
        deserializer.deserialize_any(ToVisitor)
    }
}

impl TryFrom<InputRecord> for Input {
    type Error = String;

    fn try_from(record: InputRecord) -> Result<Self, String> {
        let InputRecord {
            input,
            at,
            actor,
            task,
            action,
            note,
            until,
            to,
            from,
            text,
            policy,
            skipped,
        } = record;
        let kind = match input {
            InputKind::Start => "start",
            InputKind::Act => "act",
            InputKind::Advance => "advance",
            InputKind::Migrate => "migrate",
            InputKind::FollowUp => "follow_up",
            InputKind::Resume => "resume",
        };
        let allowed: &[&str] = match input {
            InputKind::Start => &["at"],
            InputKind::Act => &["at", "actor", "task", "action", "note", "until"],
            InputKind::Advance => &["to"],
            InputKind::Migrate => &["at", "from", "to"],
            InputKind::FollowUp => &["at", "text"],
            InputKind::Resume => &["to", "policy", "skipped"],
        };
        let present = [
            ("at", at.is_some()),
            ("actor", actor.is_some()),
            ("task", task.is_some()),
            ("action", action.is_some()),
            ("note", note.is_some()),
            ("until", until.is_some()),
            ("to", to.is_some()),
            ("from", from.is_some()),
            ("text", text.is_some()),
            ("policy", policy.is_some()),
            ("skipped", skipped.is_some()),
        ];
        if let Some((field, _)) = present
            .iter()
            .find(|(field, present)| *present && !allowed.contains(field))
        {
            return Err(format!("a `{kind}` input has no field `{field}`"));
        }
        fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{field}`"))
        }
        let time = |to: Option<InputTo>| match required(to, "to")? {
            InputTo::Time(t) => Ok(t),
            InputTo::Hash(_) => Err(format!("`to` of a `{kind}` input is an instant in seconds")),
        };
        Ok(match input {
            InputKind::Start => Input::Start {
                at: required(at, "at")?,
            },
            InputKind::Act => Input::Act {
                at: required(at, "at")?,
                actor: required(actor, "actor")?,
                task: required(task, "task")?,
                action: required(action, "action")?,
                note,
                until,
            },
            InputKind::Advance => Input::Advance { to: time(to)? },
            InputKind::Migrate => Input::Migrate {
                at: required(at, "at")?,
                from: required(from, "from")?,
                to: match required(to, "to")? {
                    InputTo::Hash(hash) => hash,
                    InputTo::Time(_) => {
                        return Err("`to` of a `migrate` input is a content hash".to_owned());
                    }
                },
            },
            InputKind::FollowUp => Input::FollowUp {
                at: required(at, "at")?,
                text: required(text, "text")?,
            },
            InputKind::Resume => Input::Resume {
                to: time(to)?,
                policy: required(policy, "policy")?,
                skipped: required(skipped, "skipped")?,
            },
        })
    }
}

/// One input, as journaled. Replaying the journal rebuilds the identical instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input", try_from = "InputRecord")]
pub enum Input {
    /// The instance started.
    Start {
        /// When.
        at: Timestamp,
    },
    /// An agency acted.
    Act {
        /// When.
        at: Timestamp,
        /// Who.
        actor: AgencyId,
        /// On which task instance.
        task: TaskRef,
        /// Which action.
        action: ActionId,
        /// Free text.
        note: Option<String>,
        /// The due time an extension request asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
    },
    /// Time advanced.
    Advance {
        /// To when.
        to: Timestamp,
    },
    /// The instance moved to another version of its workflow ([`Instance::migrate`]).
    /// Inputs before it name task instances, agencies and actions of version `from`,
    /// inputs after it those of version `to`; [`Instance::replay_versions`] replays
    /// across it.
    Migrate {
        /// When (the instance's time; the clock does not move).
        at: Timestamp,
        /// The content hash of the old workflow.
        from: String,
        /// The content hash of the new workflow.
        to: String,
    },
    /// A follow-up document amended the running directive
    /// ([`Instance::apply_follow_up`]). The text itself is kept, so the journal is
    /// self-contained: replay applies it again. Inputs after it name task instances and
    /// actions of the amended workflow.
    FollowUp {
        /// When it was applied.
        at: Timestamp,
        /// The follow-up document's RON text.
        text: String,
    },
    /// The instance was restored at a later time and its clock moved there under a
    /// [`TimerPolicy`] ([`Instance::restore_at`]). Catching up is journaled as a plain
    /// `advance`.
    Resume {
        /// To when.
        to: Timestamp,
        /// The policy.
        policy: TimerPolicy,
        /// The escalation timers that did not fire (for [`TimerPolicy::Skip`]).
        skipped: Vec<SkippedTimer>,
    },
}

/// The arguments an action may carry besides who, what and when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActArgs<'a> {
    /// Free text for the journal: a reason, what to redo.
    pub note: Option<&'a str>,
    /// For an extension request: the due time asked for.
    pub until: Option<Timestamp>,
}
