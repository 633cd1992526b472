//! The texts a workflow is loaded with besides its own: the shared calendars and agency
//! registries it names (`calendar: (use: [...])`, `agencies: (use: [...])`).
//!
//! They are stored beside the workflow's text, so that a restart, another node,
//! `directrix serve check` and a portal replaying in WebAssembly all load it exactly as
//! it was first loaded. Every stored workflow is loaded through [`SharedTexts::load`].

use directrix_core::{LoadError, LoadOptions, Loaded};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Shared calendar and registry texts by the name a workflow uses for them: the
/// `calendars` and `registries` options of the WebAssembly `Workflow.parse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedTexts {
    /// Calendar texts by name (`calendars/NAME.ron` beside a workflow file).
    #[serde(default)]
    pub calendars: BTreeMap<String, String>,
    /// Agency registry texts by name (`registries/NAME.ron` beside a workflow file).
    #[serde(default)]
    pub registries: BTreeMap<String, String>,
}

impl SharedTexts {
    /// Loads `source` with these texts.
    pub fn load(&self, source: &str) -> Result<Loaded, LoadError> {
        let mut options = LoadOptions::default();
        for (name, text) in &self.calendars {
            options = options.with_calendar(name.as_str(), text.as_str());
        }
        for (name, text) in &self.registries {
            options = options.with_registry(name.as_str(), text.as_str());
        }
        directrix_core::load_with(source, &options)
    }

    /// The stored form (the `shared` column).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Reads the stored form; a workflow stored before the column existed has `{}`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("stored shared texts are not valid: {e}"))
    }
}

/// A workflow as the store holds it: its hash, its RON text and its shared texts' stored
/// form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWorkflow {
    /// Its content hash.
    pub hash: String,
    /// The RON text.
    pub source: String,
    /// [`SharedTexts::to_json`].
    pub shared: String,
}

impl StoredWorkflow {
    /// Loads it as it was first loaded. A stored workflow that no longer loads (a newer
    /// engine refusing an old text) is an error naming it: the host cannot run its
    /// instances.
    pub fn load(&self) -> Result<directrix_core::Workflow, String> {
        let shared = SharedTexts::from_json(&self.shared)
            .map_err(|e| format!("stored workflow {}: {e}", self.hash))?;
        let loaded = shared
            .load(&self.source)
            .map_err(|e| format!("stored workflow {} no longer loads: {e}", self.hash))?;
        Ok(loaded.workflow)
    }
}
