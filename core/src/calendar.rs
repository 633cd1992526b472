//! Working-day calendar: local offset, weekend days, holidays, and the deadline rules of
//! the Vietnamese Civil Code (Art. 147–148): the day a period starts is not counted, and a
//! period whose last day is not a working day ends on the next working day.

use crate::time::Timestamp;
use std::collections::BTreeSet;
use time::{Date, Duration, Time, UtcOffset, Weekday};

/// A compiled calendar.
///
/// ```
/// use directrix_core::{Calendar, Timestamp};
/// # let hanoi = directrix_core::UtcOffset::from_hms(7, 0, 0).unwrap();
/// let calendar = Calendar::new(hanoi).with_holiday("2021-05-10").unwrap();
/// // Friday 07/05 + 1 working day: Monday 10/05 is a holiday, so Tuesday 11/05 17:00.
/// let friday = Timestamp::parse("2021-05-07 08:00", hanoi).unwrap();
/// let due = calendar.add_working_days(friday, 1).unwrap();
/// assert_eq!(due.to_rfc3339(hanoi), "2021-05-11T17:00:00+07:00");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    offset: UtcOffset,
    /// Indexed by `Weekday::number_days_from_monday`.
    weekend: [bool; 7],
    holidays: BTreeSet<Date>,
    day_end: Time,
}

impl Calendar {
    /// A calendar at `offset` with a Saturday–Sunday weekend, no holidays and deadlines
    /// at 17:00.
    ///
    /// ```
    /// # use directrix_core::{Calendar, UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// assert_eq!(calendar.offset(), UtcOffset::UTC);
    /// ```
    pub fn new(offset: UtcOffset) -> Self {
        let mut weekend = [false; 7];
        weekend[Weekday::Saturday.number_days_from_monday() as usize] = true;
        weekend[Weekday::Sunday.number_days_from_monday() as usize] = true;
        Self {
            offset,
            weekend,
            holidays: BTreeSet::new(),
            day_end: Time::from_hms(17, 0, 0).unwrap_or(Time::MIDNIGHT),
        }
    }

    pub(crate) fn from_parts(
        offset: UtcOffset,
        weekend: [bool; 7],
        holidays: BTreeSet<Date>,
        day_end: Time,
    ) -> Self {
        Self {
            offset,
            weekend,
            holidays,
            day_end,
        }
    }

    /// The calendar as plain numbers (offset seconds, weekend flags, holidays as Julian
    /// day numbers in order, day end in seconds), for the workflow's content hash.
    pub(crate) fn canonical(&self) -> (i32, [bool; 7], Vec<i32>, u32) {
        let (h, m, s) = self.day_end.as_hms();
        (
            self.offset.whole_seconds(),
            self.weekend,
            self.holidays.iter().map(|d| d.to_julian_day()).collect(),
            u32::from(h) * 3600 + u32::from(m) * 60 + u32::from(s),
        )
    }

    /// Adds a holiday given as `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`crate::TimeError::Date`] for a malformed date.
    ///
    /// ```
    /// # use directrix_core::{Calendar, UtcOffset};
    /// assert!(Calendar::new(UtcOffset::UTC).with_holiday("2021-02-30").is_err());
    /// ```
    pub fn with_holiday(mut self, date: &str) -> Result<Self, crate::TimeError> {
        self.holidays.insert(crate::time::parse_date(date)?);
        Ok(self)
    }

    /// The local UTC offset.
    ///
    /// ```
    /// # use directrix_core::{Calendar, UtcOffset};
    /// assert!(Calendar::new(UtcOffset::UTC).offset().is_utc());
    /// ```
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// Whether `date` is a working day (not a weekend day, not a holiday).
    ///
    /// ```
    /// # use directrix_core::{Calendar, UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let saturday = time::macros::date!(2021 - 05 - 08);
    /// assert!(!calendar.is_working_day(saturday));
    /// ```
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.weekend[date.weekday().number_days_from_monday() as usize]
            && !self.holidays.contains(&date)
    }

    /// Whether any day of the week is a working day; without one no day count can end.
    pub(crate) fn has_working_weekday(&self) -> bool {
        self.weekend.iter().any(|weekend| !weekend)
    }

    fn next_working_day_from(&self, mut date: Date) -> Option<Date> {
        if !self.has_working_weekday() {
            return None;
        }
        // Terminates: each week has a working weekday and holidays are finitely many.
        while !self.is_working_day(date) {
            date = date.next_day()?;
        }
        Some(date)
    }

    /// `n` working days after the local day of `start` (not counted), at the day's end.
    ///
    /// Returns `None` only beyond the supported years or when no weekday is a working day.
    ///
    /// ```
    /// # use directrix_core::{Calendar, Timestamp, UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let friday = Timestamp::parse("2021-05-07 08:00", UtcOffset::UTC).unwrap();
    /// let due = calendar.add_working_days(friday, 2).unwrap();
    /// assert_eq!(due.to_short(UtcOffset::UTC), "2021-05-11 17:00");
    /// ```
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        let (mut date, _) = start.local(self.offset)?;
        if n == 0 {
            // "Within the day": the start day itself, or the next working day.
            date = self.next_working_day_from(date)?;
        }
        for _ in 0..n {
            date = self.next_working_day_from(date.next_day()?)?;
        }
        Some(Timestamp::from_local(date, self.day_end, self.offset))
    }

    /// `n` calendar days after the local day of `start`, at the day's end; a deadline on
    /// a non-working day moves to the next working day.
    ///
    /// ```
    /// # use directrix_core::{Calendar, Timestamp, UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let thursday = Timestamp::parse("2021-05-06 08:00", UtcOffset::UTC).unwrap();
    /// // Saturday 08/05 is not a working day: the deadline moves to Monday.
    /// let due = calendar.add_days(thursday, 2).unwrap();
    /// assert_eq!(due.to_short(UtcOffset::UTC), "2021-05-10 17:00");
    /// ```
    pub fn add_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        let (date, _) = start.local(self.offset)?;
        let last = date.checked_add(Duration::days(i64::from(n)))?;
        let date = self.next_working_day_from(last)?;
        Some(Timestamp::from_local(date, self.day_end, self.offset))
    }

    /// The local clock time `at`, `days` calendar days after the local day of `start`.
    ///
    /// ```
    /// # use directrix_core::{Calendar, Timestamp, UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let start = Timestamp::parse("2021-05-07 08:00", UtcOffset::UTC).unwrap();
    /// let at = time::macros::time!(15:00);
    /// assert_eq!(calendar.clock_time(start, 0, at).unwrap().to_short(UtcOffset::UTC), "2021-05-07 15:00");
    /// ```
    pub fn clock_time(&self, start: Timestamp, days: u32, at: Time) -> Option<Timestamp> {
        let (date, _) = start.local(self.offset)?;
        let date = date.checked_add(Duration::days(i64::from(days)))?;
        Some(Timestamp::from_local(date, at, self.offset))
    }

    /// The first instant at or after `start` whose local clock reads `at`.
    pub(crate) fn next_clock_time(&self, start: Timestamp, at: Time) -> Option<Timestamp> {
        let today = self.clock_time(start, 0, at)?;
        if today >= start {
            Some(today)
        } else {
            self.clock_time(start, 1, at)
        }
    }

    /// The first instant at or after `at` inside office hours: a working day between
    /// `opens` and the calendar's day end.
    pub(crate) fn next_office_time(&self, at: Timestamp, opens: Time) -> Timestamp {
        let Some((date, time)) = at.local(self.offset) else {
            return at;
        };
        if self.is_working_day(date) && time >= opens && time < self.day_end {
            return at;
        }
        let first_day = if self.is_working_day(date) && time < opens {
            Some(date)
        } else {
            date.next_day().and_then(|d| self.next_working_day_from(d))
        };
        first_day.map_or(at, |d| Timestamp::from_local(d, opens, self.offset))
    }
}
