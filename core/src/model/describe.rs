//! Plain-language descriptions of rules, for hosts that show a workflow to people.

use crate::model::spec::{Period, Within};
use crate::model::workflow::{Due, InForce, InForceEnd, Start, Workflow};

fn clock(time: time::Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

impl Workflow {
    /// Describes a start rule, e.g. `at issue` or `at 2021-05-06T12:00:00+07:00`.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.describe_start(directrix_core::workflow::Start::AtIssue), "at issue");
    /// ```
    pub fn describe_start(&self, start: Start) -> String {
        match start {
            Start::AtIssue => "at issue".to_owned(),
            Start::At(t) => format!("at {}", self.format_time(t)),
            Start::AfterDependencies => "after dependencies".to_owned(),
        }
    }

    /// Describes a due rule, e.g. `3 working days after start` or
    /// `every 1d at 16:00 until 2021-05-21T16:00:00+07:00`.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.describe_due(Some(directrix_core::workflow::Due::WorkingDays(2))), "2 working days after start");
    /// ```
    pub fn describe_due(&self, due: Option<Due>) -> String {
        match due {
            None => "none".to_owned(),
            Some(Due::At(t)) => format!("at {}", self.format_time(t)),
            Some(Due::After(span)) => format!("{span} after start"),
            Some(Due::Days(n)) => format!("{n} days after start"),
            Some(Due::WorkingDays(n)) => format!("{n} working days after start"),
            Some(Due::ClockTime { at, days: 0 }) => format!("{} on the start day", clock(at)),
            Some(Due::ClockTime { at, days: 1 }) => format!("{} the day after start", clock(at)),
            Some(Due::ClockTime { at, days }) => format!("{}, {days} days after start", clock(at)),
            Some(Due::Every { every, at, until }) => format!(
                "every {every}{} until {}",
                at.map(|a| format!(" at {}", clock(a))).unwrap_or_default(),
                self.format_time(until)
            ),
            Some(Due::Periodic {
                period,
                cutoff_day,
                within,
                until,
            }) => {
                let period = match period {
                    Period::Monthly => "monthly",
                    Period::Quarterly => "quarterly",
                    Period::HalfYearly => "half-yearly",
                    Period::Yearly => "yearly",
                };
                let within = match within {
                    Within::WorkingDays(n) => format!("{n} working days"),
                    Within::Days(n) => format!("{n} days"),
                };
                format!(
                    "{period}: data cut off on day {cutoff_day}, due {within} after, until {}-{:02}-{:02}",
                    until.year(),
                    u8::from(until.month()),
                    until.day()
                )
            }
        }
    }
}

impl Workflow {
    /// Describes a period in force, e.g. `from 2020-04-01T00:00:00+07:00 for 15d; final
    /// report within 17h of its end`.
    ///
    /// ```
    /// # use directrix_core::{workflow::{InForce, InForceEnd}, Span};
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// let period = InForce {
    ///     from: None,
    ///     end: InForceEnd::Length(Span::parse("15d")?),
    ///     report_within: Span::parse("1d")?,
    /// };
    /// assert_eq!(workflow.describe_period(period), "from start for 15d; final report within 1d of its end");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_period(&self, period: InForce) -> String {
        let from = period.from.map_or_else(
            || "from start".to_owned(),
            |t| format!("from {}", self.format_time(t)),
        );
        let end = match period.end {
            InForceEnd::Length(length) => format!("for {length}"),
            InForceEnd::Until(until) => format!("until {}", self.format_time(until)),
        };
        format!(
            "{from} {end}; final report within {} of its end",
            period.report_within
        )
    }
}

impl crate::model::calendar::Calendar {
    /// The UTC offset as written in files, e.g. `+07:00`.
    ///
    /// ```
    /// # let workflow = directrix_core::load(include_str!("../../../workflows/kien-xuong-114-cv-hu.ron")).unwrap().workflow;
    /// assert_eq!(workflow.calendar().offset_text(), "+07:00");
    /// ```
    pub fn offset_text(&self) -> String {
        let (h, m, _) = self.offset().as_hms();
        let sign = if h < 0 || m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
    }
}
