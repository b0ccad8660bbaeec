//! UTC calendar dates from Unix seconds, without a date library: the pages show dates,
//! and bulk-download names carry them (SecureDrop's `YYYY-MM-DD--HH-MM-SS`).

/// A UTC date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
}

impl UtcDateTime {
    /// The UTC date and time of `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's days-from-civil inverse (proleptic Gregorian).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DD HH:MM UTC`, for pages.
    pub fn display(&self) -> String {
        format!("{} {:02}:{:02} UTC", self.date(), self.hour, self.minute)
    }

    /// `YYYY-MM-DDTHH:MM:SS.000000Z`, the journalist API's timestamps (SecureDrop's
    /// `%Y-%m-%dT%H:%M:%S.%fZ`; we keep whole seconds).
    pub fn api_timestamp(&self) -> String {
        format!("{}T{:02}:{:02}:{:02}.000000Z", self.date(), self.hour, self.minute, self.second)
    }

    /// `YYYY-MM-DD--HH-MM-SS`, for file names.
    pub fn file_stamp(&self) -> String {
        format!("{}--{:02}-{:02}-{:02}", self.date(), self.hour, self.minute, self.second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(UtcDateTime::from_unix(0).file_stamp(), "1970-01-01--00-00-00");
        assert_eq!(UtcDateTime::from_unix(1_368_507_600).display(), "2013-05-14 05:00 UTC");
        assert_eq!(UtcDateTime::from_unix(951_782_400).date(), "2000-02-29");
        assert_eq!(UtcDateTime::from_unix(1_795_737_599).file_stamp(), "2026-11-26--23-59-59");
        assert_eq!(UtcDateTime::from_unix(-1).file_stamp(), "1969-12-31--23-59-59");
        assert_eq!(UtcDateTime::from_unix(1_729_693_233).api_timestamp(), "2024-10-23T14:20:33.000000Z");
    }
}
