//! A long simulation must not hold more state than a short one at the same load:
//! arenas, the event queue and timers are bounded by requests in flight; only the
//! per-second series grows with simulated time, by a small constant per second.

use std::path::Path;

use rollsim::engine::{SimDuration, SimTime};
use rollsim::model::World;
use rollsim::scenario;

#[test]
fn state_is_bounded_by_requests_in_flight_not_by_simulated_time() {
    // The quickstart model with Chaos Monkey on, so instances come and go.
    let source = include_str!("../models/quickstart.toml")
        .replace("duration = \"10m\"", "duration = \"2h\"")
        + "\n[chaos]\nkills = [{ layer = \"backend\", rate = \"6/h\" }]\n";
    let model = scenario::parse(&source, Path::new("quickstart.toml")).expect("valid");
    let mut world = World::new(&model);
    world.run_until(SimTime::ZERO + SimDuration::from_mins(15));
    let early = world.footprint();
    world.run();
    let late = world.footprint();
    println!("after 15 min: {early:?}\nafter 2 h:    {late:?}");
    // High-water marks may creep up with a rare burst, but not with time (8× longer).
    assert!(late.call_slots <= early.call_slots * 2, "calls");
    assert!(late.job_slots <= early.job_slots * 2, "jobs");
    assert!(
        late.pending_events <= early.pending_events * 2 + 16,
        "events"
    );
    // Callers' timers wait in a FIFO per layer; those already answered are dropped when
    // they reach its front, so it holds at most about two timeout lengths of attempts
    // (edge 200/s × 2 s + backend 200/s × 500 ms = 500), at any time.
    assert!(
        early.pending_timeouts <= 1_000 && late.pending_timeouts <= 1_000,
        "timers"
    );
    // One record per instance ever launched: the starting 8 plus replacements.
    assert!(late.instance_records < 8 + 40, "{}", late.instance_records);
    // The series grows linearly, and compactly: under 2 KiB per simulated second.
    let per_second = late.series_bytes as f64 / 7200.0;
    assert!(
        per_second < 2048.0,
        "{per_second} bytes per simulated second"
    );
}
