//! JPEG encoding of a frame, and the comment segment `een-sim esn=<esn> ts=<ts>` that names
//! its camera and exact timestamp, spliced into the cached encoding on every request.

use bytes::Bytes;

use super::canvas::Canvas;
use crate::timestamp::EenTimestamp;

/// JPEG quality: small files (about 10 KiB at 320x240) that still keep the 8x8 text legible.
const QUALITY: u8 = 80;

/// A cached JPEG and where its comment segment goes (just after SOI and APP0).
#[derive(Clone)]
pub(crate) struct Encoded {
    pub(crate) jpeg: Bytes,
    comment_at: usize,
}

/// Encodes a frame's pixels once, remembering where its comment segment goes.
pub(crate) fn encode(canvas: &Canvas) -> Encoded {
    let jpeg = encode_rgb(canvas);
    let comment_at = comment_offset(&jpeg);
    Encoded {
        jpeg: Bytes::from(jpeg),
        comment_at,
    }
}

/// The cached JPEG of `esn` with the comment naming it and the exact timestamp `ts` (in EEN
/// format, e.g. `een-sim esn=100c1b64 ts=20261128053812.149`).
pub(crate) fn with_comment(frame: &Encoded, esn: &str, ts: EenTimestamp) -> Bytes {
    splice_comment(frame, &format!("een-sim esn={esn} ts={ts}"))
}

/// Encodes a canvas as a baseline JFIF JPEG (SOI, APP0 JFIF, DQT, SOF0, DHT, SOS, EOI).
fn encode_rgb(canvas: &Canvas) -> Vec<u8> {
    let mut out = Vec::with_capacity(canvas.px.len() / 4);
    let encoder = jpeg_encoder::Encoder::new(&mut out, QUALITY);
    // Cannot fail: both sides are at least MIN_SIDE and at most u16::MAX (they came from u16),
    // the buffer holds exactly w * h RGB pixels, and writing to a Vec does not fail.
    encoder
        .encode(
            canvas.px.as_flattened(),
            canvas.w as u16,
            canvas.h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding an in-memory RGB buffer of valid size");
    out
}

/// Where the comment segment goes: after SOI and, when present, the JFIF APP0 segment.
fn comment_offset(jpeg: &[u8]) -> usize {
    match jpeg {
        [0xFF, 0xD8, 0xFF, 0xE0, hi, lo, ..] => {
            (4 + usize::from(u16::from_be_bytes([*hi, *lo]))).min(jpeg.len())
        }
        _ => 2.min(jpeg.len()),
    }
}

/// Copies the cached JPEG with a comment segment (FF FE, big-endian length) inserted.
fn splice_comment(frame: &Encoded, text: &str) -> Bytes {
    // A segment holds at most 65,533 bytes of payload; ESNs are 8 characters, so this only
    // guards against absurd input.
    let mut end = text.len().min(usize::from(u16::MAX) - 2);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text.as_bytes()[..end];
    let (head, tail) = frame.jpeg.split_at(frame.comment_at);
    let mut out = Vec::with_capacity(frame.jpeg.len() + text.len() + 4);
    out.extend_from_slice(head);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(tail);
    Bytes::from(out)
}
