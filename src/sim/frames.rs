//! Preview frames: deterministic baseline JPEGs per (camera, timestamp).
//!
//! PLACEHOLDER owned by the `sim` branch only until the `frames` branch replaces this file: it
//! keeps the agreed interface and its contract (a valid baseline JPEG carrying the comment
//! `een-sim esn=<esn> ts=<ts>`, identical bytes for identical input), with one solid grey
//! picture for every frame.

use bytes::{BufMut, Bytes, BytesMut};

use crate::EenTimestamp;

/// The camera facts a frame is drawn from.
#[derive(Clone, Debug)]
pub(crate) struct FrameCamera {
    /// The camera ESN (8 lowercase hex digits).
    pub esn: String,
    /// The camera name, drawn into the picture.
    #[allow(dead_code)]
    pub name: String,
    /// The camera's time zone, for the local time drawn into the picture.
    #[allow(dead_code)]
    pub time_zone: jiff::tz::TimeZone,
}

/// The frame renderer.
#[derive(Debug)]
pub(crate) struct Frames {
    /// One encoded picture, without its SOI marker (the comment goes right after SOI).
    after_soi: Bytes,
}

impl Frames {
    /// A renderer for frames of `width` x `height` pixels.
    pub(crate) fn new(width: u16, height: u16) -> Self {
        let pixels = vec![0x80u8; usize::from(width) * usize::from(height)];
        let mut jpeg = Vec::new();
        let encoded = jpeg_encoder::Encoder::new(&mut jpeg, 75).encode(
            &pixels,
            width,
            height,
            jpeg_encoder::ColorType::Luma,
        );
        // Encoding a solid grey buffer of exactly the right size cannot fail; should it ever,
        // fall back to the smallest valid stream so callers still get SOI..EOI.
        if encoded.is_err() || jpeg.len() < 4 {
            jpeg = vec![0xFF, 0xD8, 0xFF, 0xD9];
        }
        Self {
            after_soi: Bytes::from(jpeg).slice(2..),
        }
    }

    /// Deterministic baseline JPEG of `camera` at `ts`, carrying the JPEG comment
    /// `een-sim esn=<esn> ts=<ts>` (ts in EEN format).
    pub(crate) fn jpeg(&self, camera: &FrameCamera, ts: EenTimestamp) -> Bytes {
        let comment = format!("een-sim esn={} ts={ts}", camera.esn);
        let mut out = BytesMut::with_capacity(self.after_soi.len() + comment.len() + 6);
        out.put_slice(&[0xFF, 0xD8, 0xFF, 0xFE]);
        // The segment length counts its own two bytes; comments here are far below 64 KiB.
        out.put_u16(u16::try_from(comment.len() + 2).unwrap_or(u16::MAX));
        out.put_slice(comment.as_bytes());
        out.put_slice(&self.after_soi);
        out.freeze()
    }
}
