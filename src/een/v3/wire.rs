//! TEMPORARY (replaced by the v3-media branch): v3 wire details.

use reqwest::header::HeaderMap;

use crate::timestamp::EenTimestamp;

pub(crate) fn format_timestamp(ts: EenTimestamp) -> String {
    ts.to_timestamp()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

pub(crate) fn parse_timestamp(text: &str) -> Option<EenTimestamp> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(EenTimestamp::from_timestamp)
}

pub(crate) struct FrameHeaders {
    pub(crate) timestamp: Option<EenTimestamp>,
    pub(crate) prev: Option<String>,
}

pub(crate) fn frame_headers(headers: &HeaderMap) -> FrameHeaders {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    FrameHeaders {
        timestamp: text("x-een-timestamp").as_deref().and_then(parse_timestamp),
        prev: text("x-een-prevtoken"),
    }
}

pub(crate) fn error_reason(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["details"]
        .as_array()?
        .iter()
        .find(|d| d["type"] == "errorInfo")?["reason"]
        .as_str()
        .map(str::to_owned)
}
