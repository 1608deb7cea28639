//! Small pieces of the v3 wire format: ISO timestamps (spec §4), the image answer's headers
//! (§6.5, §6.6), the error envelope (§5.1) and `Retry-After` (§8).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::timestamp::EenTimestamp;

/// Longest `Retry-After` honoured: EEN documents no limits (§8), so a larger value is more
/// likely a mistake (or milliseconds, as one of EEN's own samples reads it) than a real wait.
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A timestamp as v3 wants it in a query: `YYYY-MM-DDTHH:MM:SS.sss+00:00`, always with
/// milliseconds and `+00:00`, never `Z` (some endpoints reject `Z`, §4). The caller
/// percent-encodes it as a query value (`+` must travel as `%2B`, §3.2).
pub(super) fn format_timestamp(ts: EenTimestamp) -> String {
    ts.to_timestamp()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

/// A timestamp as v3 answers it, read leniently (§4, §12): `Z`, `+00:00` or any other offset,
/// with or without fractional seconds; digits below the millisecond are dropped. A time
/// without an offset is ambiguous and gives `None`.
pub(super) fn parse_timestamp(text: &str) -> Option<EenTimestamp> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(EenTimestamp::from_timestamp)
}

/// What an image answer (`liveImage.jpeg`, `recordedImage.jpeg`) says besides the JPEG.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FrameHeaders {
    /// `X-Een-Timestamp`: when the frame was taken.
    pub(super) timestamp: Option<EenTimestamp>,
    /// `X-Een-NextToken`: a `pageToken` for the next (newer) frame.
    pub(super) next: Option<String>,
    /// `X-Een-PrevToken`: a `pageToken` for the previous (older) frame.
    pub(super) prev: Option<String>,
}

/// Reads [`FrameHeaders`]. A header that is absent, empty or not text counts as not sent: the
/// spec does not say which of these EEN uses at the ends of a recording (§6.6).
pub(super) fn frame_headers(headers: &HeaderMap) -> FrameHeaders {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    FrameHeaders {
        timestamp: text("x-een-timestamp").and_then(parse_timestamp),
        next: text("x-een-nexttoken").map(str::to_owned),
        prev: text("x-een-prevtoken").map(str::to_owned),
    }
}

/// The `reason` of the first `errorInfo` detail of an error answer (§5.1), e.g.
/// `deviceUnavailable` or `resourceNotFound`; `None` when the body is not that envelope.
pub(super) fn error_reason(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        // Kept as values: a detail of a type this client does not know must not make the
        // whole envelope unreadable.
        details: Vec<serde_json::Value>,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let info = envelope
        .details
        .iter()
        .find(|d| d.get("type").and_then(|t| t.as_str()) == Some("errorInfo"))?;
    info.get("reason")?.as_str().map(str::to_owned)
}

/// `Retry-After` (seconds or an HTTP date, §8), capped at [`MAX_RETRY_AFTER`].
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::een::http::retry_after(headers).map(|wait| wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn ts(s: &str) -> EenTimestamp {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn formats_with_milliseconds_and_a_numeric_utc_offset() {
        assert_eq!(
            format_timestamp(ts("20220808075737.000")),
            "2022-08-08T07:57:37.000+00:00"
        );
        assert_eq!(
            format_timestamp(ts("20241107204409.439")),
            "2024-11-07T20:44:09.439+00:00"
        );
        assert_eq!(
            format_timestamp(ts("19700101000000.005")),
            "1970-01-01T00:00:00.005+00:00"
        );
    }

    #[test]
    fn a_query_value_carries_the_offset_percent_encoded() {
        let mut url = url::Url::parse("https://api.c001.example/api/v3.0/media/x").unwrap();
        url.query_pairs_mut()
            .append_pair("timestamp__lt", &format_timestamp(ts("20230207161000.927")));
        assert_eq!(
            url.query(),
            Some("timestamp__lt=2023-02-07T16%3A10%3A00.927%2B00%3A00")
        );
        assert!(url.as_str().ends_with("%2B00%3A00"), "{url}");
    }

    #[test]
    fn parses_leniently() {
        let want = ts("20241107204409.439");
        for text in [
            "2024-11-07T20:44:09.439+00:00",
            "2024-11-07T20:44:09.439Z",
            "2024-11-07T14:44:09.439-06:00",
            "2024-11-08T02:14:09.439+05:30",
            " 2024-11-07T20:44:09.439+00:00 ",
            "2024-11-07T20:44:09.439999+00:00",
            "2024-11-07T20:44:09.4399Z",
        ] {
            assert_eq!(parse_timestamp(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_timestamp("2024-11-07T20:44:09+00:00"),
            Some(ts("20241107204409.000"))
        );
        assert_eq!(
            parse_timestamp("2024-11-07T20:44:09Z"),
            Some(ts("20241107204409.000"))
        );
        for bad in [
            "",
            "now",
            "2024-11-07T20:44:09.439",
            "2024-11-07",
            "20241107204409.439",
            "2024-13-07T20:44:09.439Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn round_trips_through_the_wire_format() {
        for s in [
            "20220808075737.000",
            "20241231235959.999",
            "20190409024212.149",
        ] {
            assert_eq!(parse_timestamp(&format_timestamp(ts(s))), Some(ts(s)));
        }
    }

    #[test]
    fn frame_headers_read_time_and_tokens() {
        let h = headers(&[
            ("x-een-timestamp", "2024-11-07T20:44:09.439+00:00"),
            ("X-Een-NextToken", "bmV4dA=="),
            ("X-Een-PrevToken", "cHJldg=="),
        ]);
        assert_eq!(
            frame_headers(&h),
            FrameHeaders {
                timestamp: Some(ts("20241107204409.439")),
                next: Some("bmV4dA==".into()),
                prev: Some("cHJldg==".into()),
            }
        );
    }

    #[test]
    fn absent_empty_or_unreadable_headers_are_none() {
        assert_eq!(frame_headers(&HeaderMap::new()), FrameHeaders::default());
        let h = headers(&[
            ("x-een-timestamp", "yesterday"),
            ("x-een-nexttoken", ""),
            ("x-een-prevtoken", "  "),
        ]);
        assert_eq!(frame_headers(&h), FrameHeaders::default());
        let mut h = HeaderMap::new();
        h.insert(
            "x-een-prevtoken",
            HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        assert_eq!(frame_headers(&h).prev, None);
    }

    #[test]
    fn error_reason_of_the_oas_examples() {
        let not_found = br#"{"code":404,"status":"notFound","message":"The resource was not found","details":[{"type":"errorInfo","reason":"resourceNotFound","domain":"apiv3","metadata":{"path":"/api/v3.0/cameras"}},{"type":"resourceInfo","resource":"cameras","ids":["10097dd2"]}]}"#;
        assert_eq!(error_reason(not_found).as_deref(), Some("resourceNotFound"));
        let unavailable = br#"{"code":503,"status":"unavailable","message":"The resource is currently not available, please try later again","details":[{"type":"errorInfo","reason":"deviceUnavailable","domain":"apiv3"}]}"#;
        assert_eq!(
            error_reason(unavailable).as_deref(),
            Some("deviceUnavailable")
        );
        // The errorInfo need not come first; other details may have any shape.
        let bad_request = br#"{"code":400,"status":"invalidArgument","message":"x","details":[{"type":"badRequest","argumentViolations":[{"argumentName":"name","description":"Name is too long"}]},7,{"type":"errorInfo","reason":"wrongArgumentValue"}]}"#;
        assert_eq!(
            error_reason(bad_request).as_deref(),
            Some("wrongArgumentValue")
        );
    }

    #[test]
    fn error_reason_is_none_for_other_bodies() {
        for body in [
            &b""[..],
            b"<html>Bad Gateway</html>",
            b"{}",
            b"[]",
            br#"{"details":[]}"#,
            br#"{"details":[{"type":"resourceInfo","resource":"cameras"}]}"#,
            br#"{"details":[{"type":"errorInfo"}]}"#,
            br#"{"details":[{"type":"errorInfo","reason":5}]}"#,
            br#"{"error":"invalid_grant"}"#,
        ] {
            assert_eq!(
                error_reason(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn retry_after_is_seconds_capped_at_a_minute() {
        let wait = |v: &str| retry_after(&headers(&[("retry-after", v)]));
        assert_eq!(wait("0"), Some(Duration::ZERO));
        assert_eq!(wait("7"), Some(Duration::from_secs(7)));
        assert_eq!(wait("60"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("3600"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&later)
            .unwrap();
        assert_eq!(wait(&date), Some(MAX_RETRY_AFTER));
    }
}

/// Property tests (issue 13): timestamps, frame headers, error envelopes and `Retry-After` of
/// any content are read or refused, never a panic; what EEN writes is read back.
#[cfg(test)]
mod fuzz {
    use jiff::tz::{Offset, TimeZone};
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    use super::*;
    use crate::fuzzing::{config, json, mutated, mutated_bytes, text};

    /// 1900 to 2100, so that any offset stays inside the representable years.
    fn instant() -> impl Strategy<Value = EenTimestamp> {
        (-2_208_988_800_000i64..4_102_444_800_000).prop_map(EenTimestamp::from_millis)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        headers
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_text_is_a_time_or_none(s in text()) {
            let _ = parse_timestamp(&s);
        }

        #[test]
        fn near_valid_times_are_a_time_or_none(s in mutated(instant().prop_map(format_timestamp))) {
            let _ = parse_timestamp(&s);
        }

        #[test]
        fn formatted_times_round_trip(ts in instant()) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(ts)), Some(ts));
        }

        #[test]
        fn times_with_any_offset_or_z_read_as_the_same_instant(
            ts in instant(),
            minutes in -18 * 60i32..=18 * 60,
            zulu in any::<bool>(),
        ) {
            let text = if zulu {
                ts.to_timestamp().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            } else {
                let offset = TimeZone::fixed(Offset::from_seconds(minutes * 60).unwrap());
                ts.in_zone(&offset).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
            };
            prop_assert_eq!(parse_timestamp(&text), Some(ts), "{}", text);
        }

        #[test]
        fn any_frame_headers_are_read_or_left_out(ts in text(), next in text(), prev in text()) {
            let read = frame_headers(&headers(&[
                ("x-een-timestamp", &ts),
                ("x-een-nexttoken", &next),
                ("x-een-prevtoken", &prev),
            ]));
            for token in [read.next, read.prev].into_iter().flatten() {
                prop_assert!(!token.is_empty() && token.trim() == token);
            }
        }

        #[test]
        fn frame_headers_round_trip(ts in instant(), next in "[A-Za-z0-9_-]{1,40}") {
            let read = frame_headers(&headers(&[
                ("x-een-timestamp", &format_timestamp(ts)),
                ("x-een-nexttoken", &next),
            ]));
            prop_assert_eq!(read, FrameHeaders { timestamp: Some(ts), next: Some(next), prev: None });
        }

        #[test]
        fn any_error_body_gives_a_reason_or_none(body in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = error_reason(&body);
        }

        #[test]
        fn envelopes_give_the_reason_of_their_first_error_info(
            before in prop::collection::vec(json(), 0..3),
            reason in text(),
            after in json(),
        ) {
            let before: Vec<_> = before
                .into_iter()
                .filter(|d| d.get("type").and_then(|t| t.as_str()) != Some("errorInfo"))
                .collect();
            let mut details = before;
            details.push(json!({"type": "errorInfo", "reason": reason, "domain": "een"}));
            details.push(json!({"type": "errorInfo", "reason": "not this one", "x": after}));
            let body = json!({"code": 404, "status": "notFound", "message": "m", "details": details});
            prop_assert_eq!(error_reason(body.to_string().as_bytes()), Some(reason));
        }

        #[test]
        fn near_valid_envelopes_give_a_reason_or_none(
            body in mutated_bytes(text().prop_map(|reason| {
                json!({"code": 404, "details": [{"type": "errorInfo", "reason": reason}]})
                    .to_string()
                    .into_bytes()
            }))
        ) {
            let _ = error_reason(&body);
        }

        #[test]
        fn any_retry_after_is_none_or_at_most_a_minute(value in prop_oneof![
            text(),
            any::<u64>().prop_map(|n| n.to_string()),
            mutated(Just("Wed, 21 Oct 2035 07:28:00 GMT".to_owned())),
        ]) {
            if let Some(wait) = retry_after(&headers(&[("retry-after", &value)])) {
                prop_assert!(wait <= MAX_RETRY_AFTER);
            }
        }
    }
}
