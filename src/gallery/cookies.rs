//! Reading and setting the gallery's cookies: every one `HttpOnly` (no script reads them) and
//! `SameSite` (not sent with other sites' subrequests or form posts), `Secure` when the
//! gallery's public URL is `https`.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// How a cookie is sent back.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// The path it is sent for.
    pub path: &'a str,
    /// `Strict` or `Lax`.
    pub same_site: &'static str,
    /// Only over https.
    pub secure: bool,
}

/// `Set-Cookie` for `name`: `value` for `max_age`, or cleared (`None`).
pub fn set(name: &str, value: Option<&str>, max_age: Duration, scope: Scope<'_>) -> HeaderValue {
    // A `;` would end the attribute early; such a base path gets a cookie that never matches.
    let path = scope.path.replace(';', "%3B");
    let (value, max_age) = match value {
        Some(value) => (value, max_age.as_secs()),
        None => ("", 0),
    };
    let secure = if scope.secure { "; Secure" } else { "" };
    let same_site = scope.same_site;
    let cookie = format!(
        "{name}={value}; HttpOnly; SameSite={same_site}; Path={path}; Max-Age={max_age}{secure}"
    );
    // URL-safe base64 values, a path without `;` and constants: always a valid header value.
    HeaderValue::try_from(cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; een_connectx=2"),
        );
        assert_eq!(value(&headers, "een_connect"), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("b=2;een_connect=xyz; c=3"),
        );
        assert_eq!(value(&headers, "een_connect"), Some("xyz"));
        assert_eq!(value(&HeaderMap::new(), "een_connect"), None);
    }
}
