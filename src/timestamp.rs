//! The EEN timestamp: `YYYYMMDDhhmmss.mmm`, always UTC, millisecond precision.
//!
//! This is plain data shared by the client and the simulator: both speak the same wire format,
//! and neither may depend on the other's parsing beyond it.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// A point in time as EEN writes it: `20190409024212.149` (UTC, milliseconds).
///
/// Ordering is chronological. The value is always whole milliseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EenTimestamp(i64);

/// Why a string is not an EEN timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an EEN timestamp (expected YYYYMMDDhhmmss.mmm)")]
pub struct ParseTimestampError;

impl EenTimestamp {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        Self(Timestamp::now().as_millisecond())
    }

    /// From milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant as a `jiff` timestamp.
    pub fn to_timestamp(self) -> Timestamp {
        // The range is checked on parse and by `from_timestamp`; millis from other sources are
        // clamped rather than allowed to panic.
        Timestamp::from_millisecond(self.0).unwrap_or(if self.0 < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
    }

    /// From a `jiff` timestamp, truncated to milliseconds.
    pub fn from_timestamp(ts: Timestamp) -> Self {
        Self(ts.as_millisecond())
    }

    /// This instant in the given time zone (for captions in a camera's local time).
    pub fn in_zone(self, tz: &TimeZone) -> ZonedDateTime {
        self.to_timestamp().to_zoned_datetime(tz.clone())
    }

    /// The instant `ms` milliseconds later (or earlier, when negative).
    pub fn add_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
}

impl fmt::Display for EenTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self
            .to_timestamp()
            .to_zoned_datetime(TimeZone::UTC)
            .datetime();
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}.{:03}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }
}

impl fmt::Debug for EenTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EenTimestamp({self})")
    }
}

impl FromStr for EenTimestamp {
    type Err = ParseTimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 18 || b[14] != b'.' {
            return Err(ParseTimestampError);
        }
        let digits = |r: std::ops::Range<usize>| -> Result<i64, ParseTimestampError> {
            b[r].iter().try_fold(0i64, |acc, &c| {
                c.is_ascii_digit()
                    .then(|| acc * 10 + i64::from(c - b'0'))
                    .ok_or(ParseTimestampError)
            })
        };
        let field = |r, max: i64| {
            digits(r).and_then(|v| {
                i8::try_from(v)
                    .ok()
                    .filter(|&v| i64::from(v) <= max)
                    .ok_or(ParseTimestampError)
            })
        };
        let year = i16::try_from(digits(0..4)?).map_err(|_| ParseTimestampError)?;
        let dt = jiff::civil::DateTime::new(
            year,
            field(4..6, 12)?,
            field(6..8, 31)?,
            field(8..10, 23)?,
            field(10..12, 59)?,
            field(12..14, 59)?,
            i32::try_from(digits(15..18)?).map_err(|_| ParseTimestampError)? * 1_000_000,
        )
        .map_err(|_| ParseTimestampError)?;
        let ts = dt
            .to_zoned_datetime(TimeZone::UTC)
            .map_err(|_| ParseTimestampError)?
            .timestamp();
        Ok(Self(ts.as_millisecond()))
    }
}

impl serde::Serialize for EenTimestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EenTimestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_wire_format() {
        for s in [
            "20190409024212.149",
            "20180102083020.000",
            "19700101000000.000",
            "20241231235959.999",
        ] {
            let ts: EenTimestamp = s.parse().unwrap();
            assert_eq!(ts.to_string(), s);
        }
    }

    #[test]
    fn orders_chronologically_and_counts_millis() {
        let a: EenTimestamp = "20190409024211.148".parse().unwrap();
        let b: EenTimestamp = "20190409024212.149".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.as_millis() - a.as_millis(), 1001);
        assert_eq!(a.add_millis(1001), b);
    }

    #[test]
    fn rejects_malformed_input() {
        for s in [
            "",
            "now",
            "20190409024212",
            "20190409024212.14",
            "20190409024212.1490",
            "2019040902421a.149",
            "20191309024212.149",
            "20190230024212.149",
            "20190409254212.149",
            "20190409024212,149",
            "+0190409024212.149",
            "２0190409024212.149",
        ] {
            assert!(s.parse::<EenTimestamp>().is_err(), "{s:?} parsed");
        }
    }

    #[test]
    fn converts_to_a_camera_time_zone() {
        let ts: EenTimestamp = "20190409024212.149".parse().unwrap();
        let tz = TimeZone::get("America/Chicago").unwrap();
        let local = ts.in_zone(&tz);
        assert_eq!(
            local.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            "2019-04-08 21:42:12"
        );
    }

    #[test]
    fn serde_uses_the_wire_string() {
        let ts: EenTimestamp = "20190409024212.149".parse().unwrap();
        let json = serde_json::to_string(&ts).unwrap();
        assert_eq!(json, "\"20190409024212.149\"");
        assert_eq!(serde_json::from_str::<EenTimestamp>(&json).unwrap(), ts);
    }
}

/// Property tests (issue 13): any text parses or is [`ParseTimestampError`], never a panic;
/// what parses is canonical; every representable instant round-trips.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated, text};

    /// The instants the wire format can write: years 0000 to 9999, as far as jiff goes.
    fn instant() -> impl Strategy<Value = EenTimestamp> {
        let first = jiff::civil::date(0, 1, 1)
            .to_zoned_datetime(TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        (first..=Timestamp::MAX.as_millisecond()).prop_map(EenTimestamp::from_millis)
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_text_parses_only_to_its_own_spelling(s in text()) {
            if let Ok(ts) = s.parse::<EenTimestamp>() {
                prop_assert_eq!(ts.to_string(), s);
            }
        }

        #[test]
        fn near_valid_text_parses_only_to_its_own_spelling(
            s in mutated(instant().prop_map(|ts| ts.to_string()))
        ) {
            // The only error is `ParseTimestampError`; what parses is spelled as sent.
            if let Ok(ts) = s.parse::<EenTimestamp>() {
                prop_assert_eq!(ts.to_string(), s);
            }
        }

        #[test]
        fn every_instant_round_trips(ts in instant()) {
            let text = ts.to_string();
            prop_assert_eq!(text.len(), 18);
            prop_assert_eq!(text.parse::<EenTimestamp>(), Ok(ts));
            let json = serde_json::to_string(&ts).unwrap();
            prop_assert_eq!(serde_json::from_str::<EenTimestamp>(&json).unwrap(), ts);
        }

        #[test]
        fn any_millis_format_and_convert_without_panic(ms in any::<i64>(), by in any::<i64>()) {
            let ts = EenTimestamp::from_millis(ms);
            let _ = ts.to_string();
            let _ = ts.in_zone(&TimeZone::UTC);
            let _ = ts.add_millis(by);
        }
    }
}
