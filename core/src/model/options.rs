//! What a host supplies to loading: plain data the model keeps (a workflow's
//! [`Origin`](crate::model::workflow::Origin) holds the options it was loaded with, for
//! its follow-ups).

use crate::model::limits::Limits;
use std::collections::BTreeMap;

/// What a host supplies to loading beyond the workflow text. The core reads no files, so
/// anything a workflow refers to by name comes in here.
///
/// ```
/// let options = directrix_core::LoadOptions::default();
/// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
/// assert!(directrix_core::load_with(source, &options).is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Shared calendar texts by name, for `calendar: (use: [NAME])`. A `BTreeMap` so
    /// suggestions and diagnostics come out in one order.
    pub(crate) calendars: BTreeMap<String, String>,
    /// Shared agency registry texts by name, for `agencies: (use: [NAME], ...)`.
    pub(crate) registries: BTreeMap<String, String>,
    /// Resource limits (defaults: [`Limits::default`]); the workflow keeps them.
    pub limits: Limits,
}

impl LoadOptions {
    /// Supplies the text of the shared calendar `name` (a
    /// [`CalendarFileSpec`](crate::model::spec::CalendarFileSpec)), for workflows that write
    /// `calendar: (use: ["name"], ...)`. Only calendars a workflow names are parsed; a
    /// problem inside one is reported with its `origin` set to `name` and a location in
    /// `text`. Supplying a name again replaces its text.
    ///
    /// ```
    /// use directrix_core::{LoadOptions, load_with};
    /// let holidays = r#"(format: 1, years: [(year: 2024, holidays: ["2024-04-18"])])"#;
    /// let workflow = r#"(
    ///     format: 1,
    ///     directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2024-04-17 08:00", subject: "s"),
    ///     calendar: (use: ["holidays"], utc_offset: "+07:00"),
    ///     agencies: [(id: "boss", name: "Boss")],
    ///     tasks: [(id: "t", title: "T", lead: ["boss"], due: WorkingDays(1))],
    /// )"#;
    /// let options = LoadOptions::default().with_calendar("holidays", holidays);
    /// let loaded = load_with(workflow, &options).unwrap();
    /// // Thursday 18/04/2024 is the Hùng Kings' day: one working day ends on Friday.
    /// let due = loaded.workflow.plan()[0].due.unwrap();
    /// assert_eq!(loaded.workflow.format_time(due), "2024-04-19T17:00:00+07:00");
    /// ```
    pub fn with_calendar(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut name = name.into();
        crate::model::ident::id(&mut name);
        self.calendars.insert(name, text.into());
        self
    }

    /// The names of the supplied calendars, in order.
    ///
    /// ```
    /// let options = directrix_core::LoadOptions::default().with_calendar("vn", "");
    /// assert_eq!(options.calendar_names().collect::<Vec<_>>(), ["vn"]);
    /// ```
    pub fn calendar_names(&self) -> impl Iterator<Item = &str> {
        self.calendars.keys().map(String::as_str)
    }

    /// Supplies the text of the shared agency registry `name` (a
    /// [`RegistryFileSpec`](crate::model::spec::RegistryFileSpec)), for workflows that write
    /// `agencies: (use: ["name"], ...)`. Only registries a workflow names are parsed; a
    /// problem inside one is reported with its `origin` set to `registries/name` and a
    /// location in `text`. Supplying a name again replaces its text.
    ///
    /// ```
    /// use directrix_core::{LoadOptions, load_with};
    /// let registry = r#"(format: 1, agencies: [
    ///     (id: "ha_giang", name: "Tỉnh Hà Giang", until: "2025-06-30", replaced_by: ["tuyen_quang"]),
    ///     (id: "tuyen_quang", name: "Tỉnh Tuyên Quang"),
    /// ], groups: [(id: "provinces", name: "Các tỉnh", members: ["ha_giang", "tuyen_quang"])])"#;
    /// let workflow = r#"(
    ///     format: 1,
    ///     directive: (number: "1/CĐ-TTg", kind: "Công điện", issuer: "pm", issued_at: "2025-08-23 20:00", subject: "s"),
    ///     calendar: (utc_offset: "+07:00"),
    ///     agencies: (use: ["provinces"], list: [(id: "pm", name: "Thủ tướng Chính phủ")]),
    ///     tasks: [(id: "t", title: "T", for_each: "provinces", due: After("1d"))],
    /// )"#;
    /// let options = LoadOptions::default().with_registry("provinces", registry);
    /// let workflow = load_with(workflow, &options).unwrap().workflow;
    /// // On 23/08/2025 Hà Giang was part of Tuyên Quang: one province is left.
    /// assert_eq!(workflow.tasks()[0].instances.len(), 1);
    /// assert!(workflow.agency_id("ha_giang").is_none());
    /// ```
    pub fn with_registry(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut name = name.into();
        crate::model::ident::id(&mut name);
        self.registries.insert(name, text.into());
        self
    }

    /// The names of the supplied registries, in order.
    ///
    /// ```
    /// let options = directrix_core::LoadOptions::default().with_registry("vn-provinces", "");
    /// assert_eq!(options.registry_names().collect::<Vec<_>>(), ["vn-provinces"]);
    /// ```
    pub fn registry_names(&self) -> impl Iterator<Item = &str> {
        self.registries.keys().map(String::as_str)
    }

    /// These options with other [`Limits`].
    ///
    /// ```
    /// use directrix_core::{Limits, LoadOptions, load_with};
    /// let mut limits = Limits::default();
    /// limits.agencies = 3;
    /// let source = include_str!("../../../workflows/kien-xuong-114-cv-hu.ron");
    /// let error = load_with(source, &LoadOptions::default().with_limits(limits)).unwrap_err();
    /// assert_eq!(error.diagnostics[0].code.as_str(), "limit-exceeded");
    /// ```
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}
