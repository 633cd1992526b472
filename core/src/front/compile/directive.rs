//! The directive's header (issuer, issue time, addressees, copies) and the documents of
//! its chain.

use super::agencies::{Parties, expand};
use super::{cycle_text, parse_time_at, time_code};
use crate::front::graph::find_cycles;
use crate::front::reporter::{Reporter, section};
use crate::model::diagnostic::{Code, Severity, suggestion};
use crate::model::spec::{DirectiveSpec, WorkflowSpec};
use crate::model::time::{Timestamp, parse_date};
use crate::model::workflow::{AgencyId, CopyLine, Directive, Document};
use std::ops::Range;
use time::UtcOffset;

/// The directive's references, resolved.
pub(super) struct Header {
    pub(super) issuer: AgencyId,
    pub(super) issued_at: Timestamp,
    addressees: Vec<AgencyId>,
    copies: Vec<CopyLine>,
    delegates: Vec<AgencyId>,
}

impl Header {
    pub(super) fn into_directive(self, d: &DirectiveSpec) -> Directive {
        Directive {
            number: d.number.clone(),
            kind: d.kind.clone(),
            kind_gloss: d.kind_gloss.clone(),
            urgency: d.urgency,
            issuer: self.issuer,
            signer: d.signer.clone(),
            place: d.place.clone(),
            issued_at: self.issued_at,
            subject: d.subject.clone(),
            subject_gloss: d.subject_gloss.clone(),
            addressees: self.addressees,
            copies: self.copies,
            implements: d.implements.clone(),
            delegates: self.delegates,
        }
    }
}

/// The `directive` section; `span` runs from its key to the end of the text.
pub(super) fn compile(
    r: &mut Reporter<'_>,
    d: &DirectiveSpec,
    span: &Option<Range<usize>>,
    parties: &Parties,
    offset: UtcOffset,
) -> Header {
    let names = &parties.names;
    let issuer = match names.agencies.get(&d.issuer) {
        Some(&a) => a,
        None => {
            let at = r.field_at(span, "issuer");
            names.unknown(
                r,
                at,
                &d.issuer,
                false,
                format!("the issuer `{}` is not an agency", d.issuer),
            );
            AgencyId(0)
        }
    };
    let issued_span = r.field_at(span, "issued_at");
    let issued_at =
        parse_time_at(r, &d.issued_at, offset, issued_span).unwrap_or(Timestamp::from_seconds(0));
    let mut addressees = Vec::new();
    for addressee in &d.addressees {
        match names.lookup(addressee) {
            Some(p) => expand(&parties.groups, p, &mut addressees),
            None => {
                let at = r.at(span, addressee);
                names.unknown(
                    r,
                    at,
                    addressee,
                    true,
                    format!("addressee `{addressee}` is not an agency or group"),
                );
            }
        }
    }
    let copies = copies(r, d, span, parties);
    let mut delegates = Vec::new();
    for delegate in &d.delegates {
        match names.agencies.get(delegate) {
            Some(&a) if !delegates.contains(&a) => delegates.push(a),
            Some(_) => {}
            None => {
                let at = r.value_in_field(span, "delegates", delegate);
                names.unknown(
                    r,
                    at,
                    delegate,
                    false,
                    format!("delegate `{delegate}` is not an agency"),
                );
            }
        }
    }
    Header {
        issuer,
        issued_at,
        addressees,
        copies,
        delegates,
    }
}

/// The copy lines: one per recipient agency, or one for `addressees` ("as above").
fn copies(
    r: &mut Reporter<'_>,
    d: &DirectiveSpec,
    span: &Option<Range<usize>>,
    parties: &Parties,
) -> Vec<CopyLine> {
    let names = &parties.names;
    let mut copies = Vec::new();
    for copy in &d.copies {
        let mut push = |to: Option<AgencyId>| {
            copies.push(CopyLine {
                to,
                purpose: copy.purpose.clone(),
                purpose_gloss: copy.purpose_gloss.clone(),
            })
        };
        if copy.to == "addressees" {
            push(None);
            continue;
        }
        match names.lookup(&copy.to) {
            Some(p) => {
                let mut recipients = Vec::new();
                expand(&parties.groups, p, &mut recipients);
                recipients.into_iter().for_each(|a| push(Some(a)));
            }
            None => {
                let at = r.at(span, &copy.to);
                match names.suggest(&copy.to, true) {
                    None if !names.retired.contains_key(&copy.to) => r.error_hint(
                        Code::UnknownAgency,
                        at,
                        format!("copy recipient `{}` is not an agency or group", copy.to),
                        Some("write `addressees` for \"như trên\" (as above)".to_owned()),
                    ),
                    _ => names.unknown(
                        r,
                        at,
                        &copy.to,
                        true,
                        format!("copy recipient `{}` is not an agency or group", copy.to),
                    ),
                }
            }
        }
    }
    copies
}

/// The `documents` section: the chain of documents the directive implements.
pub(super) fn documents(
    r: &mut Reporter<'_>,
    spec: &WorkflowSpec,
    directive_span: &Option<Range<usize>>,
) -> Vec<Document> {
    let (document_spans, document_numbers) =
        section(r, "document", "documents", "number", &spec.documents, |d| {
            &d.number
        });
    // A document may implement the directive itself (a ministry's guidance issued under
    // it): its number is known without being listed, and the graph draws that edge.
    let own = spec.directive.number.as_str();
    let check_document = |r: &mut Reporter<'_>, number: &str, span: Option<Range<usize>>| {
        if number != own && !document_numbers.contains_key(number) && !spec.documents.is_empty() {
            let hint = suggestion(number, document_numbers.keys().copied()).or(Some(
                "list it under `documents` to draw the chain".to_owned(),
            ));
            r.push(
                Severity::Warning,
                Code::UnknownDocument,
                span,
                format!("document `{number}` is not listed under `documents`"),
                hint,
            );
        }
    };
    for number in &spec.directive.implements {
        let span = r.value_in_field(directive_span, "implements", number);
        if number == own {
            r.error_hint(
                Code::DocumentCycle,
                span,
                format!("directive `{own}` implements itself"),
                Some(
                    "`implements` names the documents above this one; a document issued under this directive lists it in its own `implements`"
                        .to_owned(),
                ),
            );
        } else {
            check_document(r, number, span);
        }
    }
    let mut document_edges = Vec::new();
    for (i, (document, span)) in spec.documents.iter().zip(&document_spans).enumerate() {
        if let Err(e) = parse_date(&document.issued_on) {
            r.error(time_code(&e), r.field_at(span, "issued_on"), e.to_string());
        }
        for number in &document.implements {
            match document_numbers.get(number.as_str()) {
                Some(&j) => document_edges.push((i, j)),
                None => {
                    let at = r.at(span, number);
                    check_document(r, number, at);
                }
            }
        }
    }
    // Located at the whole item, unlike the other cycles (see `report_cycles`).
    for cycle in find_cycles(spec.documents.len(), &document_edges) {
        let path = cycle_text(&cycle, |i| &spec.documents[i].number);
        r.error(
            Code::DocumentCycle,
            document_spans[cycle[0]].clone(),
            format!("documents implement each other in a cycle: {path}"),
        );
    }
    spec.documents
        .iter()
        .map(|d| Document {
            number: d.number.clone(),
            kind: d.kind.clone(),
            issued_on: d.issued_on.clone(),
            issuer: d.issuer.clone(),
            subject: d.subject.clone(),
            gloss: d.gloss.clone(),
            implements: d.implements.clone(),
        })
        .collect()
}
