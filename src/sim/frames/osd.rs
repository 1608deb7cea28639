//! The on-screen display: the local date and time top left, the camera name bottom left.

use font8x8::UnicodeFonts;
use jiff::ZonedDateTime;

use super::canvas::{Canvas, Paint};

/// The on-screen clock: local date and time to the second with the zone abbreviation.
pub(crate) fn osd_time(local: &ZonedDateTime) -> String {
    local.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
}

/// Draws the camera-style overlay: local date and time top left, camera name bottom left,
/// white 8x8 text on dark backing strips (2x text from 480 pixels wide).
pub(crate) fn draw_osd(canvas: &mut Canvas, time: &str, name: &str) {
    let scale = if canvas.w >= 480 { 2 } else { 1 };
    let margin = 3 * scale;
    let line = 8 * scale;
    draw_text(canvas, margin, margin, scale, time);
    let bottom = canvas.h.saturating_sub(margin + line);
    draw_text(canvas, margin, bottom, scale, name);
}

pub(crate) fn draw_text(canvas: &mut Canvas, x: usize, y: usize, scale: usize, text: &str) {
    let room = canvas.w.saturating_sub(2 * x) / (8 * scale);
    let glyphs: Vec<[u8; 8]> = text
        .chars()
        .take(room)
        .map(|c| {
            font8x8::BASIC_FONTS
                .get(c)
                .or_else(|| font8x8::LATIN_FONTS.get(c))
                .or_else(|| font8x8::BASIC_FONTS.get('?'))
                .unwrap_or([0; 8])
        })
        .collect();
    if glyphs.is_empty() {
        return;
    }
    let pad = 2.0 * scale as f32;
    let (xf, yf) = (x as f32, y as f32);
    let width = (glyphs.len() * 8 * scale) as f32;
    canvas.rect(
        xf - pad,
        yf - pad,
        xf + width + pad,
        yf + (8 * scale) as f32 + pad - scale as f32,
        Paint::Shade(0.3),
    );
    for (i, glyph) in glyphs.iter().enumerate() {
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits & (1 << col) != 0 {
                    let gx = x + (i * 8 + col) * scale;
                    let gy = y + row * scale;
                    canvas.rect(
                        gx as f32,
                        gy as f32,
                        (gx + scale) as f32,
                        (gy + scale) as f32,
                        Paint::Solid([240, 240, 240]),
                    );
                }
            }
        }
    }
}
