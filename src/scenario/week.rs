//! The week's clock: which day and hour a moment of the run falls on, working hours
//! ("mon-fri 09:00-17:00") and windows of the week ("fri 12:00 - mon 09:00").
//!
//! A run starts `start_hours` after Monday 00:00 (the traffic shape's `start`; 0 when
//! the model has no shape), so a moment `t` of the run is `start_hours + t` into the
//! week, modulo 168 hours. Working hours and windows are written as text in model
//! files and read here; both ask "is this moment of the week inside?", and
//! [`WorkingHours::intervals`] lists the stretches of a run they cover, for drawing
//! release times in them.

use std::fmt;
use std::str::FromStr;

use crate::engine::{SimDuration, SimTime};

/// Minutes in a week.
const WEEK_MINUTES: u32 = 7 * 24 * 60;

/// The days' names, Monday first, as model files write them.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The minute of the week (0 = Monday 00:00) of moment `t` of a run that starts
/// `start_hours` after Monday 00:00.
pub(crate) fn minute_of_week(start_hours: f64, t: SimTime) -> u32 {
    let minutes = start_hours * 60.0 + t.as_secs_f64() / 60.0;
    (minutes.floor() as i64).rem_euclid(i64::from(WEEK_MINUTES)) as u32
}

/// Hours into the week, from a week minute.
fn day_of(minute: u32) -> usize {
    (minute / (24 * 60)) as usize
}

/// When someone works: a set of days and, on each, one stretch of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    /// Days worked, Monday first.
    pub days: [bool; 7],
    /// First minute of the day worked.
    pub from_minute: u32,
    /// First minute of the day no longer worked (after `from_minute`).
    pub to_minute: u32,
}

impl WorkingHours {
    /// Monday to Friday, 09:00 to 17:00: an office week.
    pub fn office() -> WorkingHours {
        WorkingHours {
            days: [true, true, true, true, true, false, false],
            from_minute: 9 * 60,
            to_minute: 17 * 60,
        }
    }

    /// Whether week minute `minute` is worked.
    pub(crate) fn contains_minute(&self, minute: u32) -> bool {
        let day = day_of(minute);
        let of_day = minute % (24 * 60);
        self.days[day] && (self.from_minute..self.to_minute).contains(&of_day)
    }

    /// Whether moment `t` of a run starting `start_hours` after Monday 00:00 is worked.
    pub(crate) fn contains(&self, start_hours: f64, t: SimTime) -> bool {
        self.contains_minute(minute_of_week(start_hours, t))
    }

    /// Worked time per worked day.
    pub fn day_length(&self) -> SimDuration {
        SimDuration::from_mins(u64::from(self.to_minute - self.from_minute))
    }

    /// The worked stretches of a run of `duration` starting `start_hours` after Monday
    /// 00:00, in order, as `[from, to)` moments of the run (cut at the run's ends).
    pub(crate) fn intervals(
        &self,
        start_hours: f64,
        duration: SimDuration,
    ) -> Vec<(SimTime, SimTime)> {
        let end = SimTime::ZERO + duration;
        let start_minutes = start_hours * 60.0;
        // The run's moment of week minute `m` of week `w` (weeks counted from the one
        // the run starts in).
        let at = |w: i64, m: u32| -> f64 {
            (w as f64 * f64::from(WEEK_MINUTES) + f64::from(m) - start_minutes) * 60.0
        };
        let weeks = (start_minutes + duration.as_secs_f64() / 60.0) / f64::from(WEEK_MINUTES);
        let mut out = Vec::new();
        for w in 0..=(weeks.ceil() as i64) {
            for (d, worked) in self.days.iter().enumerate() {
                if !worked {
                    continue;
                }
                let day = d as u32 * 24 * 60;
                let from = at(w, day + self.from_minute).max(0.0);
                let to = at(w, day + self.to_minute).min(end.as_secs_f64());
                if to > from {
                    out.push((
                        SimTime::ZERO + SimDuration::from_secs_f64(from),
                        SimTime::ZERO + SimDuration::from_secs_f64(to),
                    ));
                }
            }
        }
        out
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours::office()
    }
}

/// Reads "HH:MM" (00:00 to 24:00) as minutes of the day.
fn clock(text: &str) -> Result<u32, String> {
    let bad = || format!("{text:?} is not a time of day; write HH:MM, e.g. 09:00 or 17:30");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Reads a day's name ("mon" … "sun", or the whole name, any case) as 0 (Monday) to 6.
fn day(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|d| lower.len() >= 3 && (lower.starts_with(d) && full_day(d).starts_with(&lower)))
        .ok_or_else(|| format!("{text:?} is not a day; write mon, tue, wed, thu, fri, sat or sun"))
}

fn full_day(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

impl FromStr for WorkingHours {
    type Err = String;

    /// "mon-fri 09:00-17:00", "mon,wed,fri 10:00-16:00", "every day 00:00-24:00".
    fn from_str(text: &str) -> Result<Self, String> {
        let usage = "write days then hours, e.g. \"mon-fri 09:00-17:00\", \"mon,wed 10:00-16:00\" or \"every day 08:00-20:00\"";
        let text = text.trim();
        let (days_text, hours_text) = text
            .rsplit_once(' ')
            .ok_or_else(|| format!("{text:?}: {usage}"))?;
        let mut days = [false; 7];
        let days_text = days_text.trim();
        let day = |d: &str| day(d).map_err(|e| format!("{text:?}: {e}; {usage}"));
        if days_text.eq_ignore_ascii_case("every day") || days_text.eq_ignore_ascii_case("daily") {
            days = [true; 7];
        } else {
            for part in days_text.split(',') {
                match part.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (day(a)?, day(b)?);
                        let mut d = a;
                        loop {
                            days[d] = true;
                            if d == b {
                                break;
                            }
                            d = (d + 1) % 7;
                        }
                    }
                    None => days[day(part)?] = true,
                }
            }
        }
        let (from, to) = hours_text
            .split_once('-')
            .ok_or_else(|| format!("{text:?}: {usage}"))?;
        let (from_minute, to_minute) = (clock(from)?, clock(to)?);
        if to_minute <= from_minute {
            return Err(format!(
                "{text:?}: the hours must end after they begin on the same day ({hours_text})"
            ));
        }
        Ok(WorkingHours {
            days,
            from_minute,
            to_minute,
        })
    }
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = DAYS
            .iter()
            .zip(self.days)
            .filter_map(|(d, on)| on.then_some(*d))
            .collect();
        let days = match days.as_slice() {
            all if all.len() == 7 => "every day".to_string(),
            ["mon", "tue", "wed", "thu", "fri"] => "mon-fri".to_string(),
            some => some.join(","),
        };
        write!(
            f,
            "{days} {:02}:{:02}-{:02}:{:02}",
            self.from_minute / 60,
            self.from_minute % 60,
            self.to_minute / 60,
            self.to_minute % 60
        )
    }
}

/// A stretch of the week, from a day and time to a day and time (it may wrap past
/// Sunday midnight): "fri 12:00 - mon 09:00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekWindow {
    /// First week minute inside.
    pub from_minute: u32,
    /// First week minute after it.
    pub to_minute: u32,
}

impl WeekWindow {
    /// Whether week minute `minute` is inside.
    pub(crate) fn contains_minute(&self, minute: u32) -> bool {
        if self.from_minute <= self.to_minute {
            (self.from_minute..self.to_minute).contains(&minute)
        } else {
            minute >= self.from_minute || minute < self.to_minute
        }
    }

    /// When the window that holds moment `t` (of a run starting `start_hours` after
    /// Monday 00:00) ends, or `None` when `t` is outside it.
    pub(crate) fn end_after(&self, start_hours: f64, t: SimTime) -> Option<SimTime> {
        let minute = minute_of_week(start_hours, t);
        if !self.contains_minute(minute) {
            return None;
        }
        let left = (self.to_minute + WEEK_MINUTES - minute) % WEEK_MINUTES;
        let left = if left == 0 { WEEK_MINUTES } else { left };
        // Back to the start of the current minute, then forward to the window's end.
        let into_minute = (start_hours * 3600.0 + t.as_secs_f64()).rem_euclid(60.0);
        let secs = f64::from(left) * 60.0 - into_minute;
        Some(t + SimDuration::from_secs_f64(secs.max(1e-9)))
    }
}

/// Reads "DAY HH:MM" as a week minute.
fn week_minute(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (d, c) = text.split_once(' ').ok_or_else(|| {
        format!("{text:?} is not a moment of the week; write a day and a time, e.g. \"fri 12:00\"")
    })?;
    let minute = day(d)? as u32 * 24 * 60 + clock(c)?;
    Ok(minute % WEEK_MINUTES)
}

impl FromStr for WeekWindow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (from, to) = text.split_once(" - ").ok_or_else(|| {
            format!(
                "{text:?}: write a window of the week as \"DAY HH:MM - DAY HH:MM\", e.g. \"fri 12:00 - mon 09:00\""
            )
        })?;
        let window = WeekWindow {
            from_minute: week_minute(from)?,
            to_minute: week_minute(to)?,
        };
        if window.from_minute == window.to_minute {
            return Err(format!(
                "{text:?}: the window is empty (it ends where it begins)"
            ));
        }
        Ok(window)
    }
}

impl fmt::Display for WeekWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |m: u32| {
            let of_day = m % (24 * 60);
            format!("{} {:02}:{:02}", DAYS[day_of(m)], of_day / 60, of_day % 60)
        };
        write!(f, "{} - {}", show(self.from_minute), show(self.to_minute))
    }
}

macro_rules! text_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

text_serde!(WorkingHours);
text_serde!(WeekWindow);

#[cfg(test)]
mod tests {
    use super::*;

    fn at_hours(h: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(h * 3600.0)
    }

    #[test]
    fn working_hours_read_days_and_hours() {
        let office: WorkingHours = "mon-fri 09:00-17:00".parse().unwrap();
        assert_eq!(office, WorkingHours::office());
        assert_eq!(office.to_string(), "mon-fri 09:00-17:00");
        let wrapped: WorkingHours = "fri-mon 10:00-12:00".parse().unwrap();
        assert_eq!(wrapped.days, [true, false, false, false, true, true, true]);
        let all: WorkingHours = "every day 00:00-24:00".parse().unwrap();
        assert_eq!(all.days, [true; 7]);
        for bad in [
            "mon-fri",
            "mon-fri 17:00-09:00",
            "mo 09:00-10:00",
            "mon 9-17",
            "mon 25:00-26:00",
        ] {
            assert!(bad.parse::<WorkingHours>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_run_starting_monday_midnight_works_weekdays_nine_to_five() {
        let office = WorkingHours::office();
        assert!(!office.contains(0.0, at_hours(8.99)));
        assert!(office.contains(0.0, at_hours(9.0)));
        assert!(!office.contains(0.0, at_hours(17.0)));
        assert!(
            office.contains(0.0, at_hours(4.0 * 24.0 + 16.5)),
            "friday afternoon"
        );
        assert!(
            !office.contains(0.0, at_hours(5.0 * 24.0 + 10.0)),
            "saturday"
        );
        // A run starting Friday 16:00 is at work for its first hour only.
        assert!(office.contains(4.0 * 24.0 + 16.0, at_hours(0.5)));
        assert!(!office.contains(4.0 * 24.0 + 16.0, at_hours(1.5)));
        let week = office.intervals(0.0, SimDuration::from_hours(24 * 7));
        assert_eq!(week.len(), 5);
        assert_eq!(week[0], (at_hours(9.0), at_hours(17.0)));
        let cut = office.intervals(12.0, SimDuration::from_hours(2));
        assert_eq!(
            cut,
            vec![(at_hours(0.0), at_hours(2.0))],
            "cut at both ends"
        );
        let two_weeks = office.intervals(100.0, SimDuration::from_hours(24 * 14));
        assert_eq!(two_weeks.len(), 10);
    }

    #[test]
    fn a_window_wraps_over_the_week_end_and_says_when_it_ends() {
        let freeze: WeekWindow = "fri 12:00 - mon 09:00".parse().unwrap();
        assert_eq!(freeze.to_string(), "fri 12:00 - mon 09:00");
        assert!(freeze.contains_minute(week_minute("sat 03:00").unwrap()));
        assert!(freeze.contains_minute(week_minute("mon 08:59").unwrap()));
        assert!(!freeze.contains_minute(week_minute("mon 09:00").unwrap()));
        assert!(!freeze.contains_minute(week_minute("fri 11:59").unwrap()));
        let friday_one_pm = at_hours(4.0 * 24.0 + 13.0);
        assert_eq!(
            freeze.end_after(0.0, friday_one_pm),
            Some(at_hours(7.0 * 24.0 + 9.0))
        );
        assert_eq!(freeze.end_after(0.0, at_hours(10.0)), None);
        assert!("fri 12:00 - fri 12:00".parse::<WeekWindow>().is_err());
        assert!("fri 12:00 mon 09:00".parse::<WeekWindow>().is_err());
    }
}
