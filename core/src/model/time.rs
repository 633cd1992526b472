//! Time as the engine sees it: whole seconds since the Unix epoch, UTC.
//!
//! An `i64` of seconds is exact, `Copy`, totally ordered, cheap to compare on the hot path,
//! identical on every target (wasm32 has no `std::time::Instant`), and serialises as a plain
//! number. Directives never need sub-second precision. Local times (the calendar's UTC
//! offset) exist only at the edges: parsing the file and formatting output.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An instant: seconds since 1970-01-01T00:00:00Z.
///
/// ```
/// use directrix_core::{Timestamp, time::UtcOffset};
/// let t = Timestamp::parse("2021-05-07T08:00:00+07:00", UtcOffset::UTC).unwrap();
/// assert_eq!(t.as_seconds(), 1_620_349_200);
/// let hanoi = UtcOffset::from_hms(7, 0, 0).unwrap();
/// assert_eq!(t.to_rfc3339(hanoi), "2021-05-07T08:00:00+07:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// A signed span of time in whole seconds.
///
/// ```
/// use directrix_core::Span;
/// assert_eq!(Span::parse("1d 2h").unwrap().as_seconds(), 93_600);
/// assert_eq!(Span::parse("-30m").unwrap().as_seconds(), -1_800);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Span(i64);

/// Why a time, date or duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not a time in any accepted form.
    #[error(
        "`{0}` is not a valid time (write RFC 3339 such as `2021-05-07T08:00:00+07:00`, or local `2021-05-07 08:00`)"
    )]
    Time(String),
    /// Not a `YYYY-MM-DD` date.
    #[error("`{0}` is not a valid date (write `YYYY-MM-DD`, such as `2021-05-07`)")]
    Date(String),
    /// Not an `HH:MM` clock time.
    #[error("`{0}` is not a valid clock time (write `HH:MM`, such as `16:00`)")]
    ClockTime(String),
    /// Not a duration.
    #[error("`{0}` is not a valid duration (write such as `2d`, `36h`, `1h 30m`, or `-1d`)")]
    Span(String),
    /// Not a UTC offset.
    #[error(
        "`{0}` is not a valid UTC offset (write one from `-12:00` to `+14:00`, such as `+07:00`)"
    )]
    Offset(String),
    /// The result falls outside the representable range, [`Timestamp::MIN`] to
    /// [`Timestamp::MAX`].
    #[error(
        "time out of range (from 0000-01-01 to 9999-12-31 in every UTC offset, that is from 0000-01-01T12:00:00Z to 9999-12-31T09:59:59Z, are supported)"
    )]
    OutOfRange,
}

impl Timestamp {
    /// The earliest representable instant, `0000-01-01T00:00:00-12:00`
    /// (`0000-01-01T12:00:00Z`).
    ///
    /// Every time that enters directrix (a file, a scenario, an act, an advance, a
    /// restore, a snapshot, a JS number) lies from [`Timestamp::MIN`] to
    /// [`Timestamp::MAX`]: the instants whose local date is in years 0 to 9999 (what RFC 3339 writes) at
    /// every real UTC offset (-12:00 to +14:00), so each formats as RFC 3339 in any
    /// calendar and a JS number holds it exactly. Outside it is
    /// [`TimeError::OutOfRange`], or the engine's `invalid_time`.
    ///
    /// ```
    /// # use directrix_core::{Timestamp, time::UtcOffset};
    /// let west = UtcOffset::from_hms(-12, 0, 0).unwrap();
    /// assert_eq!(Timestamp::MIN.to_rfc3339(west), "0000-01-01T00:00:00-12:00");
    /// ```
    pub const MIN: Self = Self(-62_167_219_200 + 12 * 3600);

    /// The latest representable instant, `9999-12-31T23:59:59+14:00`
    /// (`9999-12-31T09:59:59Z`); see [`Timestamp::MIN`].
    ///
    /// ```
    /// # use directrix_core::{Timestamp, time::UtcOffset};
    /// let east = UtcOffset::from_hms(14, 0, 0).unwrap();
    /// assert_eq!(Timestamp::MAX.to_rfc3339(east), "9999-12-31T23:59:59+14:00");
    /// ```
    pub const MAX: Self = Self(253_402_300_799 - 14 * 3600);

    /// The instant `seconds` after the Unix epoch, if it is in the representable range.
    ///
    /// # Errors
    /// [`TimeError::OutOfRange`] before [`Timestamp::MIN`] or after [`Timestamp::MAX`].
    ///
    /// ```
    /// # use directrix_core::Timestamp;
    /// assert_eq!(Timestamp::checked(60).unwrap().as_seconds(), 60);
    /// assert!(Timestamp::checked(i64::MAX).is_err());
    /// ```
    pub const fn checked(seconds: i64) -> Result<Self, TimeError> {
        let t = Self(seconds);
        if t.in_range() {
            Ok(t)
        } else {
            Err(TimeError::OutOfRange)
        }
    }

    /// Whether the instant lies from [`Timestamp::MIN`] to [`Timestamp::MAX`].
    ///
    /// ```
    /// # use directrix_core::Timestamp;
    /// assert!(Timestamp::MAX.in_range());
    /// assert!(!Timestamp::from_seconds(Timestamp::MAX.as_seconds() + 1).in_range());
    /// ```
    pub const fn in_range(self) -> bool {
        Self::MIN.0 <= self.0 && self.0 <= Self::MAX.0
    }

    /// The instant `seconds` after the Unix epoch.
    ///
    /// ```
    /// # use directrix_core::Timestamp;
    /// assert_eq!(Timestamp::from_seconds(60).as_seconds(), 60);
    /// ```
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the Unix epoch.
    ///
    /// ```
    /// # use directrix_core::Timestamp;
    /// assert_eq!(Timestamp::from_seconds(-5).as_seconds(), -5);
    /// ```
    pub const fn as_seconds(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339, or a local `YYYY-MM-DD HH:MM[:SS]` (a `T` may replace the space)
    /// read at `local` offset.
    ///
    /// # Errors
    /// [`TimeError::Time`] when the text is neither form, [`TimeError::OutOfRange`] when
    /// the instant lies outside [`Timestamp::MIN`] to [`Timestamp::MAX`].
    ///
    /// ```
    /// # use directrix_core::{Timestamp, time::UtcOffset};
    /// let hanoi = UtcOffset::from_hms(7, 0, 0).unwrap();
    /// let a = Timestamp::parse("2021-05-06 12:00", hanoi).unwrap();
    /// let b = Timestamp::parse("2021-05-06T05:00:00Z", hanoi).unwrap();
    /// assert_eq!(a, b);
    /// assert!(Timestamp::parse("6 May", hanoi).is_err());
    /// ```
    pub fn parse(text: &str, local: UtcOffset) -> Result<Self, TimeError> {
        let text = text.trim();
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Self::checked(t.unix_timestamp());
        }
        let err = || TimeError::Time(text.to_owned());
        // `YYYY-MM-DD HH:MM[:SS]`: completed to RFC 3339 in UTC, then moved by the offset.
        let (date, clock) = text
            .split_once([' ', 'T'])
            .filter(|(date, _)| date.len() == 10)
            .ok_or_else(err)?;
        let seconds = match clock.len() {
            5 => ":00",
            8 => "",
            _ => return Err(err()),
        };
        let utc = rfc3339(&format!("{date}T{clock}{seconds}Z")).ok_or_else(err)?;
        Self::checked(utc.unix_timestamp() - i64::from(local.whole_seconds()))
    }

    /// Formats as RFC 3339 at the given offset, e.g. `2021-05-07T08:00:00+07:00`.
    ///
    /// Instants whose local date is outside years 0 to 9999 print as raw seconds rather
    /// than fail.
    ///
    /// ```
    /// # use directrix_core::{Timestamp, time::UtcOffset};
    /// assert_eq!(Timestamp::from_seconds(0).to_rfc3339(UtcOffset::UTC), "1970-01-01T00:00:00Z");
    /// ```
    pub fn to_rfc3339(self, offset: UtcOffset) -> String {
        self.to_offset_date_time(offset)
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| format!("@{}", self.0))
    }

    /// Formats compactly for tables: `2021-05-07 08:00` at the given offset.
    ///
    /// ```
    /// # use directrix_core::{Timestamp, time::UtcOffset};
    /// assert_eq!(Timestamp::from_seconds(0).to_short(UtcOffset::UTC), "1970-01-01 00:00");
    /// ```
    pub fn to_short(self, offset: UtcOffset) -> String {
        match self.to_offset_date_time(offset) {
            Some(t) => format!("{} {:02}:{:02}", date_text(t.date()), t.hour(), t.minute()),
            None => format!("@{}", self.0),
        }
    }

    /// `None` beyond the supported years, in UTC or at `offset` (`to_offset` would panic
    /// on an instant whose local date crosses year 9999; found by fuzzing).
    pub(crate) fn to_offset_date_time(self, offset: UtcOffset) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.checked_to_offset(offset))
    }

    /// The local date and clock time at `offset`.
    pub(crate) fn local(self, offset: UtcOffset) -> Option<(Date, Time)> {
        self.to_offset_date_time(offset)
            .map(|t| (t.date(), t.time()))
    }

    /// The instant of a local date and clock time.
    pub(crate) fn from_local(date: Date, time: Time, offset: UtcOffset) -> Self {
        Self(
            PrimitiveDateTime::new(date, time)
                .assume_offset(offset)
                .unix_timestamp(),
        )
    }

    /// `self + span`, saturating at the ends of `i64`.
    ///
    /// ```
    /// # use directrix_core::{Timestamp, Span};
    /// let t = Timestamp::from_seconds(100).saturating_add(Span::from_seconds(-40));
    /// assert_eq!(t.as_seconds(), 60);
    /// ```
    pub const fn saturating_add(self, span: Span) -> Self {
        Self(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self`.
    ///
    /// ```
    /// # use directrix_core::Timestamp;
    /// let span = Timestamp::from_seconds(90).since(Timestamp::from_seconds(30));
    /// assert_eq!(span.as_seconds(), 60);
    /// ```
    pub const fn since(self, earlier: Timestamp) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl Span {
    /// A span of `seconds`.
    ///
    /// ```
    /// # use directrix_core::Span;
    /// assert_eq!(Span::from_seconds(3600), Span::parse("1h").unwrap());
    /// ```
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// The span in seconds (negative for "before").
    ///
    /// ```
    /// # use directrix_core::Span;
    /// assert_eq!(Span::parse("2m").unwrap().as_seconds(), 120);
    /// ```
    pub const fn as_seconds(self) -> i64 {
        self.0
    }

    /// Parses `2d`, `36h`, `1h 30m`, `45min`; a leading `-` negates.
    ///
    /// # Errors
    /// [`TimeError::Span`] for anything else, or a span beyond `i64` seconds.
    ///
    /// ```
    /// # use directrix_core::Span;
    /// assert_eq!(Span::parse("-1d").unwrap().as_seconds(), -86_400);
    /// assert!(Span::parse("soon").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let trimmed = text.trim();
        let (negative, magnitude) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let err = || TimeError::Span(text.to_owned());
        // humantime rejects "0" without a unit, which is what people write for "at once".
        let parsed = if magnitude == "0" {
            std::time::Duration::ZERO
        } else {
            humantime::parse_duration(magnitude).map_err(|_| err())?
        };
        let seconds = i64::try_from(parsed.as_secs()).map_err(|_| err())?;
        Ok(Self(if negative { -seconds } else { seconds }))
    }

    /// Formats as the shortest of `2d 4h`, `36h`, `30m` forms, e.g. for messages.
    ///
    /// ```
    /// # use directrix_core::Span;
    /// assert_eq!(Span::from_seconds(93_600).to_string(), "1d 2h");
    /// assert_eq!(Span::from_seconds(-1_800).to_string(), "-30m");
    /// ```
    pub fn display(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let mut rest = self.0.unsigned_abs();
        if rest == 0 {
            return f.write_str("0s");
        }
        let mut first = true;
        for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
            let n = rest / size;
            if n > 0 {
                if !first {
                    f.write_str(" ")?;
                }
                write!(f, "{n}{unit}")?;
                first = false;
                rest %= size;
            }
        }
        Ok(())
    }
}

// The parsers below complete their text to RFC 3339 and use `time`'s RFC 3339 parser
// rather than format descriptions: its code is a fraction of the size of the generic
// format-description parser, and this code ships to browsers. RFC 3339 is as strict
// (two-digit fields, four-digit years, real days of the month); whatever follows the
// expected text makes the completed text invalid.

fn rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `YYYY-MM-DD`, as the views print dates (four-digit years, `-` before negative ones).
pub(crate) fn date_text(date: Date) -> String {
    let year = date.year();
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}",
        year.unsigned_abs(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses a `+07:00` UTC offset.
pub(crate) fn parse_offset(text: &str) -> Result<UtcOffset, TimeError> {
    // Real offsets run from -12:00 to +14:00; `time` accepts up to ±23:59.
    const REAL: std::ops::RangeInclusive<i32> = -12 * 3600..=14 * 3600;
    Some(text.trim())
        // RFC 3339 would also take `Z`; an offset here always has its sign.
        .filter(|t| t.starts_with(['+', '-']) && t.len() == 6)
        .and_then(|t| rfc3339(&format!("2000-01-01T00:00:00{t}")))
        .map(|t| t.offset())
        .filter(|offset| REAL.contains(&offset.whole_seconds()))
        .ok_or_else(|| TimeError::Offset(text.to_owned()))
}

/// Parses a `YYYY-MM-DD` date.
pub(crate) fn parse_date(text: &str) -> Result<Date, TimeError> {
    Some(text.trim())
        .filter(|t| t.len() == 10)
        .and_then(|t| rfc3339(&format!("{t}T00:00:00Z")))
        .map(|t| t.date())
        .ok_or_else(|| TimeError::Date(text.to_owned()))
}

/// Parses an `HH:MM` clock time.
pub(crate) fn parse_clock(text: &str) -> Result<Time, TimeError> {
    Some(text.trim())
        .filter(|t| t.len() == 5)
        .and_then(|t| rfc3339(&format!("2000-01-01T{t}:00Z")))
        .map(|t| t.time())
        .ok_or_else(|| TimeError::ClockTime(text.to_owned()))
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC; format with [`Timestamp::to_rfc3339`] for a local offset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339(UtcOffset::UTC))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_forms_parse_strictly() {
        let hanoi = UtcOffset::from_hms(7, 0, 0).expect("a real offset");
        assert_eq!(
            parse_date(" 2024-02-29 ").map(date_text).as_deref(),
            Ok("2024-02-29")
        );
        for bad in [
            "2023-02-29",
            "2021-5-07",
            "2021-05-7",
            "21-05-07",
            "2021-05-07x",
            "2021/05/07",
            "",
        ] {
            assert_eq!(
                parse_date(bad),
                Err(TimeError::Date(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(parse_clock("15:00").map(|t| t.hour()), Ok(15));
        for bad in ["24:00", "8:00", "08:00:30", "08:60", "08h00", "Z"] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_offset("+07:00"), Ok(hanoi));
        assert_eq!(
            parse_offset("-03:30").map(|o| o.whole_seconds()),
            Ok(-12_600)
        );
        for bad in ["Z", "07:00", "+7:00", "+15:00", "+07:00x", "+0700"] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
        let local = Timestamp::parse("2021-05-07 08:00", hanoi).expect("local form");
        assert_eq!(local.to_rfc3339(hanoi), "2021-05-07T08:00:00+07:00");
        assert_eq!(
            Timestamp::parse("2021-05-07T08:00:30", hanoi),
            Ok(local.saturating_add(Span(30)))
        );
        for bad in [
            "2021-05-07 08:00:00.5",
            "2021-05-07 8:00",
            "2021-05-07",
            "2021-05-07 08:00 +07:00",
        ] {
            assert!(Timestamp::parse(bad, hanoi).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_range_is_exactly_what_formats_in_every_real_offset() {
        let west = UtcOffset::from_hms(-12, 0, 0).expect("a real offset");
        let east = UtcOffset::from_hms(14, 0, 0).expect("a real offset");
        for offset in [west, UtcOffset::UTC, east] {
            for t in [Timestamp::MIN, Timestamp::MAX] {
                let text = t.to_rfc3339(offset);
                assert_eq!(Timestamp::parse(&text, offset), Ok(t), "{text}");
            }
        }
        let before = Timestamp(Timestamp::MIN.0 - 1);
        let after = Timestamp(Timestamp::MAX.0 + 1);
        assert!(before.to_rfc3339(west).starts_with('@'));
        assert!(after.to_rfc3339(east).starts_with('@'));
        assert_eq!(Timestamp::checked(after.0), Err(TimeError::OutOfRange));
        assert_eq!(Timestamp::checked(before.0), Err(TimeError::OutOfRange));
        // Text just outside, in an offset where it is still a valid RFC 3339 date.
        assert_eq!(
            Timestamp::parse("0000-01-01T11:59:59Z", west),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Timestamp::parse("9999-12-31 10:00", UtcOffset::UTC),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn short_form_pads_every_field() {
        let early = Timestamp::parse("0042-01-02T03:04:00Z", UtcOffset::UTC).expect("year 42");
        assert_eq!(early.to_short(UtcOffset::UTC), "0042-01-02 03:04");
        assert_eq!(
            Timestamp(i64::MAX).to_short(UtcOffset::UTC),
            format!("@{}", i64::MAX)
        );
    }
}
