//! UTC calendar arithmetic without a time-zone database: Unix seconds to a civil date and time
//! (proleptic Gregorian, Howard Hinnant's `civil_from_days`). Used wherever the host prints a time.

/// A UTC date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Civil {
    /// The UTC civil time of `seconds` since the Unix epoch.
    pub fn from_unix(seconds: i64) -> Civil {
        let (days, rem) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil { year, month, day, hour: rem / 3600, minute: rem % 3600 / 60, second: rem % 60 }
    }
}

#[cfg(test)]
mod tests {
    use super::Civil;

    #[test]
    fn civil_dates() {
        let c = Civil::from_unix(951_782_400);
        assert_eq!((c.year, c.month, c.day, c.hour), (2000, 2, 29, 0));
        let c = Civil::from_unix(-1);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second), (1969, 12, 31, 23, 59, 59));
    }
}
