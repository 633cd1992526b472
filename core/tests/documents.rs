//! The documents chain (issue 17, gap 7): a listed document issued under the directive
//! itself names it in `implements` without a warning, and is drawn under it.

use directrix_core::{
    Severity, check, load, render::Graph, render::GraphFormat, render::render_graph,
};

/// A directive 15/CT-TTg implementing 05/NQ-CP; `documents` is the section's body, and
/// `implements` the directive's own list.
fn source(implements: &str, documents: &str) -> String {
    format!(
        r#"(
    format: 1,
    directive: (number: "15/CT-TTg", kind: "Chỉ thị", issuer: "pm", issued_at: "2020-03-27 08:00", subject: "s", implements: [{implements}]),
    documents: [
{documents}
    ],
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "pm", name: "Thủ tướng"), (id: "moh", name: "Bộ Y tế", parent: "pm")],
    tasks: [(id: "t", title: "T", lead: ["moh"])],
)"#
    )
}

const PARENT: &str = r#"        (number: "05/NQ-CP", kind: "Nghị quyết", issuer: "Chính phủ", issued_on: "2020-03-01"),"#;
const CHILD: &str = r#"        (number: "1234/BYT-DP", kind: "Công văn", issuer: "Bộ Y tế", issued_on: "2020-03-30", implements: ["15/CT-TTg"]),"#;

#[test]
fn a_child_document_implementing_the_directive_is_not_unknown() {
    let text = source(r#""05/NQ-CP""#, &format!("{PARENT}\n{CHILD}"));
    let loaded = load(&text).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // The chain draws it under the directive.
    let dot = render_graph(&loaded.workflow, Graph::Documents, GraphFormat::Dot);
    assert!(dot.contains("d_this -> d1"), "{dot}");
    assert!(dot.contains("d0 -> d_this"), "{dot}");
}

#[test]
fn an_unlisted_parent_is_still_unknown() {
    let text = source(
        r#""05/NQ-CP""#,
        r#"        (number: "1234/BYT-DP", kind: "Công văn", issuer: "Bộ Y tế", issued_on: "2020-03-30", implements: ["99/QĐ"]),"#,
    );
    let diagnostics = check(&text);
    let found: Vec<_> = diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.severity, &text[d.span.clone().unwrap()]))
        .collect();
    assert_eq!(
        found,
        [
            ("unknown-document", Severity::Warning, "\"05/NQ-CP\""),
            ("unknown-document", Severity::Warning, "\"99/QĐ\""),
        ]
    );
}

#[test]
fn a_directive_implementing_itself_is_an_error_with_the_way_round() {
    let text = source(r#""15/CT-TTg""#, CHILD);
    let diagnostics = check(&text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(
        (d.code.as_str(), d.severity),
        ("document-cycle", Severity::Error)
    );
    let span = d.span.clone().unwrap();
    assert_eq!(&text[span.clone()], "\"15/CT-TTg\"");
    assert!(
        text[..span.start].ends_with("implements: ["),
        "located in `implements`"
    );
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .contains("lists it in its own `implements`")
    );
}
