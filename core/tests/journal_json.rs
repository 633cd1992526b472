//! The journal's JSON form: every kind of input reads back as written, and a tampered
//! input is refused with a reason (the WebAssembly and CLI hosts read snapshots as JSON).

use directrix_core::{
    Input, Timestamp, instance::SkippedTimer, instance::TimerPolicy, workflow::ActionId,
    workflow::AgencyId, workflow::TaskRef,
};

fn every_kind() -> Vec<Input> {
    let at = Timestamp::from_seconds(1_620_349_200);
    vec![
        Input::Start { at },
        Input::Act {
            at,
            actor: AgencyId::from_index(3),
            task: TaskRef::from_index(7),
            action: ActionId::from_index(1),
            note: Some("đã báo cáo".to_owned()),
            until: Some(Timestamp::from_seconds(1_620_900_000)),
        },
        Input::Act {
            at,
            actor: AgencyId::from_index(0),
            task: TaskRef::from_index(0),
            action: ActionId::from_index(0),
            note: None,
            until: None,
        },
        Input::Advance { to: at },
        Input::Migrate {
            at,
            from: "05ac53891074463c".to_owned(),
            to: "916960335e19259f".to_owned(),
        },
        Input::FollowUp {
            at,
            text: "(further_to: \"114-CV/HU\")".to_owned(),
        },
        Input::Resume {
            to: at,
            policy: TimerPolicy::Skip,
            skipped: vec![SkippedTimer {
                at,
                task: TaskRef::from_index(2),
                level: 1,
            }],
        },
    ]
}

#[test]
fn every_kind_reads_back_as_written() {
    for input in every_kind() {
        let json = serde_json::to_string(&input).expect("serialises");
        let read: Input = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(read, input, "{json}");
    }
    // Field order does not matter, and a missing note is no note.
    let read: Input =
        serde_json::from_str(r#"{"task": 1, "action": 2, "actor": 0, "at": 5, "input": "act"}"#)
            .expect("reordered act");
    assert!(matches!(
        read,
        Input::Act {
            note: None,
            until: None,
            ..
        }
    ));
}

#[test]
fn a_tampered_input_is_refused_with_a_reason() {
    let cases = [
        (
            r#"{"input": "act", "at": 1, "actor": 0, "action": 0}"#,
            "missing field `task`",
        ),
        (
            r#"{"input": "advance", "to": 1, "text": "x"}"#,
            "a `advance` input has no field `text`",
        ),
        (
            r#"{"input": "start", "at": 1, "when": 2}"#,
            "unknown field `when`",
        ),
        (
            r#"{"input": "advance", "to": "05ac53891074463c"}"#,
            "is an instant in seconds",
        ),
        (
            r#"{"input": "migrate", "at": 1, "from": "a", "to": 5}"#,
            "is a content hash",
        ),
        (
            r#"{"input": "teleport", "at": 1}"#,
            "unknown variant `teleport`",
        ),
        (
            r#"{"input": "advance", "to": 1.5}"#,
            "an instant in seconds or a content hash",
        ),
        (r#"{"at": 1}"#, "missing field `input`"),
    ];
    for (json, reason) in cases {
        let error = serde_json::from_str::<Input>(json)
            .expect_err(json)
            .to_string();
        assert!(error.contains(reason), "{json}: `{error}` lacks `{reason}`");
    }
}
