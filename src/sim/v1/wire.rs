//! What goes on the wire: the error envelope, pretty JSON, EEN's header sets, dates, cookies.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, EXPIRES, HeaderMap, HeaderName, HeaderValue,
    RETRY_AFTER, SERVER, SET_COOKIE, VARY,
};
use axum::response::Response;
use hyper::ext::ReasonPhrase;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rand::RngExt;
use serde::Serialize;

use crate::sim::http::body::BodyError;

pub(crate) const X_EE_SERVER_MESSAGE: HeaderName = HeaderName::from_static("x-ee-server-message");
pub(crate) const X_EE_REQUEST_ID: HeaderName = HeaderName::from_static("x-ee-request-id");
pub(crate) const P3P: HeaderName = HeaderName::from_static("p3p");
const P3P_VALUE: &str = "policyref=\"/w3c/p3p.xml\", CP=\"IDC DSP COR ADM DEVi TAIi PSA PSD IVAi IVDi CONi HIS OUR IND CNT\"";
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// An EEN error answer: status, reason phrase and the envelope's message (SIM-61).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    /// The HTTP reason phrase (EEN sends custom, lowercase ones).
    pub(crate) reason: &'static str,
    /// `message` in the envelope and the `X-Ee-Server-Message` header.
    pub(crate) message: Cow<'static, str>,
    /// `Retry-After` seconds (429 only, when switched on).
    pub(crate) retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: u16, reason: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a specific message; the reason phrase is always `bad request` (as observed).
    pub(crate) fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(400, "bad request", message)
    }

    /// The observed transient answer: `400 bad request`, message `no matching asset`.
    pub(crate) fn no_matching_asset() -> Self {
        Self::bad_request("no matching asset")
    }

    /// The observed 401 answer of every authenticated endpoint (SIM-21).
    pub(crate) fn session_expired() -> Self {
        Self::new(401, "session expired", "session expired")
    }

    /// 401 from authenticate (wrong user or password) or authorize (bad token).
    pub(crate) fn unauthorized(message: &'static str) -> Self {
        Self::new(401, "unauthorized", message)
    }

    pub(crate) fn forbidden() -> Self {
        Self::new(403, "forbidden", "missing privileges")
    }

    pub(crate) fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(404, "not found", message)
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(405, "method not allowed", "unexpected HTTP method")
    }

    pub(crate) fn asset_timeout() -> Self {
        Self::new(408, "request timeout", "timeout waiting for asset")
    }

    pub(crate) fn payload_too_large() -> Self {
        Self::new(413, "payload too large", "request body too large")
    }

    /// SIM-50: the documented 429 text, shortened as the spec's envelope has it.
    pub(crate) fn too_many_requests(retry_after: Option<u32>) -> Self {
        Self {
            retry_after,
            ..Self::new(429, "too many requests", "Too many requests")
        }
    }

    pub(crate) fn internal() -> Self {
        Self::new(500, "internal server error", "internal server error")
    }

    pub(crate) fn unavailable() -> Self {
        Self::new(503, "service unavailable", "service unavailable")
    }

    /// An account or user state from authenticate (SIM-11).
    pub(crate) fn login_state(status: u16) -> Self {
        match status {
            402 => Self::new(402, "payment required", "account is suspended"),
            412 => Self::new(412, "precondition failed", "user is disabled"),
            460 => Self::new(460, "account inactive", "account is inactive"),
            461 => Self::new(461, "account pending", "account is pending"),
            462 => Self::new(462, "user pending", "user is pending"),
            _ => Self::unauthorized("invalid credentials"),
        }
    }

    /// An injected server error (SIM-51), with the documented texts.
    pub(crate) fn injected(status: u16) -> Self {
        match status {
            500 => Self::internal(),
            502 => Self::new(502, "bad gateway", "Bad gateway, please try again"),
            503 => Self::new(503, "service unavailable", "camera tag maps error"),
            504 => Self::new(504, "gateway timeout", "Gateway timeout, please try again"),
            other => Self::new(other, "error", "injected error"),
        }
    }

    /// The envelope body, byte for byte as EEN writes it (note the space before `}`).
    pub(crate) fn body(&self) -> String {
        let message = serde_json::to_string(&self.message).unwrap_or_else(|_| "\"\"".to_owned());
        format!(
            "{{\"status_code\": {}, \"message\": {message}, \"data\": null }}",
            self.status
        )
    }

    /// The full response: envelope, `application/json` without charset, reason phrase and
    /// `X-Ee-Server-Message`.
    pub(crate) fn into_response(self) -> Response {
        let body = self.body();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        set_reason(&mut response, self.reason);
        let headers = response.headers_mut();
        headers.insert(SERVER, HeaderValue::from_static("openresty"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        put(headers, X_EE_SERVER_MESSAGE, &self.message);
        if let Some(secs) = self.retry_after {
            put(headers, RETRY_AFTER, &secs.to_string());
        }
        response
    }
}

impl From<BodyError> for ApiError {
    /// An unreadable body: 413 when too large, else 400 with what is wrong.
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::payload_too_large(),
            other => Self::bad_request(other.to_string()),
        }
    }
}

/// Puts a custom HTTP/1 reason phrase on `response` (ignored when it is not valid text).
pub(crate) fn set_reason(response: &mut Response, reason: &'static str) {
    if let Ok(phrase) = ReasonPhrase::try_from(reason.as_bytes()) {
        response.extensions_mut().insert(phrase);
    }
}

/// Inserts a header whose value we generated; a value that is not a valid header (which our
/// generated values never are) is left out rather than failing the request.
pub(crate) fn put(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Like [`put`], but adds another value instead of replacing.
pub(crate) fn append(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(name, value);
    }
}

/// JSON pretty-printed like Python's `json.dumps(indent=4)`: 4 spaces, `": "`, no trailing
/// newline.
pub(crate) fn pretty_json(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serializing `serde_json::Value`s and plain structs into a Vec cannot fail.
    if value.serialize(&mut serializer).is_err() {
        out = b"null".to_vec();
    }
    out
}

/// A `/g/...` JSON answer with EEN's header set (SIM-60).
pub(crate) fn g_json(status: StatusCode, body: Vec<u8>, now: Timestamp) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    g_headers(response.headers_mut(), now);
    put(response.headers_mut(), CONTENT_TYPE, JSON_UTF8);
    response
}

/// EEN's headers on every `/g/...` answer, apart from `Content-Type`.
pub(crate) fn g_headers(headers: &mut HeaderMap, now: Timestamp) {
    headers.insert(SERVER, HeaderValue::from_static("openresty"));
    headers.insert(
        VARY,
        HeaderValue::from_static("Authorization, Cookie, Accept-Encoding"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=86400"));
    put(
        headers,
        EXPIRES,
        &http_date(now + jiff::SignedDuration::from_hours(24)),
    );
    put(headers, X_EE_REQUEST_ID, &hex_id());
    headers.insert(P3P, HeaderValue::from_static(P3P_VALUE));
}

/// A 204 with EEN's `/g/` headers (logout).
pub(crate) fn g_no_content(now: Timestamp) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    g_headers(response.headers_mut(), now);
    response.headers_mut().remove(CONTENT_LENGTH);
    response
}

/// 32 random lowercase hex digits (request ids, session keys).
pub(crate) fn hex_id() -> String {
    let n: u128 = rand::rng().random();
    format!("{n:032x}")
}

/// `Tue, 09 Apr 2019 06:37:25 GMT` (RFC 1123, for `Expires`).
pub(crate) fn http_date(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// `Tue, 09-Apr-2019 06:37:25 GMT` (the dashed Netscape form EEN uses in cookies).
pub(crate) fn cookie_date(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::UTC)
        .strftime("%a, %d-%b-%Y %H:%M:%S GMT")
        .to_string()
}

/// One session cookie exactly as EEN's authorize sets it (SIM-13):
/// `auth_key=c000~…; Domain=.eagleeyenetworks.com; expires=…; httponly; Max-Age=14399; Path=/`.
pub(crate) fn session_cookie(
    name: &str,
    key: &str,
    domain: Option<&str>,
    max_age_secs: u64,
    now: Timestamp,
) -> String {
    let expires = now + jiff::SignedDuration::from_secs(i64::try_from(max_age_secs).unwrap_or(0));
    let domain = domain.map(|d| format!("Domain=.{d}; ")).unwrap_or_default();
    format!(
        "{name}={key}; {domain}expires={}; httponly; Max-Age={max_age_secs}; Path=/",
        cookie_date(expires)
    )
}

/// Adds both session cookies (`auth_key` and `videobank_sessionid`, same value).
pub(crate) fn add_session_cookies(
    headers: &mut HeaderMap,
    key: &str,
    domain: Option<&str>,
    max_age_secs: u64,
    now: Timestamp,
) {
    for name in ["auth_key", "videobank_sessionid"] {
        append(
            headers,
            SET_COOKIE,
            &session_cookie(name, key, domain, max_age_secs, now),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn sim_21_envelopes_are_byte_exact_with_the_observed_lengths() {
        let expired = ApiError::session_expired().body();
        assert_eq!(
            expired,
            r#"{"status_code": 401, "message": "session expired", "data": null }"#
        );
        assert_eq!(expired.len(), 65);
        let none = ApiError::no_matching_asset().body();
        assert_eq!(
            none,
            r#"{"status_code": 400, "message": "no matching asset", "data": null }"#
        );
        assert_eq!(none.len(), 67);
    }

    #[test]
    fn every_reason_phrase_is_a_valid_reason() {
        let mut all = vec![
            ApiError::bad_request("x"),
            ApiError::session_expired(),
            ApiError::unauthorized("x"),
            ApiError::forbidden(),
            ApiError::not_found("x"),
            ApiError::method_not_allowed(),
            ApiError::asset_timeout(),
            ApiError::payload_too_large(),
            ApiError::too_many_requests(Some(1)),
            ApiError::unavailable(),
        ];
        all.extend([402, 412, 460, 461, 462].map(ApiError::login_state));
        all.extend([500, 502, 503, 504, 418].map(ApiError::injected));
        for e in all {
            assert!(ReasonPhrase::try_from(e.reason.as_bytes()).is_ok(), "{e:?}");
            let response = e.clone().into_response();
            assert_eq!(response.status().as_u16(), e.status);
            assert!(response.extensions().get::<ReasonPhrase>().is_some());
        }
    }

    #[test]
    fn unreadable_bodies_answer_413_or_400_with_what_is_wrong() {
        assert_eq!(
            ApiError::from(BodyError::TooLarge),
            ApiError::payload_too_large()
        );
        for (error, message) in [
            (BodyError::MalformedJson, "malformed JSON body"),
            (BodyError::NotAnObject, "expected a JSON object"),
            (
                BodyError::InvalidArgument("n".to_owned()),
                "invalid argument: n",
            ),
            (BodyError::MalformedMultipart, "malformed multipart body"),
        ] {
            assert_eq!(ApiError::from(error), ApiError::bad_request(message));
        }
    }

    #[test]
    fn sim_60_pretty_json_uses_four_spaces_and_no_trailing_newline() {
        let v = serde_json::json!({"token": "a+b/c==", "n": [1, null, {}], "e": []});
        let text = String::from_utf8(pretty_json(&v)).unwrap();
        assert_eq!(
            text,
            "{\n    \"e\": [],\n    \"n\": [\n        1,\n        null,\n        {}\n    ],\n    \"token\": \"a+b/c==\"\n}"
        );
    }

    #[test]
    fn sim_13_cookie_attributes_match_the_recorded_format() {
        let now = at("2019-04-09T02:37:26Z");
        assert_eq!(
            session_cookie(
                "auth_key",
                "c000~4533aa65833bda257aa4d5900530a8e6",
                Some("eagleeyenetworks.com"),
                14399,
                now
            ),
            "auth_key=c000~4533aa65833bda257aa4d5900530a8e6; Domain=.eagleeyenetworks.com; \
             expires=Tue, 09-Apr-2019 06:37:25 GMT; httponly; Max-Age=14399; Path=/"
        );
        assert_eq!(
            session_cookie("videobank_sessionid", "c000~ab", None, 0, now),
            "videobank_sessionid=c000~ab; expires=Tue, 09-Apr-2019 02:37:26 GMT; httponly; \
             Max-Age=0; Path=/"
        );
    }

    #[test]
    fn http_dates_are_rfc_1123() {
        assert_eq!(
            http_date(at("2019-04-10T02:37:25Z")),
            "Wed, 10 Apr 2019 02:37:25 GMT"
        );
        assert_eq!(hex_id().len(), 32);
        assert!(
            hex_id()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}
