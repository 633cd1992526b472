//! Working-day calendar: local offset, weekend days, holidays, and the deadline rules of
//! the Vietnamese Civil Code (Art. 147–148): the day a period starts is not counted, and a
//! period whose last day is not a working day ends on the next working day.

use crate::model::time::Timestamp;
use std::collections::BTreeSet;
use time::{Date, Duration, Time, UtcOffset, Weekday};

/// A compiled calendar.
///
/// ```
/// use directrix_core::{time::Calendar, Timestamp};
/// # let hanoi = directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap();
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
    /// Weekend dates decreed working days (a Saturday worked in exchange for a bridge day).
    working: BTreeSet<Date>,
    day_end: Time,
}

impl Calendar {
    /// A calendar at `offset` with a Saturday–Sunday weekend, no holidays and deadlines
    /// at 17:00.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, time::UtcOffset};
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
            working: BTreeSet::new(),
            day_end: Time::from_hms(17, 0, 0).unwrap_or(Time::MIDNIGHT),
        }
    }

    pub(crate) fn from_parts(
        offset: UtcOffset,
        weekend: [bool; 7],
        holidays: BTreeSet<Date>,
        working: BTreeSet<Date>,
        day_end: Time,
    ) -> Self {
        Self {
            offset,
            weekend,
            holidays,
            working,
            day_end,
        }
    }

    /// The calendar as plain numbers (offset seconds, weekend flags, holidays as Julian
    /// day numbers in order, day end in seconds), for the workflow's content hash.
    pub(crate) fn canonical(&self) -> (i32, [bool; 7], Vec<i32>, u32, Vec<i32>) {
        let (h, m, s) = self.day_end.as_hms();
        (
            self.offset.whole_seconds(),
            self.weekend,
            self.holidays.iter().map(|d| d.to_julian_day()).collect(),
            u32::from(h) * 3600 + u32::from(m) * 60 + u32::from(s),
            self.working.iter().map(|d| d.to_julian_day()).collect(),
        )
    }

    /// Adds a holiday given as `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`crate::model::time::TimeError::Date`] for a malformed date.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, time::UtcOffset};
    /// assert!(Calendar::new(UtcOffset::UTC).with_holiday("2021-02-30").is_err());
    /// ```
    pub fn with_holiday(mut self, date: &str) -> Result<Self, crate::model::time::TimeError> {
        self.holidays.insert(crate::model::time::parse_date(date)?);
        Ok(self)
    }

    /// Adds a working day given as `YYYY-MM-DD`: a weekend date the government decreed a
    /// working day (làm bù), usually in exchange for a bridge day off. A date that is both a
    /// holiday and a working day is a holiday.
    ///
    /// # Errors
    /// [`crate::model::time::TimeError::Date`] for a malformed date.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, time::UtcOffset};
    /// // Saturday 04/05/2024 was worked in exchange for Monday 29/04.
    /// let calendar = Calendar::new(UtcOffset::UTC).with_working_day("2024-05-04").unwrap();
    /// assert!(calendar.is_working_day(time::macros::date!(2024 - 05 - 04)));
    /// ```
    pub fn with_working_day(mut self, date: &str) -> Result<Self, crate::model::time::TimeError> {
        self.working.insert(crate::model::time::parse_date(date)?);
        Ok(self)
    }

    /// The local UTC offset.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, time::UtcOffset};
    /// assert!(Calendar::new(UtcOffset::UTC).offset().is_utc());
    /// ```
    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// Whether `date` is a working day: not a holiday, and either not a weekend day or a
    /// weekend date decreed a working day.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let saturday = time::macros::date!(2021 - 05 - 08);
    /// assert!(!calendar.is_working_day(saturday));
    /// ```
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.holidays.contains(&date)
            && (!self.weekend[date.weekday().number_days_from_monday() as usize]
                || self.working.contains(&date))
    }

    /// Whether the local date of `at` is a working day ([`Calendar::is_working_day`]); an
    /// instant outside the representable range is on no working day.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::from_hms(7, 0, 0).unwrap());
    /// // Friday 07/05/2021 23:00 here is still Friday (16:00 UTC); an hour later, Saturday.
    /// let friday_night = Timestamp::parse("2021-05-07 23:00", calendar.offset()).unwrap();
    /// assert!(calendar.is_working_day_at(friday_night));
    /// let saturday = Timestamp::from_seconds(friday_night.as_seconds() + 3_600);
    /// assert!(!calendar.is_working_day_at(saturday));
    /// ```
    pub fn is_working_day_at(&self, at: Timestamp) -> bool {
        at.local(self.offset)
            .is_some_and(|(date, _)| self.is_working_day(date))
    }

    /// Whether any day of the week is a working day; without one no day count can end.
    pub(crate) fn has_working_weekday(&self) -> bool {
        self.weekend.iter().any(|weekend| !weekend)
    }

    fn is_weekend(&self, date: Date) -> bool {
        self.weekend[date.weekday().number_days_from_monday() as usize]
    }

    /// Working days in `from..=to`: whole weeks by the weekly pattern, the rest day by day,
    /// then the exceptions in the range. O(exceptions in the range), not O(days).
    fn working_days_in(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return 0;
        }
        let days = (to - from).whole_days() + 1;
        let per_week = self.weekend.iter().filter(|weekend| !**weekend).count() as i64;
        let mut count = days / 7 * per_week;
        // The last `days % 7` days of the range, which do not make a whole week.
        let mut day = to;
        for _ in 0..days % 7 {
            count += i64::from(!self.is_weekend(day));
            day = day.previous_day().unwrap_or(day);
        }
        let off = self
            .holidays
            .range(from..=to)
            .filter(|h| !self.is_weekend(**h))
            .count() as i64;
        let on = self
            .working
            .range(from..=to)
            .filter(|w| self.is_weekend(**w) && !self.holidays.contains(w))
            .count() as i64;
        count - off + on
    }

    /// The `n`th working day after `date` (not counted). Jumps whole weeks while far from
    /// the end, so a huge `n` costs like a small one: it reaches the supported years' end
    /// (`None`) at once instead of walking millions of days.
    fn nth_working_day_after(&self, mut date: Date, n: u32) -> Option<Date> {
        if !self.has_working_weekday() {
            return None;
        }
        let per_week = self.weekend.iter().filter(|weekend| !**weekend).count() as i64;
        let mut remaining = i64::from(n);
        let mut weeks = remaining / per_week - 1;
        while weeks >= 1 {
            let target = date.checked_add(Duration::weeks(weeks))?;
            let count = self.working_days_in(date.next_day()?, target);
            if count >= remaining {
                // Decreed working days overshot: land shorter.
                weeks /= 2;
                continue;
            }
            date = target;
            remaining -= count;
            weeks = remaining / per_week - 1;
        }
        for _ in 0..remaining {
            date = self.next_working_day_from(date.next_day()?)?;
        }
        Some(date)
    }

    /// The `n`th working day before `date` (not counted); the mirror of
    /// [`Calendar::nth_working_day_after`].
    fn nth_working_day_before(&self, mut date: Date, n: u32) -> Option<Date> {
        if !self.has_working_weekday() {
            return None;
        }
        let per_week = self.weekend.iter().filter(|weekend| !**weekend).count() as i64;
        let mut remaining = i64::from(n);
        let mut weeks = remaining / per_week - 1;
        while weeks >= 1 {
            let target = date.checked_sub(Duration::weeks(weeks))?;
            let count = self.working_days_in(target, date.previous_day()?);
            if count >= remaining {
                weeks /= 2;
                continue;
            }
            date = target;
            remaining -= count;
            weeks = remaining / per_week - 1;
        }
        for _ in 0..remaining {
            date = date.previous_day()?;
            // Terminates: each week has a working weekday and holidays are finitely many.
            while !self.is_working_day(date) {
                date = date.previous_day()?;
            }
        }
        Some(date)
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
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let friday = Timestamp::parse("2021-05-07 08:00", UtcOffset::UTC).unwrap();
    /// let due = calendar.add_working_days(friday, 2).unwrap();
    /// assert_eq!(due.to_short(UtcOffset::UTC), "2021-05-11 17:00");
    /// ```
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        let (date, _) = start.local(self.offset)?;
        let date = if n == 0 {
            // "Within the day": the start day itself, or the next working day.
            self.next_working_day_from(date)?
        } else {
            self.nth_working_day_after(date, n)?
        };
        Some(Timestamp::from_local(date, self.day_end, self.offset))
    }

    /// The end of `n` working days of work begun at `start`: the local day of `start`
    /// counts as the first when it is a working day and `start` is before its day end;
    /// the result is the last day's end. Zero days end at `start`.
    ///
    /// Unlike a deadline ([`Calendar::add_working_days`], where the start day is not
    /// counted), this measures effort, so a day's work can start the day it arrives.
    /// Returns `None` only beyond the supported years or when no weekday is a working day.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let friday = Timestamp::parse("2021-05-07 08:00", UtcOffset::UTC).unwrap();
    /// assert_eq!(calendar.work_days(friday, 1).unwrap().to_short(UtcOffset::UTC), "2021-05-07 17:00");
    /// // Begun at the day's end, the work starts on the next working day.
    /// let evening = Timestamp::parse("2021-05-07 17:00", UtcOffset::UTC).unwrap();
    /// assert_eq!(calendar.work_days(evening, 1).unwrap().to_short(UtcOffset::UTC), "2021-05-10 17:00");
    /// ```
    pub fn work_days(&self, start: Timestamp, n: u32) -> Option<Timestamp> {
        if n == 0 {
            return Some(start);
        }
        let (date, time) = start.local(self.offset)?;
        let first = if time < self.day_end {
            date
        } else {
            date.next_day()?
        };
        let date = self.next_working_day_from(first)?;
        let date = self.nth_working_day_after(date, n - 1)?;
        Some(Timestamp::from_local(date, self.day_end, self.offset))
    }

    /// The same local clock time as `at`, `n` working days before its day: a deadline
    /// derived from a later one. `n = 0` is `at` itself.
    ///
    /// Returns `None` only beyond the supported years or when no weekday is a working day.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
    /// let calendar = Calendar::new(UtcOffset::UTC);
    /// let tuesday = Timestamp::parse("2021-05-11 17:00", UtcOffset::UTC).unwrap();
    /// // Two working days back skips the weekend: Friday 07/05.
    /// let due = calendar.working_days_before(tuesday, 2).unwrap();
    /// assert_eq!(due.to_short(UtcOffset::UTC), "2021-05-07 17:00");
    /// ```
    pub fn working_days_before(&self, at: Timestamp, n: u32) -> Option<Timestamp> {
        if n == 0 {
            return Some(at);
        }
        let (date, time) = at.local(self.offset)?;
        let date = self.nth_working_day_before(date, n)?;
        Some(Timestamp::from_local(date, time, self.offset))
    }

    /// `n` calendar days after the local day of `start`, at the day's end; a deadline on
    /// a non-working day moves to the next working day.
    ///
    /// ```
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
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
    /// # use directrix_core::{time::Calendar, Timestamp, time::UtcOffset};
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The day-by-day walk the week jumps must agree with.
    fn walk_after(calendar: &Calendar, mut date: Date, n: u32) -> Option<Date> {
        for _ in 0..n {
            date = calendar.next_working_day_from(date.next_day()?)?;
        }
        Some(date)
    }

    fn walk_before(calendar: &Calendar, mut date: Date, n: u32) -> Option<Date> {
        for _ in 0..n {
            date = date.previous_day()?;
            while !calendar.is_working_day(date) {
                date = date.previous_day()?;
            }
        }
        Some(date)
    }

    fn calendar(weekend: [bool; 7], holidays: &[i64], working: &[i64]) -> Calendar {
        let base = time::macros::date!(2024 - 01 - 01);
        let day = |offset: &i64| base + Duration::days(*offset);
        Calendar::from_parts(
            UtcOffset::UTC,
            weekend,
            holidays.iter().map(day).collect(),
            working.iter().map(day).collect(),
            Time::MIDNIGHT,
        )
    }

    proptest! {
        #[test]
        fn week_jumps_agree_with_walking_day_by_day(
            weekend in prop::array::uniform7(prop::bool::weighted(0.3)),
            holidays in prop::collection::vec(0i64..900, 0..120),
            working in prop::collection::vec(0i64..900, 0..40),
            start in 0i64..700,
            n in 0u32..400,
        ) {
            let calendar = calendar(weekend, &holidays, &working);
            let date = time::macros::date!(2024 - 01 - 01) + Duration::days(start);
            prop_assert_eq!(
                calendar.nth_working_day_after(date, n),
                if calendar.has_working_weekday() { walk_after(&calendar, date, n) } else { None }
            );
            prop_assert_eq!(
                calendar.nth_working_day_before(date, n),
                if calendar.has_working_weekday() { walk_before(&calendar, date, n) } else { None }
            );
        }
    }

    #[test]
    fn a_count_past_the_supported_years_ends_at_once() {
        let calendar = calendar([false, false, false, false, false, true, true], &[], &[]);
        let date = time::macros::date!(2024 - 01 - 01);
        // Four billion working days: past year 9999, found without walking them.
        assert_eq!(calendar.nth_working_day_after(date, 4_000_000_000), None);
        assert_eq!(calendar.nth_working_day_before(date, 4_000_000_000), None);
        assert!(calendar.nth_working_day_after(date, 2_000_000).is_some());
    }
}
