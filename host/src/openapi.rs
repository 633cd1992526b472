//! The OpenAPI 3 document of the API (`GET /openapi.json`).
//!
//! Generated from the code: each handler in [`crate::api`] carries its `#[utoipa::path]`
//! and is registered through `utoipa_axum::routes!`, which takes the route's path from
//! that documentation, so the router serves no route the document leaves out. The types
//! below describe bodies that the host writes as JSON objects without a Rust type of
//! their own (the tests compare them with real answers).

use directrix_core::record::{EffectRecord, Grid, InboxRecord, NextTimerRecord, StatusRecord};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The name of the bearer security scheme in the document (as the handlers' `security`
/// attributes spell it).
pub const BEARER: &str = "bearer";

/// Every error: a stable snake_case `code` (the core's codes for refused acts), a
/// `message` for a person, and the details some errors add.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code, e.g. `unauthorized`, `not_allowed`, `unknown_instance`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
    /// What to do instead (some refused acts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Every located diagnostic (`invalid_workflow`, an invalid follow-up).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub diagnostics: Option<Vec<serde_json::Value>>,
}

/// An effect as the event stream and the act answers carry it.
#[derive(Serialize, ToSchema)]
pub struct EffectEvent {
    /// The instance it happened in.
    pub instance: i64,
    /// The effect.
    #[serde(flatten)]
    pub effect: EffectRecord,
}

/// `POST /v1/workflows`: the stored workflow.
#[derive(Serialize, ToSchema)]
pub struct WorkflowStored {
    /// Its content hash: what `POST /v1/instances` names.
    pub hash: String,
    /// Warnings (located diagnostics); errors answer 422 instead.
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<serde_json::Value>,
}

/// `POST /v1/instances/{id}/acts`: the act was journaled.
#[derive(Serialize, ToSchema)]
pub struct ActAnswer {
    /// The instance.
    pub instance: i64,
    /// Its journal's length after the act.
    pub version: i64,
    /// When the act was applied (RFC 3339 at the workflow's offset).
    pub at: String,
    /// What it caused, the timers that fell due before it included.
    pub effects: Vec<EffectEvent>,
}

/// `POST /v1/instances/{id}/follow-ups`: the follow-up was applied.
#[derive(Serialize, ToSchema)]
pub struct FollowUpAnswer {
    /// The instance.
    pub instance: i64,
    /// Its journal's length after the follow-up.
    pub version: i64,
    /// The content hash of the amended workflow.
    pub workflow: String,
    /// When it was applied.
    pub at: String,
    /// What it caused.
    pub effects: Vec<EffectEvent>,
    /// What the follow-up changed (the core's follow-up report).
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// One journal row: one input, as stored.
#[derive(Serialize, ToSchema)]
pub struct JournalRow {
    /// Its position, from 0.
    pub seq: i64,
    /// The core's input (start, act, timer, follow-up), as JSON.
    #[schema(value_type = Object)]
    pub input: serde_json::Value,
    /// The authenticated agency of an act.
    pub actor: Option<String>,
    /// The request's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// `GET /v1/whoami`: who the token is.
#[derive(Serialize, ToSchema)]
pub struct Whoami {
    /// The agency the token acts as; absent for an admin token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// An admin token: loads workflows and starts instances; acts as no agency.
    pub admin: bool,
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The host's clock now (virtual with `--clock`), RFC 3339 UTC.
    pub clock: String,
}

/// Adds the bearer scheme that every `/v1` operation requires.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("dxt_… (directrix serve token)")
                    .description(Some(
                        "A token printed once by `directrix serve token --agency ID` (or \
                         `--admin`); the actor of an act is the token's agency.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document's fixed parts; the paths come from the router ([`crate::api`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "directrix serve",
        description = "The durable host of directrix: workflows, instances, acts, the journal, \
                       inboxes and the event stream. Errors are JSON `{\"code\", \"message\", ...}`."
    ),
    modifiers(&BearerScheme),
    components(schemas(
        ErrorBody, EffectEvent, Whoami, WorkflowStored, ActAnswer, FollowUpAnswer, JournalRow, Health,
        EffectRecord, StatusRecord, InboxRecord, NextTimerRecord, Grid,
        crate::history::TimelinePage, crate::history::TimelineEntry, crate::history::TimelineEffect,
        crate::history::WorkflowSummary, crate::history::WorkflowDocument
    )),
    tags(
        (name = "host", description = "Health, metrics and this document; no token."),
        (name = "workflows", description = "Workflows: an admin stores them; their texts, for portals that run them."),
        (name = "instances", description = "Instances of directives: status, acts, journal."),
        (name = "agencies", description = "What an agency sees: its inbox and the events."),
    )
)]
pub struct ApiDoc;

/// The whole document: [`ApiDoc`] with every route of the router.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::api::routes().split_for_parts().1
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| document().to_json().unwrap_or_default())
}
