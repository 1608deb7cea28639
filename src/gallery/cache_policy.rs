//! Every `Cache-Control` the gallery sends, in one place: what each kind of answer may be
//! kept for, by browsers and by shared caches in front of the gallery.

use std::time::Duration;

use axum::http::HeaderValue;

/// Images by timestamp, and assets asked for by their current version: they never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Pages, error pages and the ops endpoints: live data, never kept.
pub const NO_STORE: &str = "no-store";

/// The placeholder answered for a late, failed or missing image: kept briefly, so the browser
/// asks again soon (a late image is in the cache by then).
pub const PLACEHOLDER: &str = "public, max-age=10";

/// An asset asked for without (or with an old) version: revalidated after a few minutes.
pub const UNVERSIONED_ASSET: &str = "public, max-age=300";

/// `/favicon.ico`, which browsers ask for by that fixed name.
pub const FAVICON: &str = "public, max-age=86400";

/// The header value of one of the constants above.
pub fn header(policy: &'static str) -> HeaderValue {
    HeaderValue::from_static(policy)
}

/// A camera's latest preview: kept as long as the gallery reuses it itself.
pub fn latest_preview(max_age: Duration) -> HeaderValue {
    let value = format!("public, max-age={}", max_age.as_secs());
    // Digits and constants only: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| header(NO_STORE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_preview_lives_as_long_as_it_is_reused() {
        assert_eq!(latest_preview(Duration::from_secs(5)), "public, max-age=5");
        assert_eq!(
            latest_preview(Duration::from_millis(1500)),
            "public, max-age=1"
        );
    }
}
