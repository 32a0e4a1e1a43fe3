//! Clock times of a centre's day, written `HH:MM`.

use time::Time;

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
    fn clock_times_round_trip_and_refuse_nonsense() {
        let closing = parse_clock_time("18:05").unwrap();
        assert_eq!(clock_time(closing), "18:05");
        for bad in ["24:00", "7:00", "18:5", "18-00", "", "ab:cd", "+1:00"] {
            assert_eq!(parse_clock_time(bad), None, "{bad}");
        }
    }
}
