//! Walks from the newest frame given the chain an earlier one proved: they stop where the
//! chain begins, and a chain whose newest frame is not where the walk finds it (moved, in
//! the future, long ago, disordered) never changes the page. (The chain's own links are
//! what a walk proved; they are not asked again.)

use super::families::{SIM_CADENCES, sim_frames};
use super::*;

/// The timestamps a walk found, for the next walk to remember.
fn chain_of(walked: &Walked) -> Vec<EenTimestamp> {
    walked.frames.iter().map(|f| f.timestamp).collect()
}

/// A camera `later` frames after the one the first walk saw, with that walk's chain.
fn warm(cadence: Ms, seed: u64, later: usize, hint: bool) -> (Camera, usize) {
    let all = sim_frames(400, cadence, seed);
    let before = Camera::new(all[..all.len() - later].to_vec());
    let hint = hint.then(|| Duration::from_millis(cadence as u64));
    let first = before.check(Seek::Newest, 20, hint, None);
    let cam = Camera::new(all);
    *cam.chain.borrow_mut() = chain_of(&first.result.unwrap());
    (cam, later)
}

#[test]
fn a_newest_walk_a_few_frames_later_walks_only_the_new_ones() {
    for cadence in SIM_CADENCES {
        for seed in 0..10 {
            for later in [0, 1, 3, 9] {
                for hint in [false, true] {
                    let (cam, later) = warm(cadence, seed, later, hint);
                    let hint = hint.then(|| Duration::from_millis(cadence as u64));
                    let o = cam.check(Seek::Newest, 20, hint, None);
                    // The new frames, and the call whose answer is the chain's newest.
                    let label = format!("{cadence} ms seed {seed}, {later} later");
                    assert_eq!(o.calls, later + 1, "{label}\n{}", cam.trace());
                    assert_eq!(o.rounds, later + 1, "{label}");
                    let walked = o.result.unwrap();
                    let fetched = walked.frames.iter().filter(|f| f.bytes.is_some()).count();
                    // The new frames and the chain's newest come with their JPEGs.
                    assert_eq!(fetched, (later + 1).min(20), "{label}");
                }
            }
        }
    }
}

#[test]
fn a_newest_walk_long_after_the_chain_stays_within_the_cap() {
    for cadence in SIM_CADENCES {
        for seed in 0..10 {
            for later in [12, 19, 20, 25, 60] {
                let (cam, _) = warm(cadence, seed, later, true);
                let o = cam.check(Seek::Newest, 20, secs(cadence as f64 / 1000.0), None);
                let label = format!("{cadence} ms seed {seed}, {later} later");
                assert!(o.calls <= MOST_CALLS, "{label}: {} calls", o.calls);
                assert!(o.rounds <= 12, "{label}: {} rounds", o.rounds);
            }
        }
    }
}

#[test]
fn a_chain_that_does_not_fit_the_recording_changes_nothing() {
    let all = sim_frames(400, 1000, 3);
    let cam = Camera::new(all.clone());
    let newest: Vec<EenTimestamp> = all
        .iter()
        .rev()
        .map(|&t| EenTimestamp::from_millis(t))
        .collect();
    let shifted =
        |by: Ms| -> Vec<EenTimestamp> { newest[5..25].iter().map(|t| t.add_millis(by)).collect() };
    let stale = newest[30..50].to_vec();
    let future: Vec<EenTimestamp> = newest[..20].iter().map(|t| t.add_millis(60_000)).collect();
    let unordered: Vec<EenTimestamp> = newest[5..25].iter().rev().copied().collect();
    for (name, chain) in [
        ("shifted", shifted(7)),
        ("long ago", stale),
        ("after the newest frame", future),
        ("oldest first", unordered),
    ] {
        *cam.chain.borrow_mut() = chain;
        *cam.log.borrow_mut() = Log::default();
        // `check` proves the page exact: the newest 20 with their JPEGs where the chain
        // did not supply them.
        let o = cam.check(Seek::Newest, 20, secs(1.0), None);
        assert!(o.calls <= MOST_CALLS, "{name}: {} calls", o.calls);
    }
}
