//! The API's errors: JSON `{"code", "message", ...}` with the core's codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use directrix_core::ActError;
use serde_json::{Map, Value, json};

/// A refusal or failure, as the API answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable snake_case code.
    pub code: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
    /// More fields for the body (diagnostics, a hint).
    pub details: Map<String, Value>,
}

impl ApiError {
    /// An error without details.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: Map::new(),
        }
    }

    /// Adds a field to the body.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.details.insert(field.to_owned(), value);
        self
    }

    /// 401: no token, or one the host does not know.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 with a code.
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404 for an instance id that does not exist.
    pub fn unknown_instance(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_instance",
            format!("no instance `{}`", directrix_core::diagnostic::excerpt(id)),
        )
    }

    /// 400 for a body that is not the JSON asked for.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 503: storage failed; the input was not acknowledged and nothing was kept.
    pub fn storage(error: &crate::store::StoreError) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_failed",
            format!("{error}; nothing was recorded, retry with the same Idempotency-Key"),
        )
    }

    /// 422: the key was used by this agency for another request.
    pub fn key_reused() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used for another request; use a new key for a new request",
        )
    }

    /// The code of a version conflict, which the host retries on the reloaded instance.
    pub const VERSION_CONFLICT: &'static str = "version_conflict";

    /// A failed commit: the key's earlier use, a version conflict (409), or storage.
    pub fn commit(error: &crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::KeyReused => Self::key_reused(),
            crate::store::StoreError::Conflict { .. } => Self::new(
                StatusCode::CONFLICT,
                Self::VERSION_CONFLICT,
                format!(
                    "{error}: it changed meanwhile (on another node); nothing was recorded, retry with the same Idempotency-Key"
                ),
            ),
            _ => Self::storage(error),
        }
    }

    /// 500 for a stored instance that does not load.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<ActError> for ApiError {
    fn from(error: ActError) -> Self {
        let status = match error {
            // The role check and agencies foreign to the workflow: this agency may not.
            ActError::NotAllowed { .. } | ActError::UnknownAgency { .. } => StatusCode::FORBIDDEN,
            // The request itself is wrong, whatever the state.
            ActError::UnknownTask { .. }
            | ActError::UnknownAction { .. }
            | ActError::NoteRequired { .. }
            | ActError::InvalidExtension { .. }
            | ActError::TimeOutOfRange { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            // Not possible in the instance's current state.
            _ => StatusCode::CONFLICT,
        };
        let mut api = Self::new(status, error.code(), error.to_string());
        if let Some(hint) = error.hint() {
            api = api.with("hint", Value::String(hint.to_owned()));
        }
        api
    }
}

impl ApiError {
    /// The JSON body: `{"code", "message", ...details}`.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("code".to_owned(), json!(self.code));
        body.insert("message".to_owned(), json!(self.message));
        body.extend(self.details.clone());
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
