//! The arrival process at the entry layer (herds: [`super::herd`]).
//!
//! # How arrivals are drawn
//! The rate is a step function of time, constant within each second (the second's
//! rate is the model's curve evaluated at its start). Within a step arrivals are
//! Poisson; a gap that would cross into the next step is discarded and redrawn from
//! the step boundary at the new rate, which by memorylessness is exact for a
//! piecewise-constant rate. No thinning, so bursts cost nothing extra.
//!
//! The curve: `rate` × the daily shape (a cosine between `trough_ratio` and 1 peaking
//! at `peak_hour`, × `weekend_factor` on Saturdays and Sundays), replaced by the
//! `points` table from its first point on, × the factor of every burst in progress.

use rand::RngExt;

use crate::engine::{SimDuration, SimRng, SimTime};
use crate::scenario::traffic::{DailyShape, TrafficSpec};

/// Length of a constant-rate step.
const STEP: SimDuration = SimDuration::from_secs(1);

/// The entry rate as a function of time.
#[derive(Debug, Clone)]
pub(crate) struct TrafficCurve {
    base_per_second: f64,
    shape: Option<DailyShape>,
    points: Vec<(SimTime, f64)>,
    bursts: Vec<(SimTime, SimTime, f64)>,
    /// The rate of the last step asked for: `(step start in ns, rate)`.
    last_step: (u64, f64),
    /// Share of the arrivals drawn (fast mode draws one in `m`; 1 otherwise).
    thinning: f64,
}

impl TrafficCurve {
    pub(crate) fn new(spec: &TrafficSpec) -> Self {
        let mut points: Vec<(SimTime, f64)> = spec
            .points
            .iter()
            .map(|p| (SimTime::ZERO + p.at, p.rate.per_second()))
            .collect();
        points.sort_by_key(|p| p.0);
        TrafficCurve {
            base_per_second: spec.rate.per_second(),
            shape: spec.shape.clone(),
            points,
            bursts: spec
                .bursts
                .iter()
                .map(|b| {
                    (
                        SimTime::ZERO + b.at,
                        SimTime::ZERO + b.at + b.duration,
                        b.factor,
                    )
                })
                .collect(),
            last_step: (u64::MAX, 0.0),
            thinning: 1.0,
        }
    }

    /// Draws one arrival in `step` (fast mode: each stands for `step`).
    pub(crate) fn sample_one_in(&mut self, step: u32) {
        self.thinning = 1.0 / f64::from(step.max(1));
        self.last_step = (u64::MAX, 0.0);
    }

    /// Arrivals per second at `now`.
    pub(crate) fn rate_at(&self, now: SimTime) -> f64 {
        let from_table = self
            .points
            .iter()
            .take_while(|(at, _)| *at <= now)
            .last()
            .map(|(_, rate)| *rate);
        let mut rate = match (from_table, &self.shape) {
            (Some(rate), _) => rate,
            (None, Some(shape)) => self.base_per_second * shape_factor(shape, now),
            (None, None) => self.base_per_second,
        };
        for (from, until, factor) in &self.bursts {
            if *from <= now && now < *until {
                rate *= factor;
            }
        }
        rate
    }

    /// The next arrival after `now`, or `None` if it would fall at or after `end`.
    pub(crate) fn next_arrival(
        &mut self,
        mut now: SimTime,
        end: SimTime,
        rng: &mut SimRng,
    ) -> Option<SimTime> {
        while now < end {
            let step_start = now.as_nanos() - now.as_nanos() % STEP.as_nanos();
            let step_end = SimTime::from_nanos(step_start + STEP.as_nanos());
            let rate = match self.last_step {
                (cached, rate) if cached == step_start => rate,
                _ => {
                    let rate = self.rate_at(SimTime::from_nanos(step_start)) * self.thinning;
                    self.last_step = (step_start, rate);
                    rate
                }
            };
            if rate > 0.0 {
                let unit: f64 = rng.random::<f64>();
                let gap_secs = -(1.0 - unit).ln() / rate;
                let at = now + SimDuration::from_secs_f64(gap_secs);
                if at < step_end {
                    return (at < end).then_some(at);
                }
            }
            now = step_end;
        }
        None
    }
}

/// The daily shape's multiplier at `now`: in (0, 1] on weekdays, × the weekend factor.
pub fn shape_factor(shape: &DailyShape, now: SimTime) -> f64 {
    let hours = shape.start + now.as_secs_f64() / 3600.0;
    let hour_of_day = hours.rem_euclid(24.0);
    let day_of_week = (hours / 24.0).floor().rem_euclid(7.0) as u32; // 0 = Monday
    let phase = std::f64::consts::TAU * (hour_of_day - shape.peak_hour) / 24.0;
    let daily = shape.trough_ratio + (1.0 - shape.trough_ratio) * (1.0 + phase.cos()) / 2.0;
    if day_of_week >= 5 {
        daily * shape.weekend_factor
    } else {
        daily
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn spec(text: &str) -> TrafficSpec {
        toml::from_str(text).expect("a valid traffic section")
    }

    #[test]
    fn the_daily_shape_peaks_at_the_peak_hour_and_bottoms_twelve_hours_later() {
        let shape = DailyShape {
            peak_hour: 20.0,
            trough_ratio: 0.35,
            weekend_factor: 1.25,
            start: 0.0,
        };
        let at_hour = |h: u64| SimTime::ZERO + SimDuration::from_hours(h);
        assert!((shape_factor(&shape, at_hour(20)) - 1.0).abs() < 1e-12);
        assert!((shape_factor(&shape, at_hour(8)) - 0.35).abs() < 1e-12);
        // Saturday 20:00 is 5 days and 20 hours after Monday 00:00.
        assert!((shape_factor(&shape, at_hour(5 * 24 + 20)) - 1.25).abs() < 1e-12);
    }

    #[test]
    fn points_replace_the_base_rate_and_bursts_multiply_it() {
        let curve = TrafficCurve::new(&spec(
            r#"rate = "100/s"
               points = [{ at = "10s", rate = "50/s" }]
               bursts = [{ at = "5s", duration = "10s", factor = 3.0 }]"#,
        ));
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        assert_eq!(curve.rate_at(at(0)), 100.0);
        assert_eq!(curve.rate_at(at(5)), 300.0);
        assert_eq!(curve.rate_at(at(10)), 150.0);
        assert_eq!(curve.rate_at(at(15)), 50.0);
    }

    #[test]
    fn arrivals_follow_a_rate_that_changes_between_steps() {
        let mut curve = TrafficCurve::new(&spec(
            r#"rate = "1000/s"
               points = [{ at = "100s", rate = "4000/s" }]"#,
        ));
        let mut rng = RngStreams::new(7).stream("test");
        let end = SimTime::ZERO + SimDuration::from_secs(200);
        let (mut now, mut before, mut after) = (SimTime::ZERO, 0u64, 0u64);
        while let Some(at) = curve.next_arrival(now, end, &mut rng) {
            assert!(at >= now && at < end);
            if at < SimTime::ZERO + SimDuration::from_secs(100) {
                before += 1;
            } else {
                after += 1;
            }
            now = at;
        }
        // Poisson counts: 100 000 ± 316 and 400 000 ± 632; allow 4 sigma.
        assert!(before.abs_diff(100_000) < 1_300, "{before}");
        assert!(after.abs_diff(400_000) < 2_600, "{after}");
    }
}
