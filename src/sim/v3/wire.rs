//! The v3 wire format: the `ApiV3Error` envelope (spec §5), query strings (§3.2), ISO 8601
//! timestamps (§4) and opaque page tokens (§3.4).

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use crate::timestamp::EenTimestamp;

/// The most page entries one answer holds (`pageSize` is clamped to `1..=MAX_PAGE_SIZE`).
pub(crate) const MAX_PAGE_SIZE: usize = 500;
/// `pageSize` when none is given.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// An error answer in the §5.1 envelope, with the §5.2 status, reason and message texts.
#[derive(Debug, Clone)]
pub(crate) struct V3Error {
    code: u16,
    status: &'static str,
    message: String,
    details: Vec<Value>,
    retry_after: Option<u32>,
}

impl V3Error {
    fn new(
        code: u16,
        status: &'static str,
        reason: &'static str,
        message: &str,
        path: &str,
    ) -> Self {
        Self {
            code,
            status,
            message: message.to_owned(),
            details: vec![json!({
                "type": "errorInfo",
                "reason": reason,
                "domain": "apiv3",
                "metadata": { "path": path },
            })],
            retry_after: None,
        }
    }

    /// The HTTP status.
    #[cfg(test)]
    pub(crate) fn code(&self) -> u16 {
        self.code
    }

    /// 401: no, a bad, an expired, a revoked or a rotated-away access token.
    pub(crate) fn unauthenticated(path: &str) -> Self {
        Self::new(
            401,
            "unauthenticated",
            "unauthenticated",
            "The client caller does not have a valid authentication credential",
            path,
        )
    }

    /// 400: query parameters the endpoint does not know.
    pub(crate) fn unexpected_argument(path: &str, names: &[&str]) -> Self {
        let message = format!("Unexpected argument: {}", names.join(", "));
        Self::new(400, "invalidArgument", "unexpectedArgument", &message, path)
    }

    /// 400: required parameters that are missing.
    pub(crate) fn missing_argument(path: &str, names: &[&str]) -> Self {
        let message = format!("Missing required arguments: {}", names.join(", "));
        Self::new(
            400,
            "invalidArgument",
            "missingRequiredArgument",
            &message,
            path,
        )
    }

    /// 400: a parameter with a value it may not have; `problem` completes "Argument NAME …".
    pub(crate) fn wrong_value(path: &str, name: &str, problem: &str) -> Self {
        let message = format!("Invalid Argument: Argument {name} {problem}");
        let mut error = Self::new(400, "invalidArgument", "wrongArgumentValue", &message, path);
        let mut description = format!("{name} {problem}");
        if let Some(first) = description.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        error.details.push(json!({
            "type": "badRequest",
            "argumentViolations": [{ "argumentName": name, "description": description }],
        }));
        error
    }

    /// 403: the user may not see this resource.
    pub(crate) fn permission_denied(path: &str) -> Self {
        Self::new(
            403,
            "permissionDenied",
            "invalidPermission",
            "The client caller does not have permission for the specified operation",
            path,
        )
    }

    /// 404 with a `resourceInfo` detail naming what was not found.
    pub(crate) fn resource_not_found(path: &str, resource: &str, id: &str) -> Self {
        let mut error = Self::new(
            404,
            "notFound",
            "resourceNotFound",
            "The resource was not found",
            path,
        );
        error.details.push(json!({
            "type": "resourceInfo",
            "resource": resource,
            "ids": [id],
        }));
        error
    }

    /// 404: no such endpoint.
    pub(crate) fn endpoint_not_found(path: &str) -> Self {
        Self::new(
            404,
            "notFound",
            "endpointNotFound",
            "The API endpoint was not found",
            path,
        )
    }

    /// 405: the endpoint exists but not for this method.
    pub(crate) fn method_not_supported(path: &str) -> Self {
        Self::new(
            405,
            "methodNotSupported",
            "methodNotSupported",
            "The method is not supported for this endpoint",
            path,
        )
    }

    /// 429, with `Retry-After: secs` when given.
    pub(crate) fn too_many_requests(path: &str, retry_after: Option<u32>) -> Self {
        let mut error = Self::new(
            429,
            "tooManyRequests",
            "tooManyRequests",
            "Too many requests in a given amount of time",
            path,
        );
        error.retry_after = retry_after;
        error
    }

    /// 503: the camera cannot deliver an image now.
    pub(crate) fn device_unavailable(path: &str) -> Self {
        Self::new(
            503,
            "unavailable",
            "deviceUnavailable",
            "The resource is currently not available, please try later again",
            path,
        )
    }

    /// 503: the service is going away (the simulator shuts down).
    pub(crate) fn service_unavailable(path: &str) -> Self {
        Self::new(
            503,
            "unavailable",
            "serviceUnavailable",
            "The service is currently not available, please try later again",
            path,
        )
    }

    /// 413: a request body over the limit.
    pub(crate) fn payload_too_large(path: &str) -> Self {
        Self::new(
            413,
            "invalidArgument",
            "contentNotSupported",
            "The request body is too large",
            path,
        )
    }

    /// An injected fault (V3-SIM-40): 500 `internal`, 503 `unavailable`, others as given.
    pub(crate) fn injected(status: u16, path: &str) -> Self {
        match status {
            503 => Self::service_unavailable(path),
            504 => Self::new(
                504,
                "deadlineExceeded",
                "deadlineExpired",
                "The deadline expired before the operation could complete",
                path,
            ),
            _ => Self {
                code: status,
                ..Self::new(
                    500,
                    "internal",
                    "unexpectedError",
                    "An internal error has occurred. Please try again later.",
                    path,
                )
            },
        }
    }
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "details": self.details,
        });
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_response(status, &body);
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A query string, split on `&` only and form-decoded (so a raw `+` becomes a space, as
/// EEN's own parsing does; §3.2). Repeated keys: the last wins.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string or `application/x-www-form-urlencoded` body.
    pub(crate) fn parse(raw: &[u8]) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(raw)
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The value of `name`, if sent (possibly empty).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like [`get`](Self::get), with an empty value counting as absent.
    pub(crate) fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Whether `name` was sent at all.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The keys not in `allowed`, each once, in the order sent.
    pub(crate) fn unknown<'a>(&'a self, allowed: &[&str]) -> Vec<&'a str> {
        let mut unknown: Vec<&str> = Vec::new();
        for (k, _) in &self.pairs {
            if !allowed.contains(&k.as_str()) && !unknown.contains(&k.as_str()) {
                unknown.push(k);
            }
        }
        unknown
    }

    /// 400 `unexpectedArgument` for keys not in `allowed`.
    pub(crate) fn only(&self, path: &str, allowed: &[&str]) -> Result<(), V3Error> {
        let unknown = self.unknown(allowed);
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(V3Error::unexpected_argument(path, &unknown))
        }
    }

    /// 400 `missingRequiredArgument` for the `required` keys not sent (or sent empty).
    pub(crate) fn require(&self, path: &str, required: &[&str]) -> Result<(), V3Error> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| self.get_nonempty(name).is_none())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(V3Error::missing_argument(path, &missing))
        }
    }

    /// A comma list (`include=status,timeZone`; §3.2), without empty items.
    pub(crate) fn list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `include`, checked against the values the endpoint knows.
    pub(crate) fn includes<'a>(
        &'a self,
        path: &str,
        known: &[&str],
    ) -> Result<Vec<&'a str>, V3Error> {
        let items = self.list("include");
        match items.iter().find(|i| !known.contains(i)) {
            Some(bad) => Err(V3Error::wrong_value(
                path,
                "include",
                &format!("has an unknown value {}", quoted(bad)),
            )),
            None => Ok(items),
        }
    }

    /// `pageSize`, clamped to `1..=MAX_PAGE_SIZE` (§3.4); not a number → 400.
    pub(crate) fn page_size(&self, path: &str) -> Result<usize, V3Error> {
        match self.get_nonempty("pageSize") {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(|n| usize::try_from(n.clamp(1, MAX_PAGE_SIZE as i64)).unwrap_or(1))
                .map_err(|_| V3Error::wrong_value(path, "pageSize", "must be an integer")),
        }
    }
}

/// A value for an error message: cut short and quoted, so the message stays one small line.
pub(crate) fn quoted(value: &str) -> String {
    let short: String = value.chars().take(40).collect();
    format!("{short:?}")
}

/// Why a timestamp parameter is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TimeError {
    /// A `Z` instead of `+00:00` (rejected on `/media`, §4).
    #[error("must use an offset such as +00:00, not Z")]
    Zulu,
    /// A raw `+` that the query decoding turned into a space (§3.2).
    #[error("contains a space: send + as %2B")]
    UnencodedPlus,
    /// Anything else.
    #[error("must be an ISO 8601 timestamp such as 2025-01-21T08:38:49.991+00:00")]
    Malformed,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]±hh:mm` (or `…Z` when `allow_z`) to ms since the epoch.
pub(crate) fn parse_timestamp(value: &str, allow_z: bool) -> Result<i64, TimeError> {
    if value.contains(' ') {
        return Err(TimeError::UnencodedPlus);
    }
    let b = value.as_bytes();
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !shape {
        return Err(TimeError::Malformed);
    }
    let mut rest = &value[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(TimeError::Malformed);
        }
        rest = &fraction[digits..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] if !allow_z => return Err(TimeError::Zulu),
        [b'Z' | b'z'] => {}
        [b'+' | b'-', h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {}
        _ => return Err(TimeError::Malformed),
    }
    value
        .parse::<jiff::Timestamp>()
        .map(|ts| ts.as_millisecond())
        .map_err(|_| TimeError::Malformed)
}

/// `2024-11-07T20:44:09.439+00:00`: UTC with milliseconds, as every v3 response writes it.
pub(crate) fn format_timestamp(ms: i64) -> String {
    let dt = EenTimestamp::from_millis(ms)
        .to_timestamp()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// An opaque page token: URL-safe base64 of `kind:offset` (clients only pass it back).
pub(crate) fn page_token(kind: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{offset}"))
}

/// The offset a page token of `kind` carries; 400 for anything else.
pub(crate) fn page_offset(path: &str, kind: &str, token: &str) -> Result<usize, V3Error> {
    let bad = || V3Error::wrong_value(path, "pageToken", "is not a valid page token");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (k, offset) = text.rsplit_once(':').ok_or_else(bad)?;
    if k != kind {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}

/// One page of `items` at the request's `pageToken`/`pageSize`, in the §3.4 envelope;
/// `total_size` is added where the endpoint has one.
pub(crate) fn page(
    query: &Query,
    path: &str,
    kind: &str,
    items: Vec<Value>,
    total_size: Option<usize>,
) -> Result<Value, V3Error> {
    let size = query.page_size(path)?;
    let offset = match query.get_nonempty("pageToken") {
        Some(token) => page_offset(path, kind, token)?,
        None => 0,
    };
    let end = offset.saturating_add(size).min(items.len());
    let next = if end < items.len() {
        page_token(kind, end)
    } else {
        String::new()
    };
    let prev = if offset > 0 {
        page_token(kind, offset.saturating_sub(size))
    } else {
        String::new()
    };
    let results: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(end.saturating_sub(offset))
        .collect();
    let mut body = json!({
        "nextPageToken": next,
        "prevPageToken": prev,
        "results": results,
    });
    if let Some(total) = total_size {
        body["totalSize"] = json!(total);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_sim_23_timestamps_parse_with_any_offset_and_reject_z_and_spaces() {
        let utc = parse_timestamp("2022-08-08T07:57:37.000+00:00", false).unwrap();
        assert_eq!(format_timestamp(utc), "2022-08-08T07:57:37.000+00:00");
        let local = parse_timestamp("2022-08-08T01:57:37.000-06:00", false).unwrap();
        assert_eq!(local, utc);
        assert_eq!(
            parse_timestamp("2022-08-08T07:57:37.000Z", false),
            Err(TimeError::Zulu)
        );
        assert_eq!(parse_timestamp("2022-08-08T07:57:37.000Z", true), Ok(utc));
        assert_eq!(
            parse_timestamp("2022-08-08T07:57:37.000 00:00", false),
            Err(TimeError::UnencodedPlus)
        );
        assert_eq!(parse_timestamp("2022-08-08T07:57:37+00:00", false), Ok(utc));
        for bad in [
            "",
            "now",
            "20220808075737.000",
            "2022-08-08 07:57:37.000+00:00",
            "2022-13-08T07:57:37.000+00:00",
            "2022-08-08T07:57:37.+00:00",
            "2022-08-08T07:57:37.000+0000",
            "2022-08-08T07:57:37.000+00:00[UTC]",
            "２０２２-08-08T07:57:37.000+00:00",
        ] {
            assert!(parse_timestamp(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn v3_sim_22_page_tokens_round_trip_and_refuse_others() {
        let token = page_token("cameras", 100);
        assert_eq!(page_offset("/p", "cameras", &token).unwrap(), 100);
        assert_eq!(page_offset("/p", "media", &token).unwrap_err().code(), 400);
        assert_eq!(page_offset("/p", "cameras", "%%%").unwrap_err().code(), 400);
    }

    #[test]
    fn queries_split_on_ampersands_and_decode_plus_as_space() {
        let q = Query::parse(b"a=1&b=x+y;z&include=status,,timeZone&a=2");
        assert_eq!(q.get("a"), Some("2"));
        assert_eq!(q.get("b"), Some("x y;z"));
        assert_eq!(q.list("include"), ["status", "timeZone"]);
        assert_eq!(q.unknown(&["a"]), ["b", "include"]);
    }
}

/// Property tests (issue 13): timestamps, page tokens and query strings of any content are
/// read or answered with the typed error (a 400 envelope), never a panic; what the simulator
/// writes it reads back.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated, text};

    /// 1900 to 2100.
    fn instant() -> impl Strategy<Value = i64> {
        -2_208_988_800_000i64..4_102_444_800_000
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_text_is_a_time_or_a_time_error(
            s in prop_oneof![text(), mutated(instant().prop_map(format_timestamp))],
            allow_z in any::<bool>(),
        ) {
            match parse_timestamp(&s, allow_z) {
                Ok(_) => prop_assert!(!s.contains(' ')),
                Err(TimeError::UnencodedPlus) => prop_assert!(s.contains(' ')),
                Err(TimeError::Zulu) => prop_assert!(!allow_z && s.ends_with(['Z', 'z'])),
                Err(TimeError::Malformed) => {}
            }
        }

        #[test]
        fn formatted_times_round_trip(ms in instant(), allow_z in any::<bool>()) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(ms), allow_z), Ok(ms));
        }

        #[test]
        fn a_space_for_the_plus_is_named(ms in instant()) {
            let sent = format_timestamp(ms).replace('+', " ");
            prop_assert_eq!(parse_timestamp(&sent, false), Err(TimeError::UnencodedPlus));
        }

        #[test]
        fn any_page_token_is_an_offset_or_a_400(token in prop_oneof![
            text(),
            mutated((0usize..10_000).prop_map(|n| page_token("cameras", n))),
        ]) {
            if let Err(e) = page_offset("/p", "cameras", &token) {
                prop_assert_eq!(e.code(), 400);
            }
        }

        #[test]
        fn page_tokens_round_trip(kind in "[a-z]{1,10}", offset in any::<usize>()) {
            let token = page_token(&kind, offset);
            prop_assert_eq!(page_offset("/p", &kind, &token).ok(), Some(offset));
            let other = format!("{kind}x");
            prop_assert_eq!(page_offset("/p", &other, &token).unwrap_err().code(), 400);
        }

        #[test]
        fn any_query_is_read_or_a_400(raw in text(), size in text()) {
            let query = Query::parse(raw.as_bytes());
            let _ = (query.list("include"), query.unknown(&["a"]), query.has("a"));
            for result in [
                query.only("/p", &["a"]).err(),
                query.require("/p", &["a"]).err(),
                query.includes("/p", &["status"]).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(result.code(), 400);
            }
            let sized = Query::parse(format!("pageSize={}", enc(&size)).as_bytes());
            match sized.page_size("/p") {
                Ok(n) => prop_assert!((1..=MAX_PAGE_SIZE).contains(&n)),
                Err(e) => prop_assert_eq!(e.code(), 400),
            }
        }

        #[test]
        fn pages_of_any_token_and_size_are_a_page_or_a_400(
            token in prop_oneof![text(), (0usize..50).prop_map(|n| page_token("k", n))],
            size in prop_oneof![text(), any::<i64>().prop_map(|n| n.to_string())],
            items in 0usize..40,
        ) {
            let raw = format!("pageToken={}&pageSize={}", enc(&token), enc(&size));
            let items: Vec<Value> = (0..items).map(Value::from).collect();
            match page(&Query::parse(raw.as_bytes()), "/p", "k", items, Some(0)) {
                Ok(body) => prop_assert!(body["results"].is_array()),
                Err(e) => prop_assert_eq!(e.code(), 400),
            }
        }
    }

    fn enc(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }
}
