//! Property tests over HTTP (issue 13): the library's shared strategies (`src/fuzzing.rs`,
//! included as it is, so both kinds of test mutate alike), hostile URL pieces, and a runner
//! that drives async requests from proptest's synchronous cases.

#[path = "../../src/fuzzing.rs"]
mod strategies;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
// Each test binary uses a different part.
#[allow(unused_imports)]
pub(crate) use strategies::{config, json, mutated, mutated_bytes, text};

/// Percent-encodes every byte but the unreserved ones, so the router decodes exactly `raw`.
pub fn enc(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A path segment or query value that is anything: noise, or a near-valid `valid`.
pub fn hostile(valid: impl Strategy<Value = String> + 'static) -> BoxedStrategy<String> {
    prop_oneof![text(), mutated(valid)].boxed()
}

/// A raw query string of hostile pairs, some with the keys the routes read, some sent raw
/// (unencoded separators and escapes), some encoded.
pub fn query(keys: &'static [&'static str]) -> BoxedStrategy<String> {
    let key = prop_oneof![
        prop::sample::select(keys.to_vec()).prop_map(str::to_owned),
        text()
    ];
    let pair = (key, text(), any::<bool>()).prop_map(|(k, v, raw)| {
        if raw {
            // Only what a URI may hold raw: `%` escapes may be broken, separators doubled.
            let keep = |s: &str| -> String {
                s.chars()
                    .filter(|c| c.is_ascii_graphic() && !"#\"<>\\^`{|}".contains(*c))
                    .collect()
            };
            format!("{}={}", keep(&k), keep(&v))
        } else {
            format!("{}={}", enc(&k), enc(&v))
        }
    });
    prop::collection::vec(pair, 0..5)
        .prop_map(|pairs| pairs.join("&"))
        .boxed()
}

/// Runs `check` on `cases` values of `strategy`, each inside `runtime`: proptest's cases are
/// synchronous, the requests are not. Fails the test with the shrunk input.
pub fn run_async<S, F, Fut>(runtime: &tokio::runtime::Runtime, cases: u32, strategy: S, check: F)
where
    S: Strategy,
    S::Value: Clone + std::fmt::Debug,
    F: Fn(S::Value) -> Fut,
    Fut: std::future::Future<Output = Result<(), TestCaseError>>,
{
    let mut runner = TestRunner::new(config(cases));
    if let Err(e) = runner.run(&strategy, |value| runtime.block_on(check(value))) {
        panic!("{e}");
    }
}
