//! Query strings and form bodies the way EEN reads them (SIM-04, SIM-05).
//!
//! EEN splits query strings on both `&` and `;` (mixed, with trailing separators), decodes
//! percent escapes, accepts raw characters such as `@`, and treats an empty value as "no
//! filter". Repeated keys: the last one wins.

use std::borrow::Cow;

/// Decoded `key=value` pairs in the order sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a raw query string, splitting on `&` and `;`.
    pub(crate) fn from_query(raw: &str) -> Self {
        Self::split(raw.as_bytes(), |b| b == b'&' || b == b';')
    }

    /// Parses an `application/x-www-form-urlencoded` body (only `&` separates: a raw password
    /// may contain `;`).
    pub(crate) fn from_form(raw: &[u8]) -> Self {
        Self::split(raw, |b| b == b'&')
    }

    fn split(raw: &[u8], is_separator: impl Fn(u8) -> bool) -> Self {
        let pairs = raw
            .split(|&b| is_separator(b))
            .filter(|piece| !piece.is_empty())
            .filter_map(|piece| {
                // One piece holds at most one pair; `form_urlencoded` does the decoding
                // (`%40` and `+`) and keeps anything it cannot decode as it is.
                url::form_urlencoded::parse(piece)
                    .next()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
            })
            .collect();
        Self { pairs }
    }

    /// Adds a pair (for bodies decoded from JSON or multipart).
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// The value of the last pair whose key is any of `names` (long and short forms).
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// Like [`get`](Self::get), but an empty value counts as absent.
    pub(crate) fn get_nonempty(&self, names: &[&str]) -> Option<&str> {
        self.get(names).filter(|v| !v.is_empty())
    }

    /// The first key not in `allowed`, if any.
    pub(crate) fn unknown_key(&self, allowed: &[&str]) -> Option<&str> {
        self.unknown_key_in(&[allowed])
    }

    /// The first key in none of the sets `allowed`, if any (no set is copied).
    pub(crate) fn unknown_key_in(&self, allowed: &[&[&str]]) -> Option<&str> {
        self.pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !allowed.iter().any(|set| set.contains(k)))
    }
}

/// Lossy UTF-8 for bodies and headers we only look at.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_04_splits_on_semicolons_and_ampersands_mixed_with_a_trailing_separator() {
        let p = Params::from_query("c=1000c4ae;t=now&a=preview;count=-20;");
        assert_eq!(p.get(&["c"]), Some("1000c4ae"));
        assert_eq!(p.get(&["t"]), Some("now"));
        assert_eq!(p.get(&["a"]), Some("preview"));
        assert_eq!(p.get(&["count"]), Some("-20"));
        assert_eq!(p.unknown_key(&["c", "t", "a", "count"]), None);
    }

    #[test]
    fn sim_04_empty_values_repeated_keys_and_percent_decoding() {
        let p = Params::from_query("e=;n=;t=camera;s=;t=bridge;u=a%40b.c;v=x@y;flag");
        assert_eq!(p.get(&["e"]), Some(""));
        assert_eq!(p.get_nonempty(&["e"]), None);
        assert_eq!(p.get(&["t"]), Some("bridge"), "last wins");
        assert_eq!(p.get(&["u"]), Some("a@b.c"));
        assert_eq!(p.get(&["v"]), Some("x@y"));
        assert_eq!(p.get(&["flag"]), Some(""));
        assert_eq!(p.unknown_key(&["e", "n", "t", "s", "u", "v"]), Some("flag"));
        assert_eq!(
            p.unknown_key_in(&[&["e", "n", "t"], &["s", "u", "v"]]),
            Some("flag")
        );
        assert_eq!(
            p.unknown_key_in(&[&["e", "n", "t", "s"], &["u", "v", "flag"]]),
            None
        );
    }

    #[test]
    fn sim_05_long_and_short_names_are_aliases_and_the_last_of_either_wins() {
        let p = Params::from_query("id=10000001;c=10000002");
        assert_eq!(p.get(&["id", "c"]), Some("10000002"));
        let p = Params::from_query("c=10000002&id=10000001");
        assert_eq!(p.get(&["id", "c"]), Some("10000001"));
    }

    #[test]
    fn form_bodies_keep_semicolons_and_decode_tokens() {
        let p = Params::from_form(b"username=demo@een.com&password=a;b&token=ab%2Bc%2Fd%3D%3D");
        assert_eq!(p.get(&["username"]), Some("demo@een.com"));
        assert_eq!(p.get(&["password"]), Some("a;b"));
        assert_eq!(p.get(&["token"]), Some("ab+c/d=="));
    }
}

/// Property tests (issue 13): any query string or form body is pairs, never a panic; pairs
/// written by a form encoder are read back in order.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated_bytes, text};

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec((text(), text()), 0..6)
    }

    fn encoded(pairs: &[(String, String)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_bytes_are_pairs(raw in prop::collection::vec(any::<u8>(), 0..64)) {
            let form = Params::from_form(&raw);
            let query = Params::from_query(&String::from_utf8_lossy(&raw));
            let _ = (form.get(&["a"]), query.get_nonempty(&["a"]), query.unknown_key(&["a"]));
        }

        #[test]
        fn encoded_pairs_round_trip(pairs in pairs()) {
            let raw = encoded(&pairs);
            prop_assert_eq!(&Params::from_form(raw.as_bytes()).pairs, &pairs);
            // `;` is escaped by the encoder, so splitting on it too changes nothing.
            prop_assert_eq!(&Params::from_query(&raw).pairs, &pairs);
            if let Some((key, value)) = pairs.last() {
                let query = Params::from_query(&raw);
                prop_assert_eq!(query.get(&[key.as_str()]), Some(value.as_str()));
            }
        }

        #[test]
        fn near_valid_queries_are_pairs(raw in mutated_bytes(pairs().prop_map(|p| encoded(&p).into_bytes()))) {
            let _ = Params::from_form(&raw).unknown_key_in(&[&["c", "t"]]);
            let _ = Params::from_query(&String::from_utf8_lossy(&raw)).get(&["c"]);
        }
    }
}
