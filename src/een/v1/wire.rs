//! Small pieces of the v1 wire format: headers, cookies, error envelopes, list bodies.

use reqwest::header::{HeaderMap, SET_COOKIE};
use secrecy::SecretString;
use serde::Deserialize;

use crate::timestamp::EenTimestamp;

/// The frame time from `X-Ee-Timestamp: <type>-<ts>` (`preview-20190409024212.149`). The type
/// is whatever precedes the first `-`; EEN timestamps themselves contain no `-`.
pub(crate) fn frame_timestamp(headers: &HeaderMap) -> Option<EenTimestamp> {
    let value = headers.get("x-ee-timestamp")?.to_str().ok()?;
    parse_typed_timestamp(value)
}

fn parse_typed_timestamp(value: &str) -> Option<EenTimestamp> {
    let (_kind, ts) = value.trim().split_once('-')?;
    ts.parse().ok()
}

/// The session key from Authorize's `Set-Cookie` headers: `auth_key`, else the older
/// `videobank_sessionid` (EEN sets both to the same value).
pub(crate) fn session_key(headers: &HeaderMap) -> Option<SecretString> {
    let cookies: Vec<&str> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    ["auth_key", "videobank_sessionid"]
        .into_iter()
        .find_map(|name| cookies.iter().find_map(|c| cookie_value(c, name)))
        .map(|v| SecretString::from(v.to_owned()))
}

/// The value of cookie `name` in one `Set-Cookie` header, if it is that cookie and not empty.
fn cookie_value<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    let pair = set_cookie.split(';').next()?;
    let (n, v) = pair.split_once('=')?;
    let v = v.trim().trim_matches('"');
    (n.trim() == name && !v.is_empty()).then_some(v)
}

/// The reason EEN gives in an error answer: header `X-Ee-Server-Message`, else the `message`
/// of the `{"status_code", "message", "data"}` envelope. Bodies that are not the envelope (an
/// HTML page, nothing) give `None`.
pub(crate) fn server_message(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        message: String,
    }
    headers
        .get("x-ee-server-message")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            serde_json::from_slice::<Envelope>(body)
                .ok()
                .map(|e| e.message)
        })
}

/// EEN's answer when an image or list has nothing at the asked time. Observed as a transient
/// 400 right after login for `now`-relative requests (spec §4.5).
pub(crate) fn is_no_matching_asset(message: Option<&str>) -> bool {
    message.is_some_and(|m| m.trim().eq_ignore_ascii_case("no matching asset"))
}

/// Why an image list body was rejected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadList;

/// Parses `/asset/list/image` (`[{"t":"PRFR","s":"20181001000000.045"}, ...]`) into frame times,
/// newest first, without duplicates. Entries of another type (thumbnails) or with an unparsable
/// time are skipped; a body that is not a JSON array is an error.
pub(crate) fn parse_image_list(body: &[u8]) -> Result<Vec<EenTimestamp>, BadList> {
    #[derive(Deserialize)]
    struct Item {
        t: Option<String>,
        s: Option<String>,
    }
    let items: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|_| BadList)?;
    let mut out: Vec<EenTimestamp> = items
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Item>(v).ok())
        .filter(|item| item.t.as_deref().is_none_or(|t| t == "PRFR"))
        .filter_map(|item| item.s?.parse().ok())
        .collect();
    // The docs say a negative count returns entries "sorted in reverse order"; sort anyway
    // rather than trust an [INF] reading of that.
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use secrecy::ExposeSecret;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn frame_timestamp_splits_at_the_first_dash() {
        let ts = |v: &str| frame_timestamp(&headers(&[("x-ee-timestamp", v)]));
        let want: EenTimestamp = "20190409024212.149".parse().unwrap();
        assert_eq!(ts("preview-20190409024212.149"), Some(want));
        assert_eq!(ts("thumb-20190409024212.149"), Some(want));
        assert_eq!(ts("video-20190409024212.149"), Some(want));
        assert_eq!(ts(" preview-20190409024212.149 "), Some(want));
        assert_eq!(ts("unknown"), None);
        assert_eq!(ts("preview-"), None);
        assert_eq!(ts("preview-now"), None);
        assert_eq!(ts("preview-2019-04-09"), None);
        assert_eq!(ts("20190409024212.149"), None);
        assert_eq!(frame_timestamp(&HeaderMap::new()), None);
    }

    #[test]
    fn session_key_from_the_real_set_cookie_headers() {
        let h = headers(&[
            (
                "set-cookie",
                "auth_key=c000~4533aa65833bda257aa4d5900530a8e6; Domain=.eagleeyenetworks.com; expires=Tue, 09-Apr-2019 06:37:25 GMT; httponly; Max-Age=14399; Path=/",
            ),
            (
                "set-cookie",
                "videobank_sessionid=c000~4533aa65833bda257aa4d5900530a8e6; Domain=.eagleeyenetworks.com; expires=Tue, 09-Apr-2019 06:37:25 GMT; httponly; Max-Age=14399; Path=/",
            ),
        ]);
        let key = session_key(&h).unwrap();
        assert_eq!(key.expose_secret(), "c000~4533aa65833bda257aa4d5900530a8e6");
    }

    #[test]
    fn session_key_prefers_auth_key_and_falls_back() {
        let h = headers(&[
            ("set-cookie", "videobank_sessionid=old; Path=/"),
            ("set-cookie", "tfa_key=zzz; Path=/"),
            ("set-cookie", "auth_key=new; Path=/"),
        ]);
        assert_eq!(session_key(&h).unwrap().expose_secret(), "new");
        let h = headers(&[("set-cookie", "videobank_sessionid=c001~4facf3b0; Path=/")]);
        assert_eq!(session_key(&h).unwrap().expose_secret(), "c001~4facf3b0");
        let h = headers(&[
            ("set-cookie", "auth_key=; Path=/"),
            ("set-cookie", "x_auth_key=1"),
        ]);
        assert!(session_key(&h).is_none());
        assert!(session_key(&HeaderMap::new()).is_none());
    }

    #[test]
    fn server_message_from_header_or_envelope() {
        let body = br#"{"status_code": 400, "message": "no matching asset", "data": null }"#;
        let msg = server_message(&HeaderMap::new(), body);
        assert!(is_no_matching_asset(msg.as_deref()));
        let h = headers(&[("x-ee-server-message", "session expired")]);
        assert_eq!(server_message(&h, b"").as_deref(), Some("session expired"));
        assert_eq!(
            server_message(&HeaderMap::new(), b"<html>oops</html>"),
            None
        );
        assert!(!is_no_matching_asset(Some("bad request")));
        assert!(!is_no_matching_asset(None));
    }

    #[test]
    fn image_lists_sorted_newest_first() {
        let body = br#"[{"t":"PRFR","s":"20181001000000.045"},{"t":"PRFR","s":"20181001000002.045"},
            {"t":"PRTH","s":"20181001000003.000"},{"t":"PRFR","s":"garbage"},{"s":"20181001000001.045"},
            {"t":"PRFR","s":"20181001000002.045"},42,{"t":"PRFR"}]"#;
        let list: Vec<String> = parse_image_list(body)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            list,
            [
                "20181001000002.045",
                "20181001000001.045",
                "20181001000000.045"
            ]
        );
        assert_eq!(parse_image_list(b"[]").unwrap(), vec![]);
        assert_eq!(
            parse_image_list(b"[{\"t\":\"PRFR\",\"s\":\"2018"),
            Err(BadList)
        );
        assert_eq!(parse_image_list(b"<html></html>"), Err(BadList));
        assert_eq!(parse_image_list(b"{}"), Err(BadList));
    }
}

/// Property tests (issue 13): headers and bodies of any content are read or refused, never a
/// panic; what the formats can write is read back.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;
    use crate::fuzzing::{config, json, mutated, mutated_bytes, text};

    fn instant() -> impl Strategy<Value = EenTimestamp> {
        (0i64..4_102_444_800_000).prop_map(EenTimestamp::from_millis)
    }

    /// Headers with `name` set to `value`, when it can be a header value at all.
    fn header(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
        headers
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_frame_header_is_a_time_or_none(value in text()) {
            if let Some(ts) = frame_timestamp(&header("x-ee-timestamp", &value)) {
                prop_assert!(value.contains(&ts.to_string()));
            }
        }

        #[test]
        fn frame_headers_round_trip(kind in "[a-z]{0,10}", ts in instant()) {
            let value = format!("{kind}-{ts}");
            prop_assert_eq!(frame_timestamp(&header("x-ee-timestamp", &value)), Some(ts));
        }

        #[test]
        fn near_valid_frame_headers_are_a_time_or_none(
            value in mutated(instant().prop_map(|ts| format!("preview-{ts}")))
        ) {
            let _ = frame_timestamp(&header("x-ee-timestamp", &value));
        }

        #[test]
        fn any_set_cookie_gives_a_key_or_none(value in text()) {
            if let Some(key) = session_key(&header("set-cookie", &value)) {
                prop_assert!(!key.expose_secret().is_empty());
                prop_assert!(value.contains(key.expose_secret()));
            }
        }

        #[test]
        fn set_cookies_round_trip(key in "[A-Za-z0-9]{1,40}", attrs in "(; [A-Za-z]+=[a-z/]*){0,3}") {
            let value = format!("auth_key={key}{attrs}");
            let got = session_key(&header("set-cookie", &value));
            prop_assert_eq!(got.as_ref().map(ExposeSecret::expose_secret), Some(key.as_str()));
        }

        #[test]
        fn any_error_answer_gives_a_message_or_none(
            value in text(),
            body in prop::collection::vec(any::<u8>(), 0..64)
        ) {
            let _ = server_message(&header("x-ee-server-message", &value), &body);
            let _ = server_message(&HeaderMap::new(), &body);
        }

        #[test]
        fn envelopes_give_their_message(message in text(), data in json()) {
            let body = json!({"status_code": 400, "message": message, "data": data}).to_string();
            prop_assert_eq!(server_message(&HeaderMap::new(), body.as_bytes()), Some(message));
        }

        #[test]
        fn any_list_body_is_times_or_bad_list(body in prop::collection::vec(any::<u8>(), 0..64)) {
            match parse_image_list(&body) {
                Ok(_) | Err(BadList) => {}
            }
        }

        #[test]
        fn any_json_list_is_times_or_bad_list(value in json()) {
            let is_array = value.is_array();
            prop_assert_eq!(parse_image_list(value.to_string().as_bytes()).is_ok(), is_array);
        }

        #[test]
        fn lists_give_their_preview_times_newest_first_once(
            items in prop::collection::vec((prop::option::of("PRFR|PRTH|X"), instant()), 0..12)
        ) {
            let body: Vec<serde_json::Value> = items
                .iter()
                .map(|(t, ts)| match t {
                    Some(t) => json!({"t": t, "s": ts.to_string()}),
                    None => json!({"s": ts.to_string()}),
                })
                .collect();
            let mut want: Vec<EenTimestamp> = items
                .iter()
                .filter(|(t, _)| t.as_deref().is_none_or(|t| t == "PRFR"))
                .map(|&(_, ts)| ts)
                .collect();
            want.sort_unstable_by(|a, b| b.cmp(a));
            want.dedup();
            let body = serde_json::to_vec(&body).unwrap();
            prop_assert_eq!(parse_image_list(&body), Ok(want));
        }

        #[test]
        fn near_valid_lists_are_times_or_bad_list(
            body in mutated_bytes(
                prop::collection::vec(instant(), 1..4).prop_map(|times| {
                    let items: Vec<_> =
                        times.iter().map(|ts| json!({"t": "PRFR", "s": ts.to_string()})).collect();
                    serde_json::to_vec(&items).unwrap()
                })
            )
        ) {
            match parse_image_list(&body) {
                Ok(_) | Err(BadList) => {}
            }
        }
    }
}
