//! Calendar dates and clock times of a centre's day as they are written: `YYYY-MM-DD` and
//! `HH:MM`.

use time::{Date, Time};

/// `date` as `YYYY-MM-DD` (so that the text sorts like the dates).
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses `YYYY-MM-DD`.
pub fn parse_iso_date(text: &str) -> Option<Date> {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, FORMAT).ok()
}

/// `time` as `HH:MM`.
pub fn clock_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Parses `HH:MM` (24-hour).
pub fn parse_clock_time(text: &str) -> Option<Time> {
    let (hours, minutes) = text.split_once(':')?;
    let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || !digits(minutes) {
        return None;
    }
    Time::from_hms(hours.parse().ok()?, minutes.parse().ok()?, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_refuse_nonsense() {
        let day = parse_iso_date("2026-03-09").unwrap();
        assert_eq!(iso_date(day), "2026-03-09");
        let earlier = parse_iso_date("2025-12-31").unwrap();
        assert!(
            iso_date(earlier) < iso_date(day),
            "the text sorts as the dates do"
        );
        for bad in ["2026-3-9", "2026-02-30", "26-03-09", "", "2026/03/09"] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_times_round_trip_and_refuse_nonsense() {
        let closing = parse_clock_time("18:05").unwrap();
        assert_eq!(clock_time(closing), "18:05");
        for bad in ["24:00", "7:00", "18:5", "18-00", "", "ab:cd", "+1:00"] {
            assert_eq!(parse_clock_time(bad), None, "{bad}");
        }
    }
}
