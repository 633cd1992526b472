//! Calendars: the workflow's own (offset, weekend, holidays, working days, end of day)
//! merged with the shared calendar files it names.

use crate::front::compile::unknown_shared_hint;
use crate::front::load::parse_ron;
use crate::front::reporter::Reporter;
use crate::model::calendar::Calendar;
use crate::model::diagnostic::Code;
use crate::model::options::LoadOptions;
use crate::model::spec;
use crate::model::time::{parse_clock, parse_date, parse_offset};
use std::collections::BTreeSet;
use std::ops::Range;
use time::{Date, UtcOffset, Weekday};

/// The dates of the shared calendars a workflow names, merged; problems inside a calendar
/// are reported in its own text (`origin`), an unknown name in the workflow's.
fn named_calendars(
    r: &mut Reporter<'_>,
    spec: &spec::CalendarSpec,
    options: &LoadOptions,
) -> (BTreeSet<Date>, BTreeSet<Date>) {
    let mut holidays = BTreeSet::new();
    let mut working = BTreeSet::new();
    let section = r.key("calendar").map(|s| s.start..usize::MAX);
    for name in &spec.uses {
        let Some(text) = options.calendars.get(name) else {
            let hint =
                unknown_shared_hint(name, options.calendar_names(), "calendars", "with_calendar");
            r.error_hint(
                Code::UnknownCalendar,
                r.at(&section, name),
                format!("the calendar `{name}` is unknown"),
                Some(hint),
            );
            continue;
        };
        let mut inner = Reporter::new(text);
        match parse_ron::<spec::CalendarFileSpec>(text, &options.limits) {
            Ok(file) => calendar_file(&mut inner, &file, &mut holidays, &mut working),
            Err(diagnostic) => inner.diagnostics.push(diagnostic),
        }
        for mut diagnostic in inner.finish() {
            diagnostic.origin = Some(name.as_str().into());
            r.diagnostics.push(diagnostic);
        }
    }
    (holidays, working)
}

/// Checks a shared calendar file and collects its dates.
pub(crate) fn calendar_file(
    r: &mut Reporter<'_>,
    file: &spec::CalendarFileSpec,
    holidays: &mut BTreeSet<Date>,
    working: &mut BTreeSet<Date>,
) {
    if file.format != spec::FORMAT_VERSION {
        r.error_hint(
            Code::UnsupportedFormat,
            r.key("format"),
            format!("format version {} is not supported", file.format),
            Some(format!(
                "this directrix reads format {}",
                spec::FORMAT_VERSION
            )),
        );
    }
    // Years are numbers, which the locator does not index: entry i runs from the i-th
    // `year:` key to the next.
    let starts: Vec<usize> = r.locator.fields_named("year").collect();
    let spans: Vec<Option<Range<usize>>> = (0..file.years.len())
        .map(|i| {
            let start = *starts.get(i)?;
            Some(start..starts.get(i + 1).copied().unwrap_or(usize::MAX))
        })
        .collect();
    let mut seen = BTreeSet::new();
    for (year, span) in file.years.iter().zip(&spans) {
        if !seen.insert(year.year) {
            r.error_hint(
                Code::DuplicateId,
                span.as_ref().map(|s| s.start..s.start + "year".len()),
                format!("the year {} is listed twice", year.year),
                Some("merge the two entries into one".to_owned()),
            );
        }
        for (dates, into) in [
            (&year.holidays, &mut *holidays),
            (&year.extra_working_days, &mut *working),
        ] {
            for text in dates {
                let at = r.at(span, text);
                match parse_date(text) {
                    Ok(date) if date.year() != year.year => r.error_hint(
                        Code::DateOutsideYear,
                        at,
                        format!("the date {text} is listed under the year {}", year.year),
                        Some(format!("move it to the entry for {}", date.year())),
                    ),
                    Ok(date) => {
                        into.insert(date);
                    }
                    Err(e) => r.error(Code::InvalidDate, at, e.to_string()),
                }
            }
        }
    }
}

/// The `calendar` section: the working-day calendar every due rule counts in.
pub(super) fn compile_calendar(
    r: &mut Reporter<'_>,
    spec: &spec::CalendarSpec,
    options: &LoadOptions,
) -> Calendar {
    let calendar_span = r.key("calendar").map(|s| s.start..s.start + 1);
    let offset_span = r
        .locator
        .field_string_in("utc_offset", 0..usize::MAX)
        .or(calendar_span.clone());
    let offset = parse_offset(&spec.utc_offset).unwrap_or_else(|e| {
        r.error_hint(
            Code::InvalidOffset,
            offset_span,
            e.to_string(),
            Some("Vietnam is `+07:00`".to_owned()),
        );
        UtcOffset::UTC
    });
    let mut weekend = [false; 7];
    for day in &spec.weekend {
        let weekday = match day {
            spec::Day::Mon => Weekday::Monday,
            spec::Day::Tue => Weekday::Tuesday,
            spec::Day::Wed => Weekday::Wednesday,
            spec::Day::Thu => Weekday::Thursday,
            spec::Day::Fri => Weekday::Friday,
            spec::Day::Sat => Weekday::Saturday,
            spec::Day::Sun => Weekday::Sunday,
        };
        weekend[weekday.number_days_from_monday() as usize] = true;
    }
    if weekend.iter().all(|w| *w) {
        r.error(
            Code::NoWorkingDays,
            r.key("weekend"),
            "every day of the week is a weekend day, so no working-day deadline can fall"
                .to_owned(),
        );
        weekend = [false; 7];
    }
    let (mut holidays, mut working) = named_calendars(r, spec, options);
    for (field, dates, into) in [
        ("holidays", &spec.holidays, &mut holidays),
        ("extra_working_days", &spec.extra_working_days, &mut working),
    ] {
        let span = r.key(field).map(|s| s.start..usize::MAX);
        for text in dates {
            match parse_date(text) {
                Ok(date) => {
                    into.insert(date);
                }
                Err(e) => {
                    let at = r.at(&span, text);
                    r.error(Code::InvalidDate, at, e.to_string());
                }
            }
        }
    }
    let day_end = parse_clock(&spec.day_end).unwrap_or_else(|e| {
        let at = r.locator.field_string_in("day_end", 0..usize::MAX);
        r.error(Code::InvalidClockTime, at, e.to_string());
        time::Time::MIDNIGHT
    });
    Calendar::from_parts(offset, weekend, holidays, working, day_end)
}
