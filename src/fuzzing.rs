//! What the property tests of the parsers share (issue 13, "Fuzzed inputs"): one config, and
//! near-valid inputs, a valid value with a few byte-level edits, which reach deeper into a
//! parser than pure noise does (noise is rejected at the first byte).
//!
//! Test-only. The integration tests include this file as well (`tests/support/fuzz.rs`), so
//! it uses nothing of the crate.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

/// A property test config with `cases` cases. Failures are not persisted to
/// `proptest-regressions/`: a shrunk failure is turned into a named regression test instead.
pub(crate) fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Bytes the grammars of EEN's formats give meaning to (digits, separators, escapes, JSON and
/// JPEG markers), and now and then any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"0123456789.-:+TZz %&;=/\\\"{}[],aF\0\xff\xd8\xc0\xc3".to_vec()),
        1 => any::<u8>(),
    ]
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    Delete(Index),
    Insert(Index, u8),
    Replace(Index, u8),
    /// Copies a span to another place (repeats a field, a separator, a segment).
    Duplicate(Index, Index, Index),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), interesting_byte()).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<Index>(), interesting_byte()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(from, len, to)| Edit::Duplicate(from, len, to)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let len = bytes.len();
    match edit {
        Edit::Insert(at, b) => bytes.insert(at.index(len + 1), *b),
        _ if len == 0 => {}
        Edit::Delete(at) => {
            bytes.remove(at.index(len));
        }
        Edit::Replace(at, b) => bytes[at.index(len)] = *b,
        Edit::Duplicate(from, span, to) => {
            let from = from.index(len);
            let span = span.index(len - from).min(16) + 1;
            let copy = bytes[from..from + span].to_vec();
            let to = to.index(len + 1);
            bytes.splice(to..to, copy);
        }
        Edit::Truncate(at) => bytes.truncate(at.index(len)),
    }
}

/// `valid` with one to three edits.
pub(crate) fn mutated_bytes(
    valid: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = Vec<u8>> {
    (valid, prop::collection::vec(edit(), 1..=3)).prop_map(|(mut bytes, edits)| {
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        bytes
    })
}

/// `valid` with one to three byte edits, as text (a broken UTF-8 sequence becomes U+FFFD, so
/// multi-byte characters turn up where a parser may slice).
pub(crate) fn mutated(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    mutated_bytes(valid.prop_map(String::into_bytes))
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Any short text: mostly printable ASCII with the separators of URLs and EEN's formats, some
/// of it any Unicode.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,40}",
        1 => any::<String>(),
    ]
}

/// Any JSON value, a few levels deep.
pub(crate) fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}
