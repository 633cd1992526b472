//! The HTTP API: JSON under `/v1`, bearer tokens, the core's error codes.

use crate::error::ApiError;
use crate::runtime::{ActRequest, Host, hex};
use crate::shared::SharedTexts;
use crate::store::{Principal, TOKENS_VERSION, read};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::history::{self, TimelinePage, WorkflowDocument, WorkflowSummary};
use crate::openapi::{
    ActAnswer, EffectEvent, ErrorBody, FollowUpAnswer, Health, JournalRow, Whoami, WorkflowStored,
};
use crate::runtime::{InboxEntry, InstanceView};
use directrix_core::record::Grid;

/// The longest Idempotency-Key accepted.
const MAX_KEY_BYTES: usize = 200;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    host: Arc<Host>,
    tokens: Arc<TokenCache>,
}

/// Tokens seen valid, by hash, so a request reads no table. A revocation bumps the
/// store's tokens version; it is compared at most once a second (one small read, also
/// right when several servers share one database) and the cache is emptied when it
/// changed.
#[derive(Default)]
struct TokenCache {
    known: Mutex<Known>,
    /// When the version was last compared, and what it was.
    checked: Mutex<Option<(Instant, String)>>,
}

#[derive(Default)]
struct Known {
    principals: HashMap<String, Principal>,
    /// Bumped on every emptying: a principal read before it is not cached after it.
    generation: u64,
}

/// How often a running server looks for revocations.
const TOKENS_RECHECK: Duration = Duration::from_secs(1);

impl TokenCache {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Empties the cache if a token was revoked since the last look (at most one look a
    /// second; the request that finds the look due makes it).
    async fn refresh(&self, pool: &sqlx::AnyPool) -> Result<(), ApiError> {
        let now = Instant::now();
        let previous = {
            let mut checked = self
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match checked.as_mut() {
                Some((at, _)) if now.duration_since(*at) < TOKENS_RECHECK => return Ok(()),
                Some((at, version)) => {
                    *at = now;
                    Some(version.clone())
                }
                None => None,
            }
        };
        let version = read::meta(pool, TOKENS_VERSION)
            .await
            .map_err(|e| ApiError::storage(&e))?
            .unwrap_or_default();
        if previous.as_ref() != Some(&version) {
            let mut known = self.known();
            known.principals.clear();
            known.generation += 1;
            drop(known);
            *self
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((now, version));
        }
        Ok(())
    }
}

/// The limits the router enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// Longest a request may take, reading its body included.
    pub request_timeout: Duration,
}

/// The SHA-256 (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The authenticated caller.
struct Caller(Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "send `Authorization: Bearer TOKEN` (`directrix serve token`)",
                )
            })?;
        let hash = token_hash(token);
        let pool = state.host.store().pool();
        state.tokens.refresh(pool).await?;
        let (cached, generation) = {
            let known = state.tokens.known();
            (known.principals.get(&hash).cloned(), known.generation)
        };
        let principal = match cached {
            Some(principal) => principal,
            None => {
                let found = read::token(pool, &hash)
                    .await
                    .map_err(|e| ApiError::storage(&e))?
                    .ok_or_else(|| {
                        ApiError::unauthorized("this token is not known here (or was revoked)")
                    })?;
                let mut known = state.tokens.known();
                if known.generation == generation {
                    known.principals.insert(hash, found.clone());
                }
                found
            }
        };
        Ok(Caller(principal))
    }
}

impl Caller {
    fn admin(&self) -> Result<(), ApiError> {
        match &self.0 {
            Principal::Admin => Ok(()),
            Principal::Agency(_) => Err(ApiError::forbidden(
                "admin_only",
                "only an admin token may do this",
            )),
        }
    }

    fn agency(&self) -> Result<&str, ApiError> {
        match &self.0 {
            Principal::Agency(agency) => Ok(agency),
            Principal::Admin => Err(ApiError::forbidden(
                "agency_only",
                "an admin token acts as no agency: use the agency's token",
            )),
        }
    }

    /// The token's agency; `None` for an admin, who reads everything.
    fn agency_or_admin(&self) -> Option<&str> {
        match &self.0 {
            Principal::Admin => None,
            Principal::Agency(agency) => Some(agency),
        }
    }

    /// An agency reads only instances it has a part in; an admin reads every one.
    async fn may_read(&self, host: &Host, id: &str) -> Result<(), ApiError> {
        match &self.0 {
            Principal::Admin => host.check_party(id, None).await,
            Principal::Agency(agency) => host.check_party(id, Some(agency)).await,
        }
    }
}

fn body(bytes: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    bytes.map_err(|rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "invalid_body"
        };
        ApiError::new(status, code, rejection.body_text())
    })
}

/// A query string read as `T`; one that is not is 400 `invalid_request` in the API's
/// error shape, like a body that is not the JSON asked for.
struct ApiQuery<T>(T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(query)| ApiQuery(query))
            .map_err(|rejection| ApiError::invalid_request(rejection.body_text()))
    }
}

fn json_body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_request(e.to_string()))
}

#[utoipa::path(get, path = "/healthz", tag = "host",
    responses((status = 200, description = "The host is up", body = Health)))]
async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    let now = state.host.clock().now();
    Json(json!({ "status": "ok", "clock": now.to_rfc3339(directrix_core::time::UtcOffset::UTC) }))
}

#[utoipa::path(get, path = "/metrics", tag = "host",
    responses((status = 200, description = "Prometheus text: acts, timers fired, commit latency",
        content_type = "text/plain", body = String)))]
async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.host.metrics().render(),
    )
        .into_response()
}

/// `POST /v1/workflows` as JSON: a workflow with the shared texts it names, as a
/// portal holds them (the options of the WebAssembly `Workflow.parse`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct WorkflowUpload {
    /// The workflow's RON text.
    source: String,
    /// Shared calendar texts by the name the workflow uses (`calendar: (use: [NAME])`).
    #[serde(default)]
    calendars: BTreeMap<String, String>,
    /// Agency registry texts by the name the workflow uses (`agencies: (use: [NAME])`).
    #[serde(default)]
    registries: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/v1/workflows", tag = "workflows",
    security(("bearer" = [])),
    request_body(description = "The workflow's RON text; or, as JSON, the text with the shared calendars and agency registries it names",
        content((String = "text/plain"), (WorkflowUpload = "application/json"))),
    responses(
        (status = 201, description = "Stored (or already there)", body = WorkflowStored),
        (status = 400, description = "A JSON body that is not a `WorkflowUpload`", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "Not an admin token (`admin_only`)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid workflow (`invalid_workflow`, every located diagnostic in `diagnostics`)", body = ErrorBody),
    ))]
async fn post_workflow(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.admin()?;
    let bytes = body(bytes)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    let (source, shared) = if json {
        let upload: WorkflowUpload = json_body(&bytes)?;
        let shared = SharedTexts {
            calendars: upload.calendars,
            registries: upload.registries,
        };
        (upload.source, shared)
    } else {
        let source = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::invalid_request("the workflow text is not UTF-8"))?;
        (source, SharedTexts::default())
    };
    let (hash, warnings) = state.host.add_workflow(source, shared).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "hash": hash, "diagnostics": warnings })),
    )
        .into_response())
}

/// `POST /v1/instances`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    /// The workflow's content hash.
    workflow: String,
    /// When it starts (RFC 3339; default: the host's clock now).
    #[serde(default)]
    start: Option<String>,
}

#[utoipa::path(post, path = "/v1/instances", tag = "instances",
    security(("bearer" = [])),
    request_body = StartRequest,
    responses(
        (status = 201, description = "Started: its status view", body = InstanceView),
        (status = 400, description = "Not the JSON asked for", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 422, description = "Invalid start time", body = ErrorBody),
    ))]
async fn post_instance(
    State(state): State<AppState>,
    caller: Caller,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.admin()?;
    let request: StartRequest = json_body(&body(bytes)?)?;
    let view = state
        .host
        .start_instance(&request.workflow, request.start.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ViewQuery {
    /// The instant (RFC 3339; default: the instance as it is). Before the instance's time:
    /// its journal replayed up to then (`version` is the journal's length then); from its
    /// time on: a projection in which the timers due by then fire. Nothing is journaled.
    at: Option<String>,
}

#[utoipa::path(get, path = "/v1/instances/{id}", tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The instance"), ViewQuery),
    responses(
        (status = 200, description = "Every task instance, its state, due time and level", body = InstanceView),
        (status = 400, description = "A query that is not `at=TIME`", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
        (status = 409, description = "Too many timers fall due by `at` (`too_many_timers`)", body = ErrorBody),
        (status = 422, description = "Not a time (`invalid_time`), or before the instance started (`before_start`)", body = ErrorBody),
    ))]
async fn get_instance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ViewQuery>,
) -> Result<Response, ApiError> {
    caller.may_read(&state.host, &id).await?;
    let view = match query.at.as_deref() {
        Some(at) => history::view_at_time(&state.host, &id, at).await?,
        None => state.host.instance_view(&id).await?,
    };
    Ok(Json(view).into_response())
}

#[utoipa::path(get, path = "/v1/instances/{id}/journal", tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The instance")),
    responses(
        (status = 200, description = "Every input, in order: replaying them gives the instance", body = Vec<JournalRow>),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
    ))]
async fn get_journal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.may_read(&state.host, &id).await?;
    Ok(Json(state.host.journal(&id).await?).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GridQuery {
    /// The instant (RFC 3339; default: the host's clock now). Before the instance's time:
    /// the grid as it was then, from its journal replayed up to then; from its time on: a
    /// projection in which the timers due by then fire. Nothing is journaled.
    at: Option<String>,
}

#[utoipa::path(get, path = "/v1/instances/{id}/grid", tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The instance"), GridQuery),
    responses(
        (status = 200, description = "The tracking grid at that instant", body = Grid),
        (status = 400, description = "A query that is not `at=TIME`", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
        (status = 409, description = "Too many timers fall due by `at` (`too_many_timers`)", body = ErrorBody),
        (status = 422, description = "Not a time (`invalid_time`), or before the instance started (`before_start`)", body = ErrorBody),
    ))]
async fn get_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<GridQuery>,
) -> Result<Response, ApiError> {
    caller.may_read(&state.host, &id).await?;
    let Some(at) = query.at.as_deref() else {
        return Ok(Json(state.host.grid(&id, None).await?).into_response());
    };
    if let Some(grid) = history::grid_before(&state.host, &id, at).await? {
        return Ok(Json(grid).into_response());
    }
    match state.host.grid(&id, Some(at)).await {
        // The instance moved past `at` meanwhile: that is its past now.
        Err(error) if error.code == "time_went_backwards" => {
            match history::grid_before(&state.host, &id, at).await? {
                Some(grid) => Ok(Json(grid).into_response()),
                None => Err(error),
            }
        }
        answer => Ok(Json(answer?).into_response()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TimelineQuery {
    /// Only the entries after this version (the `version` of the last entry seen, or a
    /// page's `next`); default 0, from the start.
    after: Option<i64>,
    /// At most this many entries: 1 to 1000, default 100.
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/instances/{id}/timeline", tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The instance"), TimelineQuery),
    responses(
        (status = 200, description = "The instance's history, a page at a time: every journaled input (start, act, timer, follow-up) with names, and the effects it produced with their event ids", body = TimelinePage),
        (status = 400, description = "`after` below 0, `limit` outside 1 to 1000, or another query", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
    ))]
async fn get_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<TimelineQuery>,
) -> Result<Response, ApiError> {
    caller.may_read(&state.host, &id).await?;
    let page = history::timeline(&state.host, &id, query.after, query.limit).await?;
    Ok(Json(page).into_response())
}

#[utoipa::path(get, path = "/v1/workflows", tag = "workflows",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored workflows, in the order stored: every one for an admin, those it has a part in for an agency", body = Vec<WorkflowSummary>),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
    ))]
async fn get_workflows(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let list = history::workflows(&state.host, caller.agency_or_admin()).await?;
    Ok(Json(list).into_response())
}

#[utoipa::path(get, path = "/v1/workflows/{hash}", tag = "workflows",
    security(("bearer" = [])),
    params(("hash" = String, Path, description = "The workflow's content hash")),
    responses(
        (status = 200, description = "Its RON text, calendars and the compiled bytes' hash: what a portal needs to run it in WebAssembly", body = WorkflowDocument),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this workflow (`not_a_party`)", body = ErrorBody),
        (status = 404, description = "No such workflow (`unknown_workflow`)", body = ErrorBody),
    ))]
async fn get_workflow(
    State(state): State<AppState>,
    caller: Caller,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let document = history::workflow(&state.host, &hash, caller.agency_or_admin()).await?;
    Ok(Json(document).into_response())
}

#[utoipa::path(get, path = "/v1/whoami", tag = "agencies",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's agency, or that it is an admin's", body = Whoami),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
    ))]
async fn whoami(caller: Caller) -> Json<Whoami> {
    Json(match caller.0 {
        Principal::Admin => Whoami {
            agency: None,
            admin: true,
        },
        Principal::Agency(agency) => Whoami {
            agency: Some(agency),
            admin: false,
        },
    })
}

#[utoipa::path(get, path = "/v1/inbox", tag = "agencies",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the token's agency may do now, by instance", body = Vec<InboxEntry>),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "An admin token (`agency_only`)", body = ErrorBody),
    ))]
async fn get_inbox(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let agency = caller.agency()?;
    Ok(Json(state.host.inbox(agency).await?).into_response())
}

#[utoipa::path(post, path = "/v1/instances/{id}/acts", tag = "instances",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The instance"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 200 characters: a repeated key with the same request returns the first answer, a refusal too (header `idempotent-replayed: true`), and changes nothing"),
    ),
    request_body = ActRequest,
    responses(
        (status = 200, description = "Journaled; the actor is the token's agency", body = ActAnswer),
        (status = 400, description = "Not the JSON asked for, or a bad Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
        (status = 409, description = "Not possible in the current state, or the key was used with another request (the core's code)", body = ErrorBody),
        (status = 422, description = "Unknown task or action, a note or `until` missing (the core's code)", body = ErrorBody),
        (status = 503, description = "Storage failed; nothing recorded: retry with the same key", body = ErrorBody),
    ))]
async fn post_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let agency = caller.agency()?.to_owned();
    caller.may_read(&state.host, &id).await?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_BYTES)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_idempotency_key",
                        format!(
                            "an Idempotency-Key is 1 to {MAX_KEY_BYTES} visible ASCII characters"
                        ),
                    )
                })?,
        ),
    };
    let request: ActRequest = json_body(&body(bytes)?)?;
    let outcome = state.host.act(&id, &agency, &request, key).await?;
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        outcome.body,
    )
        .into_response();
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[utoipa::path(post, path = "/v1/instances/{id}/follow-ups", tag = "instances",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The instance")),
    request_body(description = "The follow-up document's RON text", content_type = "text/plain", content = String),
    responses(
        (status = 200, description = "Applied and journaled", body = FollowUpAnswer),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "The agency has no part in this instance", body = ErrorBody),
        (status = 404, description = "No such instance", body = ErrorBody),
        (status = 409, description = "The follow-up does not apply to this instance now", body = ErrorBody),
        (status = 422, description = "An invalid follow-up document", body = ErrorBody),
    ))]
async fn post_follow_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.admin()?;
    caller.may_read(&state.host, &id).await?;
    let bytes = body(bytes)?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::invalid_request("the follow-up text is not UTF-8"))?;
    let answer = state.host.follow_up(&id, text).await?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer,
    )
        .into_response())
}

/// Where an event stream is: the last id sent, and the effects read but not sent yet.
struct Cursor {
    state: AppState,
    agency: Option<String>,
    after: i64,
    commits: tokio::sync::watch::Receiver<u64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    buffer: std::collections::VecDeque<crate::store::StoredEffect>,
}

/// Reads effects after the cursor, waiting for the next commit when there are none.
/// `None` ends the stream (the database failed, or the host is stopping).
async fn next_event(mut cursor: Cursor) -> Option<(Result<Event, Infallible>, Cursor)> {
    loop {
        if let Some(effect) = cursor.buffer.pop_front() {
            let event = Event::default()
                .id(effect.id.to_string())
                .event("effect")
                .data(effect.record);
            return Some((Ok(event), cursor));
        }
        // Marked seen before reading, so a commit after the read wakes the wait below.
        cursor.commits.borrow_and_update();
        let batch = read::effects_after(cursor.state.host.store().pool(), cursor.after, 256)
            .await
            .ok()?;
        let Some(last) = batch.last() else {
            if *cursor.stopping.borrow_and_update() {
                return None;
            }
            // Another node's commits wake no one here: where nodes share the database,
            // the outbox is also read every `poll`.
            let poll = cursor.state.host.events_poll();
            tokio::select! {
                changed = cursor.commits.changed() => changed.ok()?,
                _ = cursor.stopping.changed() => return None,
                () = async {
                    match poll {
                        Some(poll) => tokio::time::sleep(poll).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
            continue;
        };
        cursor.after = last.id;
        let host = &cursor.state.host;
        // Instances started on another node sharing the database: learn whose they are.
        let ids: Vec<i64> = batch.iter().map(|effect| effect.instance).collect();
        host.know_instances(&ids).await.ok()?;
        let agency = cursor.agency.as_deref();
        cursor.buffer.extend(batch.into_iter().filter(|effect| {
            agency.is_none_or(|agency| host.is_party_of(effect.instance, agency))
        }));
    }
}

/// `GET /v1/events`: every effect from the outbox, in order, each with its stable id;
/// `Last-Event-ID` resumes after that id. An agency sees the instances it has a part in.
#[utoipa::path(get, path = "/v1/events", tag = "agencies",
    security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "Server-Sent Events: each `effect` event has a stable `id` and an `EffectEvent` as its data (JSON); an agency sees the instances it has a part in, an admin every one. A browser reads it with fetch() and the Authorization header (an EventSource cannot send one)",
            content_type = "text/event-stream", body = EffectEvent),
        (status = 400, description = "A Last-Event-ID that is not an event id", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
    ))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .filter(|id| *id >= 0)
            .ok_or_else(|| {
                ApiError::invalid_request("Last-Event-ID is an event id (a whole number)")
            })?,
    };
    let agency = match caller.0 {
        Principal::Admin => None,
        Principal::Agency(agency) => Some(agency),
    };
    let cursor = Cursor {
        commits: state.host.subscribe_events(),
        stopping: state.host.subscribe_stopping(),
        state,
        agency,
        after,
        buffer: std::collections::VecDeque::new(),
    };
    let stream = futures_util::stream::unfold(cursor, next_event);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

#[utoipa::path(get, path = "/openapi.json", tag = "host",
    responses((status = 200, description = "This document (OpenAPI 3)", content_type = "application/json", body = Object)))]
async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        crate::openapi::json(),
    )
        .into_response()
}

/// Every route of the API with its documentation. Only `routes!` adds a route: it takes
/// the path and the method from the handler's `#[utoipa::path]`, so a route cannot be
/// served without being in `/openapi.json`.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    use utoipa::OpenApi as _;
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(post_workflow))
        .routes(routes!(post_instance))
        .routes(routes!(get_instance))
        .routes(routes!(post_act))
        .routes(routes!(post_follow_up))
        .routes(routes!(get_journal))
        .routes(routes!(get_grid))
        .routes(routes!(get_timeline))
        .routes(routes!(get_workflows))
        .routes(routes!(get_workflow))
        .routes(routes!(whoami))
        .routes(routes!(get_inbox))
        .routes(routes!(events))
}

/// The router: the API, and the portal's static files when `portal` is given.
pub fn router(
    host: Arc<Host>,
    limits: Limits,
    portal: Option<&crate::portal::PortalChoice>,
) -> Router {
    let state = AppState {
        host,
        tokens: Arc::default(),
    };
    let (api, _) = routes().split_for_parts();
    let api = match portal {
        Some(portal) => api.merge(portal.router()),
        None => api,
    };
    api.fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
