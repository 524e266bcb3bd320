//! A calendar date without a time zone, as written in `expires = 2026-12-31`.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day of the proleptic Gregorian calendar, years 0000 to 9999.
///
/// Ordered chronologically, displayed and parsed as `YYYY-MM-DD`. Parsing is strict: exactly
/// four, two and two digits, a month from 01 to 12 and a day that exists in that month
/// (`2024-02-29` is a date, `2026-02-29` is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a string is not a [`Date`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("`{0}` is not a date of the form YYYY-MM-DD")]
    Format(String),
    /// The month is not 01 to 12.
    #[error("`{0}` is not a valid date: there is no month {1:02}")]
    Month(String, u8),
    /// The day does not exist in that month.
    #[error("`{text}` is not a valid date: {month_name} {year} has {days} days")]
    Day {
        /// The text given.
        text: String,
        /// The year given.
        year: u16,
        /// The English name of the month given.
        month_name: &'static str,
        /// How many days that month has in that year.
        days: u8,
    },
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Whether `year` is a leap year of the Gregorian calendar.
const fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of `month` (1 to 12) in `year`; 0 for a month that does not exist.
const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date `year-month-day`, or `None` if it does not exist or the year is above 9999.
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year > 9999 || day == 0 || day > days_in_month(year, month) {
            None
        } else {
            Some(Date { year, month, day })
        }
    }

    /// The year (0 to 9999).
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month (1 to 12).
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1 to 31).
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The date `days` days after 1970-01-01 (negative: before), or `None` outside years 0000
    /// to 9999.
    ///
    /// This is Howard Hinnant's `civil_from_days`.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        // Shift the epoch to 0000-03-01 so that leap days fall at the end of a 400-year era.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097); // 0 ..= 146_096
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0 ..= 399
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0 ..= 365
        let shifted_month = (5 * day_of_year + 2) / 153; // 0 ..= 11, March = 0
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1; // 1 ..= 31
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// Today's date in UTC, from the system clock.
    ///
    /// A clock set before 1970 gives 1970-01-01; one set after 9999 gives 9999-12-31.
    pub fn today_utc() -> Date {
        const EPOCH: Date = Date {
            year: 1970,
            month: 1,
            day: 1,
        };
        const LAST: Date = Date {
            year: 9999,
            month: 12,
            day: 31,
        };
        let Ok(elapsed) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return EPOCH;
        };
        i64::try_from(elapsed.as_secs() / 86_400)
            .ok()
            .and_then(Date::from_unix_days)
            .unwrap_or(LAST)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = ParseDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let format_error = || ParseDateError::Format(s.to_owned());
        let bytes = s.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(format_error());
        }
        // Only ASCII digits and dashes from here on, so the slices and parses cannot fail.
        let year: u16 = s[0..4].parse().map_err(|_| format_error())?;
        let month: u8 = s[5..7].parse().map_err(|_| format_error())?;
        let day: u8 = s[8..10].parse().map_err(|_| format_error())?;
        let Some(month_name) = usize::from(month)
            .checked_sub(1)
            .and_then(|index| MONTH_NAMES.get(index))
        else {
            return Err(ParseDateError::Month(s.to_owned(), month));
        };
        Date::new(year, month, day).ok_or_else(|| ParseDateError::Day {
            text: s.to_owned(),
            year,
            month_name,
            days: days_in_month(year, month),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_displays() {
        let d = date("2026-12-31");
        assert_eq!((d.year(), d.month(), d.day()), (2026, 12, 31));
        assert_eq!(d.to_string(), "2026-12-31");
        assert_eq!(date("0001-01-01").to_string(), "0001-01-01");
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "2026-1-01",
            "2026-01-1",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00:00",
            " 2026-01-01",
            "2026-01-0a",
            "+026-01-01",
            "２０２６-01-01",
        ] {
            assert!(
                matches!(bad.parse::<Date>(), Err(ParseDateError::Format(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        assert_eq!(
            "2026-02-30".parse::<Date>().unwrap_err().to_string(),
            "`2026-02-30` is not a valid date: February 2026 has 28 days"
        );
        assert_eq!(
            "2026-13-01".parse::<Date>().unwrap_err().to_string(),
            "`2026-13-01` is not a valid date: there is no month 13"
        );
        assert!("2026-00-10".parse::<Date>().is_err());
        assert!("2026-04-31".parse::<Date>().is_err());
        assert!("2026-04-00".parse::<Date>().is_err());
        assert!("2026-01-32".parse::<Date>().is_err());
    }

    #[test]
    fn leap_years() {
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok()); // divisible by 400
        assert!("1900-02-29".parse::<Date>().is_err()); // divisible by 100 only
        assert!("2100-02-29".parse::<Date>().is_err());
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!(Date::new(2028, 2, 29).is_some());
        assert!(Date::new(2027, 2, 29).is_none());
    }

    #[test]
    fn orders_chronologically() {
        assert!(date("2026-12-31") < date("2027-01-01"));
        assert!(date("2026-02-28") < date("2026-03-01"));
        assert!(date("2026-03-09") < date("2026-03-10"));
    }

    #[test]
    fn civil_from_days() {
        assert_eq!(Date::from_unix_days(0), Some(date("1970-01-01")));
        assert_eq!(Date::from_unix_days(-1), Some(date("1969-12-31")));
        assert_eq!(Date::from_unix_days(11_016), Some(date("2000-02-29")));
        assert_eq!(Date::from_unix_days(19_782), Some(date("2024-02-29")));
        assert_eq!(Date::from_unix_days(20_453), Some(date("2025-12-31")));
        assert_eq!(Date::from_unix_days(20_454), Some(date("2026-01-01")));
        assert_eq!(Date::from_unix_days(2_932_896), Some(date("9999-12-31")));
        assert_eq!(Date::from_unix_days(2_932_897), None);
        assert_eq!(Date::from_unix_days(-719_528), Some(date("0000-01-01")));
        assert_eq!(Date::from_unix_days(-719_529), None);
        assert_eq!(Date::from_unix_days(i64::MAX), None);
        assert_eq!(Date::from_unix_days(i64::MIN), None);
        // Every day of four centuries follows the previous one.
        let mut previous = Date::from_unix_days(-1).unwrap();
        for days in 0..146_097 {
            let current = Date::from_unix_days(days).unwrap();
            assert!(previous < current);
            assert_eq!(current.to_string().parse::<Date>(), Ok(current));
            previous = current;
        }
    }

    #[test]
    fn today_is_plausible() {
        let today = Date::today_utc();
        assert!(today > date("2024-01-01"), "{today}");
        assert!(today < date("2100-01-01"), "{today}");
    }
}
