//! Families of walks over recordings timed as the simulator times them (each frame up to 30 %
//! of the cadence late), with the right hint, none, or a wrong one: the cap and the round
//! trips each family keeps, and two tools (`cargo test --lib walk::tests::families --
//! --ignored --nocapture`) that print a family's numbers and one walk step by step.

use super::*;

#[test]
#[ignore = "a tool: prints one walk step by step"]
fn show_one_walk() {
    let var = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cadence = var("CADENCE", 1000);
    let jitter = var("JITTER", 5);
    let seed = var("SEED", 0) as u64;
    let start = var("START", 0) as usize;
    let hint = var("HINT", 0);
    let hint = (hint > 0).then(|| Duration::from_millis(hint as u64));
    // SEED=-1: the first seed whose walk makes more than MOST calls.
    let most = var("MOST", 0) as usize;
    for seed in if seed == u64::MAX {
        0..200
    } else {
        seed..seed + 1
    } {
        let f = if jitter < 0 {
            sim_frames(400, cadence, seed)
        } else {
            frames(600, cadence, jitter, seed)
        };
        let cam = Camera::new(f);
        let o = cam.run(starts(&cam)[start].clone(), 20, hint, None);
        if o.calls > most && o.rounds > var("ROUNDS", 0) as usize {
            println!(
                "seed {seed}\n{}calls {} rounds {}",
                cam.trace(),
                o.calls,
                o.rounds
            );
            return;
        }
    }
}

/// `n` frames as the simulator times them (`sim::timeline`): one per `cadence_ms` slot,
/// each up to 30 % of the cadence late, the newest near T0.
pub(super) fn sim_frames(n: usize, cadence_ms: Ms, seed: u64) -> Vec<Ms> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: Vec<Ms> = (0..n as Ms)
        .map(|i| T0 - i * cadence_ms + rng.random_range(0..cadence_ms * 3 / 10))
        .collect();
    out.sort_unstable();
    out
}

/// Calls and round trips over a family of walks.
#[derive(Default)]
struct Tally {
    walks: usize,
    calls: (usize, usize),
    rounds: (usize, usize),
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.walks += 1;
        self.calls = (self.calls.0.max(o.calls), self.calls.1 + o.calls);
        self.rounds = (self.rounds.0.max(o.rounds), self.rounds.1 + o.rounds);
    }

    /// Prints the family's numbers (`cargo test -- --nocapture` shows them).
    fn report(&self, family: &str) {
        let n = self.walks.max(1) as f64;
        println!(
            "{family}: {} walks, calls max {} mean {:.1}, rounds max {} mean {:.1}",
            self.walks,
            self.calls.0,
            self.calls.1 as f64 / n,
            self.rounds.0,
            self.rounds.1 as f64 / n
        );
    }
}

pub(super) const SIM_CADENCES: [Ms; 4] = [250, 1000, 4000, 16_000];

#[test]
fn sim_like_jitter_with_the_right_hint_costs_at_most_eight_round_trips() {
    for cadence in SIM_CADENCES {
        let mut tally = Tally::default();
        for seed in 0..40 {
            let cam = Camera::new(sim_frames(400, cadence, seed));
            for start in starts(&cam) {
                *cam.log.borrow_mut() = Log::default();
                let o = cam.check(start.clone(), 20, secs(cadence as f64 / 1000.0), None);
                let label = format!("{cadence} ms seed {seed} {start:?}");
                assert!(
                    o.calls <= MOST_CALLS,
                    "{label}: {} calls\n{}",
                    o.calls,
                    cam.trace()
                );
                assert!(
                    o.rounds <= 8,
                    "{label}: {} rounds\n{}",
                    o.rounds,
                    cam.trace()
                );
                tally.add(&o);
            }
        }
        tally.report(&format!("sim jitter, right hint, {cadence} ms"));
    }
}

#[test]
fn sim_like_jitter_without_a_hint_costs_at_most_ten_round_trips() {
    for cadence in SIM_CADENCES {
        let mut tally = Tally::default();
        for seed in 0..40 {
            let cam = Camera::new(sim_frames(400, cadence, seed));
            for start in starts(&cam) {
                *cam.log.borrow_mut() = Log::default();
                let o = cam.check(start.clone(), 20, None, None);
                let label = format!("{cadence} ms seed {seed} {start:?}");
                assert!(
                    o.calls <= MOST_CALLS,
                    "{label}: {} calls\n{}",
                    o.calls,
                    cam.trace()
                );
                assert!(
                    o.rounds <= 10,
                    "{label}: {} rounds\n{}",
                    o.rounds,
                    cam.trace()
                );
                tally.add(&o);
            }
        }
        tally.report(&format!("sim jitter, no hint, {cadence} ms"));
    }
}

#[test]
fn sim_like_jitter_with_a_wrong_hint_stays_within_the_cap() {
    for cadence in SIM_CADENCES {
        let mut tally = Tally::default();
        for seed in 0..20 {
            let cam = Camera::new(sim_frames(400, cadence, seed));
            for start in starts(&cam) {
                for factor in [0.25, 0.5, 0.7, 1.4, 2.0, 3.0, 4.0, 16.0] {
                    *cam.log.borrow_mut() = Log::default();
                    let hint = secs(cadence as f64 * factor / 1000.0);
                    let o = cam.check(start.clone(), 20, hint, None);
                    let label = format!("{cadence} ms seed {seed} {start:?} hint {hint:?}");
                    assert!(
                        o.calls <= MOST_CALLS,
                        "{label}: {} calls\n{}",
                        o.calls,
                        cam.trace()
                    );
                    assert!(
                        o.rounds <= if factor > 2.5 { 16 } else { 13 },
                        "{label}: {} rounds\n{}",
                        o.rounds,
                        cam.trace()
                    );
                    tally.add(&o);
                }
            }
        }
        tally.report(&format!("sim jitter, wrong hint, {cadence} ms"));
    }
}

#[test]
#[ignore = "a tool: prints calls and round trips per family of walks"]
fn survey() {
    let family =
        |name: &str, cases: &mut dyn Iterator<Item = (Vec<Ms>, Seek, Option<Duration>)>| {
            let mut tally = Tally::default();
            let mut worst = (0, String::new());
            for (frames, start, hint) in cases {
                let cam = Camera::new(frames);
                let o = cam.check(start.clone(), 20, hint, None);
                if (o.rounds, o.calls) > (worst.0, 0) {
                    worst = (o.rounds, format!("{start:?} {hint:?}"));
                }
                tally.add(&o);
            }
            tally.report(name);
            println!("    worst {} rounds: {}", worst.0, worst.1);
        };
    for cadence in SIM_CADENCES {
        let c = cadence as f64 / 1000.0;
        let cases = |hint: Option<f64>, jitter: bool| {
            (0..40u64).flat_map(move |seed| {
                let f = if jitter {
                    sim_frames(400, cadence, seed)
                } else {
                    frames(400, cadence, 5, seed)
                };
                let cam = Camera::new(f.clone());
                starts(&cam)
                    .into_iter()
                    .map(move |s| (f.clone(), s, hint.map(Duration::from_secs_f64)))
            })
        };
        family(&format!("{cadence} 5ms hint"), &mut cases(Some(c), false));
        family(&format!("{cadence} 5ms none"), &mut cases(None, false));
        family(&format!("{cadence} sim hint"), &mut cases(Some(c), true));
        family(&format!("{cadence} sim none"), &mut cases(None, true));
        for k in [0.25, 0.5, 0.7, 1.4, 2.0, 3.0, 4.0] {
            family(
                &format!("{cadence} sim hint x{k}"),
                &mut cases(Some(c * k), true),
            );
        }
    }
}

/// The frames a walk found, newest first: what the client hands the next walk as context.
fn times_of(walked: &Walked) -> Vec<EenTimestamp> {
    walked.frames.iter().map(|f| f.timestamp).collect()
}

/// A camera's first view and the two pages after it, as the gallery asks them (each from
/// the oldest frame of the page before), each walk given the cadence the last one measured
/// and, with `context`, the frames it found. Tallies the pages after the first.
fn pages_after_the_first(cadence: Ms, context: bool) -> Tally {
    let mut tally = Tally::default();
    for seed in 0..40 {
        let cam = Camera::new(sim_frames(400, cadence, seed));
        let (mut start, mut hint) = (Seek::Newest, None);
        for page in 0..3 {
            *cam.log.borrow_mut() = Log::default();
            let o = cam.check(start.clone(), 20, hint, None);
            let label = format!("{cadence} ms seed {seed} page {page}");
            assert!(
                o.calls <= MOST_CALLS,
                "{label}: {} calls\n{}",
                o.calls,
                cam.trace()
            );
            if page > 0 {
                tally.add(&o);
                if context && o.rounds > 5 && std::env::var("SHOW").is_ok() {
                    println!("{label}: {} rounds\n{}", o.rounds, cam.trace());
                }
            }
            let walked = o.result.unwrap();
            hint = walked.cadence;
            let times = times_of(&walked);
            start = Seek::Before(*times.last().unwrap());
            if context {
                *cam.context.borrow_mut() = times;
            }
        }
    }
    tally
}

#[test]
fn pages_after_a_page_aim_their_anchors_by_its_frames() {
    for cadence in SIM_CADENCES {
        let without = pages_after_the_first(cadence, false);
        without.report(&format!("pages after a page, hint only, {cadence} ms"));
        let with = pages_after_the_first(cadence, true);
        with.report(&format!(
            "pages after a page, hint and context, {cadence} ms"
        ));
        assert!(with.rounds.0 <= 5, "{cadence} ms: {} rounds", with.rounds.0);
    }
}

#[test]
fn a_context_from_another_cadence_costs_round_trips_never_frames_or_the_cap() {
    // The camera's cadence changed since the walk that found the context (or the context
    // is a day away): the line's aim is wrong, the answers disagree with it, and the walk
    // goes on as without it.
    for cadence in SIM_CADENCES {
        let mut tally = Tally::default();
        for factor in [0.5, 0.9, 0.97, 1.03, 1.1, 2.0] {
            let other = (cadence as f64 * factor) as Ms;
            for seed in 0..10 {
                let cam = Camera::new(sim_frames(400, cadence, seed));
                let old = sim_frames(60, other, seed + 100);
                let context: Vec<EenTimestamp> = old[old.len() - 20..]
                    .iter()
                    .rev()
                    .map(|&t| EenTimestamp::from_millis(t))
                    .collect();
                *cam.context.borrow_mut() = context;
                for start in starts(&cam) {
                    *cam.log.borrow_mut() = Log::default();
                    let hint = secs(other as f64 / 1000.0);
                    let o = cam.check(start.clone(), 20, hint, None);
                    let label = format!("{cadence} ms context {other} ms seed {seed} {start:?}");
                    assert!(
                        o.calls <= MOST_CALLS,
                        "{label}: {} calls\n{}",
                        o.calls,
                        cam.trace()
                    );
                    tally.add(&o);
                }
            }
        }
        tally.report(&format!(
            "sim jitter, context of another cadence, {cadence} ms"
        ));
    }
}
