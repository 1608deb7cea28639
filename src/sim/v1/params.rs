//! What v1 requests may carry: the allowed query keys, and EEN's time parameters.

use super::wire::ApiError;
use crate::sim::http::state::{Ctx, SimState};
use crate::timestamp::EenTimestamp;

/// Refuses a query key in none of the `allowed` sets with `400 unexpected argument: KEY`,
/// unless the simulator runs with `reject_unknown_params` off (SIM-04).
pub(crate) fn reject_unknown(
    state: &SimState,
    ctx: &Ctx,
    allowed: &[&[&str]],
) -> Result<(), ApiError> {
    if !state.config.reject_unknown_params {
        return Ok(());
    }
    match ctx.query.unknown_key_in(allowed) {
        Some(key) => Err(ApiError::bad_request(format!("unexpected argument: {key}"))),
        None => Ok(()),
    }
}

/// Why a time parameter is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {0:?}")]
pub(crate) struct BadTime(pub(crate) String);

/// A parsed time parameter: an EEN timestamp, `now`, or an offset from now in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeParam {
    /// An absolute time, in milliseconds since the epoch.
    At(i64),
    /// `now` plus this many milliseconds (`now` itself is an offset of 0).
    FromNow(i64),
}

impl TimeParam {
    /// Parses `now`, `+300000` / `-300000` (ms from now) or `YYYYMMDDhhmmss.mmm`.
    ///
    /// A leading space counts as `+`: a raw `+` in a query string decodes to a space, and
    /// clients write `e=+300000` unencoded.
    pub(crate) fn parse(value: &str) -> Result<Self, BadTime> {
        let bad = || BadTime(value.chars().take(40).collect());
        if value == "now" {
            return Ok(Self::FromNow(0));
        }
        let (sign, digits) = match value.as_bytes().first() {
            Some(b'+' | b' ') => (1, &value[1..]),
            Some(b'-') => (-1, &value[1..]),
            _ => {
                return value
                    .parse::<EenTimestamp>()
                    .map(|ts| Self::At(ts.as_millis()))
                    .map_err(|_| bad());
            }
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let ms: i64 = digits.parse().map_err(|_| bad())?;
        Ok(Self::FromNow(sign * ms))
    }

    /// Whether the value is relative to now (`now` or an offset).
    pub(crate) fn is_relative(self) -> bool {
        matches!(self, Self::FromNow(_))
    }

    /// Whether the value is exactly `now`.
    pub(crate) fn is_now(self) -> bool {
        self == Self::FromNow(0)
    }

    /// The time in milliseconds since the epoch, given the current time.
    pub(crate) fn resolve(self, now_ms: i64) -> i64 {
        match self {
            Self::At(ms) => ms,
            Self::FromNow(offset) => now_ms.saturating_add(offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_params_parse_timestamps_now_and_offsets() {
        assert_eq!(TimeParam::parse("now"), Ok(TimeParam::FromNow(0)));
        assert_eq!(TimeParam::parse("+300000"), Ok(TimeParam::FromNow(300_000)));
        assert_eq!(TimeParam::parse(" 300000"), Ok(TimeParam::FromNow(300_000)));
        assert_eq!(TimeParam::parse("-1500"), Ok(TimeParam::FromNow(-1500)));
        assert_eq!(
            TimeParam::parse("19700101000001.250"),
            Ok(TimeParam::At(1250))
        );
        for bad in [
            "",
            "+",
            "-x",
            "+99999999999999999999999",
            "2019",
            "yesterday",
            "20190409024212.14",
        ] {
            assert!(TimeParam::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(TimeParam::FromNow(-5).resolve(100), 95);
        assert_eq!(TimeParam::FromNow(i64::MAX).resolve(100), i64::MAX);
    }
}

/// Property tests (issue 13): any time parameter is a [`TimeParam`] or [`BadTime`] (quoting
/// at most 40 characters), never a panic; timestamps and offsets read back.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated, text};

    fn instant() -> impl Strategy<Value = i64> {
        0i64..4_102_444_800_000
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_text_is_a_time_or_bad_time(s in prop_oneof![
            text(),
            mutated(instant().prop_map(|ms| EenTimestamp::from_millis(ms).to_string())),
            mutated(any::<i64>().prop_map(|ms| format!("{ms:+}"))),
        ]) {
            match TimeParam::parse(&s) {
                Ok(time) => {
                    let _ = time.resolve(EenTimestamp::now().as_millis());
                }
                Err(BadTime(quoted)) => prop_assert!(quoted.chars().count() <= 40 && s.starts_with(&quoted)),
            }
        }

        #[test]
        fn timestamps_and_offsets_read_back(ms in instant(), offset in any::<i64>()) {
            let text = EenTimestamp::from_millis(ms).to_string();
            prop_assert_eq!(TimeParam::parse(&text), Ok(TimeParam::At(ms)));
            prop_assert_eq!(TimeParam::parse(&format!("{offset:+}")), Ok(TimeParam::FromNow(offset)));
            let unsigned = offset.unsigned_abs().min(i64::MAX as u64);
            prop_assert_eq!(
                TimeParam::parse(&format!(" {unsigned}")),
                Ok(TimeParam::FromNow(i64::try_from(unsigned).unwrap()))
            );
        }
    }
}
