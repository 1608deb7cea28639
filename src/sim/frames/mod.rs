//! Preview frames of the simulated cameras: procedurally drawn camera views, encoded as
//! baseline JPEGs that name their camera and timestamp in a comment segment.
//!
//! A frame is a pure function of (camera, timestamp): no RNG state and no wall clock, so any
//! timestamp in the retention window can be served at any time and returns the same bytes.
//!
//! Cost model. Drawing and encoding a frame costs a few hundred microseconds, too much to do
//! for every image request. So:
//! - each camera's static view (room, walls, furniture, parked cars) is drawn once, at twice
//!   the size and averaged down for clean edges, and kept in a bounded cache;
//! - a frame's pixels depend only on the camera and the whole second (the on-screen clock
//!   shows seconds), so the encoded JPEG is cached per (camera, second), bounded by bytes;
//! - the comment segment, which names the exact millisecond, is spliced into the cached JPEG on
//!   every call: one copy of a few kilobytes.
//!
//! Per frame, on top of the static view: things that move with time (a wall clock's hands,
//! people walking through, cars driving by, drifting clouds), day and night lighting from the
//! camera's local time (outdoor cameras follow the sun and switch to monochrome "IR" at night,
//! indoor ones follow office hours), mild sensor noise hashed from (esn, second), and an
//! on-screen display with the local date and time and the camera name.

use std::f32::consts::TAU;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use font8x8::UnicodeFonts;
use jiff::ZonedDateTime;
use jiff::tz::TimeZone;
use moka::sync::Cache;

use crate::EenTimestamp;

/// JPEG quality: small files (about 10 KiB at 320x240) that still keep the 8x8 text legible.
const QUALITY: u8 = 80;
/// Byte budget of the encoded-frame cache (about 5,000 frames of 320x240).
const FRAME_CACHE_BYTES: u64 = 64 << 20;
/// Byte budget of the pre-drawn static views (a 320x240 view is 225 KiB).
const SCENE_CACHE_BYTES: u64 = 64 << 20;
/// Smallest frame side drawn; smaller requests are raised to it so encoding cannot fail.
const MIN_SIDE: u16 = 16;

/// What a frame shows of its camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FrameCamera {
    /// The camera's ESN (its 8-hex-digit id); also the seed of its scene.
    pub(crate) esn: String,
    /// The camera's display name, drawn on screen.
    pub(crate) name: String,
    /// The camera's time zone: the on-screen clock and day/night follow it.
    pub(crate) time_zone: TimeZone,
}

impl Hash for FrameCamera {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // `TimeZone` has no `Hash`; equal cameras still hash equally without it.
        self.esn.hash(state);
        self.name.hash(state);
    }
}

/// Renders and caches preview frames. Cheap to share: `Send + Sync`, used behind an `Arc`.
pub(crate) struct Frames {
    width: u16,
    height: u16,
    /// Static views by (esn, name).
    scenes: Cache<(String, String), Arc<Scene>>,
    /// Encoded frames (without the comment) by camera and whole second.
    encoded: Cache<(FrameCamera, i64), Encoded>,
}

/// A cached JPEG and where its comment segment goes (just after SOI and APP0).
#[derive(Clone)]
struct Encoded {
    jpeg: Bytes,
    comment_at: usize,
}

impl Frames {
    /// A renderer of `width` x `height` frames (sides below 16 are raised to 16).
    pub(crate) fn new(width: u16, height: u16) -> Self {
        Self {
            width: width.max(MIN_SIDE),
            height: height.max(MIN_SIDE),
            scenes: Cache::builder()
                .max_capacity(SCENE_CACHE_BYTES)
                .weigher(|_, scene: &Arc<Scene>| weight(scene.base.len() * 3))
                .build(),
            encoded: Cache::builder()
                .max_capacity(FRAME_CACHE_BYTES)
                .weigher(|_, frame: &Encoded| weight(frame.jpeg.len()))
                .build(),
        }
    }

    /// Deterministic baseline JPEG of `camera` at `ts`, carrying the JPEG comment segment
    /// `een-sim esn=<esn> ts=<ts>` (ts in EEN format, e.g. 20261128053812.149).
    pub(crate) fn jpeg(&self, camera: &FrameCamera, ts: EenTimestamp) -> Bytes {
        let second = ts.as_millis().div_euclid(1000);
        // `get_with` renders a missing frame once even when many requests want it at once.
        let frame = self.encoded.get_with((camera.clone(), second), || {
            self.render_encoded(camera, second)
        });
        splice_comment(&frame, &format!("een-sim esn={} ts={ts}", camera.esn))
    }

    fn scene(&self, camera: &FrameCamera) -> Arc<Scene> {
        self.scenes
            .get_with((camera.esn.clone(), camera.name.clone()), || {
                Arc::new(Scene::build(camera, self.width, self.height))
            })
    }

    fn render_encoded(&self, camera: &FrameCamera, second: i64) -> Encoded {
        let canvas = self.render(camera, second);
        let jpeg = encode(&canvas);
        let comment_at = comment_offset(&jpeg);
        Encoded {
            jpeg: Bytes::from(jpeg),
            comment_at,
        }
    }

    /// The frame's pixels: the static view plus everything that depends on the time.
    fn render(&self, camera: &FrameCamera, second: i64) -> Canvas {
        let scene = self.scene(camera);
        let local =
            EenTimestamp::from_millis(second.saturating_mul(1000)).in_zone(&camera.time_zone);
        let light = scene.lighting(&local);
        let mut canvas = Canvas {
            w: usize::from(self.width),
            h: usize::from(self.height),
            px: scene.base.clone(),
            clip_bottom: f32::MAX,
            mask: None,
        };
        scene.draw_moving(&mut canvas, second, &local, light.sun);
        expose(
            &mut canvas,
            &light,
            mix64(scene.seed ^ mix64(second as u64)),
        );
        scene.draw_glows(&mut canvas, light.night, light.saturation);
        draw_osd(&mut canvas, &osd_time(&local), &camera.name);
        canvas
    }
}

fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// Encodes a canvas as a baseline JFIF JPEG (SOI, APP0 JFIF, DQT, SOF0, DHT, SOS, EOI).
fn encode(canvas: &Canvas) -> Vec<u8> {
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

/// The on-screen clock: local date and time to the second with the zone abbreviation.
fn osd_time(local: &ZonedDateTime) -> String {
    local.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
}

// ---------------------------------------------------------------------------------------------
// Hashing and layout randomness (deterministic, seeded from the camera)

/// SplitMix64's finaliser: a strong 64-bit mix.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, then mixed: stable across runs and Rust versions, unlike `DefaultHasher`.
fn hash_str(seed: u64, s: &str) -> u64 {
    let h = s.bytes().fold(0xCBF2_9CE4_8422_2325 ^ seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    });
    mix64(h)
}

/// SplitMix64 generator for scene layout; a value, never shared state.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

fn lerp_pt(a: (f32, f32), b: (f32, f32), t: f32) -> (f32, f32) {
    (lerp(a.0, b.0, t), lerp(a.1, b.1, t))
}

// ---------------------------------------------------------------------------------------------
// Canvas and painting

type Rgb = [u8; 3];

fn shade(c: Rgb, f: f32) -> Rgb {
    c.map(|v| (f32::from(v) * f).clamp(0.0, 255.0) as u8)
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [0, 1, 2].map(|i| lerp(f32::from(a[i]), f32::from(b[i]), t).clamp(0.0, 255.0) as u8)
}

/// How a shape changes the pixels it covers.
#[derive(Clone, Copy)]
enum Paint {
    Solid(Rgb),
    /// Blend towards a colour with the given opacity.
    Blend(Rgb, f32),
    /// Multiply by a factor below 1 (shadows, darkening strips).
    Shade(f32),
    /// Add light (lamps at night).
    Add(Rgb),
    /// A vertical gradient between two rows (pixel y), clamped outside them.
    VGrad(Rgb, Rgb, f32, f32),
    /// Fine per-pixel grain on what is there (carpet, asphalt, concrete), seeded.
    Grain(u8, u64),
}

impl Paint {
    /// Paints pixels `row[..]` of canvas row `y`, whose first pixel is at column `x0`.
    /// Per-row work (the gradient's colour, fixed-point factors) is done once per span.
    fn fill(self, row: &mut [Rgb], x0: usize, y: usize) {
        match self {
            Paint::Solid(c) => row.fill(c),
            Paint::VGrad(top, bottom, y0, y1) => {
                let t = (y as f32 + 0.5 - y0) / (y1 - y0).max(1.0);
                row.fill(mix(top, bottom, t.clamp(0.0, 1.0)));
            }
            Paint::Blend(c, a) => {
                let a = (a.clamp(0.0, 1.0) * 256.0) as u32;
                let add = c.map(|v| u32::from(v) * a);
                for p in row {
                    *p = [0, 1, 2].map(|i| ((u32::from(p[i]) * (256 - a) + add[i]) >> 8) as u8);
                }
            }
            Paint::Shade(f) => {
                let f = (f.clamp(0.0, 1.0) * 256.0) as u32;
                for p in row {
                    *p = p.map(|v| ((u32::from(v) * f) >> 8) as u8);
                }
            }
            Paint::Add(c) => {
                for p in row {
                    *p = [0, 1, 2].map(|i| p[i].saturating_add(c[i]));
                }
            }
            Paint::Grain(amp, seed) => {
                let span = 2 * u64::from(amp) + 1;
                for (x, p) in (x0..).zip(row) {
                    let h = mix64(seed ^ ((y as u64) << 32 | x as u64));
                    let d = (h % span) as i32 - i32::from(amp);
                    *p = p.map(|v| (i32::from(v) + d).clamp(0, 255) as u8);
                }
            }
        }
    }
}

/// An RGB image with scanline shape filling. Coordinates are pixels (f32); a pixel is covered
/// when its centre is inside the shape.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<Rgb>,
    /// Shapes are clipped above this y (clouds stay in the sky).
    clip_bottom: f32,
    /// Pixels shapes may not touch: furniture in front of people walking by.
    mask: Option<Arc<[bool]>>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: vec![[0, 0, 0]; w * h],
            clip_bottom: f32::MAX,
            mask: None,
        }
    }

    fn span(&mut self, y: i64, x0: f32, x1: f32, paint: Paint) {
        if y < 0 || y >= self.h as i64 || y as f32 + 0.5 > self.clip_bottom {
            return;
        }
        let a = ((x0 - 0.5).ceil().max(0.0) as usize).min(self.w);
        let b = ((x1 - 0.5).ceil().max(0.0) as usize).min(self.w);
        let (y, b) = (y as usize, b.max(a));
        let row = y * self.w;
        let Some(mask) = &self.mask else {
            paint.fill(&mut self.px[row + a..row + b], a, y);
            return;
        };
        // Paint the runs of unmasked pixels.
        let mut x = a;
        while x < b {
            let start = x;
            while x < b && !mask[row + x] {
                x += 1;
            }
            if x > start {
                paint.fill(&mut self.px[row + start..row + x], start, y);
            }
            x += 1;
        }
    }

    fn rows(&self, y0: f32, y1: f32) -> std::ops::Range<i64> {
        let lo = (y0 - 0.5).ceil().max(-1.0) as i64;
        let hi = ((y1 - 0.5).ceil().min(self.h as f32 + 1.0)) as i64;
        lo..hi.max(lo)
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, paint: Paint) {
        for y in self.rows(y0, y1) {
            self.span(y, x0, x1, paint);
        }
    }

    /// Fills a simple polygon (even-odd rule).
    fn poly(&mut self, pts: &[(f32, f32)], paint: Paint) {
        let (lo, hi) = pts.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
        let mut xs = Vec::with_capacity(pts.len());
        for y in self.rows(lo, hi) {
            let yc = y as f32 + 0.5;
            xs.clear();
            for (i, a) in pts.iter().enumerate() {
                let b = pts[(i + 1) % pts.len()];
                if (a.1 <= yc) != (b.1 <= yc) {
                    xs.push(a.0 + (yc - a.1) / (b.1 - a.1) * (b.0 - a.0));
                }
            }
            xs.sort_by(f32::total_cmp);
            for pair in xs.chunks_exact(2) {
                self.span(y, pair[0], pair[1], paint);
            }
        }
    }

    fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, paint: Paint) {
        if rx <= 0.0 || ry <= 0.0 {
            return;
        }
        for y in self.rows(cy - ry, cy + ry) {
            let dy = (y as f32 + 0.5 - cy) / ry;
            if dy.abs() < 1.0 {
                let half = rx * (1.0 - dy * dy).sqrt();
                self.span(y, cx - half, cx + half, paint);
            }
        }
    }

    /// A straight stroke of the given width, as a quad.
    fn line(&mut self, a: (f32, f32), b: (f32, f32), width: f32, paint: Paint) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-3);
        let (nx, ny) = (-dy / len * width / 2.0, dx / len * width / 2.0);
        self.poly(
            &[
                (a.0 + nx, a.1 + ny),
                (b.0 + nx, b.1 + ny),
                (b.0 - nx, b.1 - ny),
                (a.0 - nx, a.1 - ny),
            ],
            paint,
        );
    }

    /// Averages 2x2 blocks (the static view is drawn at twice the size for smooth edges) and
    /// darkens the corners a little, as real lenses do.
    fn downsample_with_vignette(&self) -> Vec<Rgb> {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut out = Vec::with_capacity(w * h);
        for y in 0..h {
            let dy = (y as f32 + 0.5) / h as f32 - 0.5;
            for x in 0..w {
                let dx = (x as f32 + 0.5) / w as f32 - 0.5;
                let v = 1.0 - 0.45 * (dx * dx + dy * dy);
                let at = |xx: usize, yy: usize| self.px[yy * self.w + xx];
                let (a, b, c, d) = (
                    at(2 * x, 2 * y),
                    at(2 * x + 1, 2 * y),
                    at(2 * x, 2 * y + 1),
                    at(2 * x + 1, 2 * y + 1),
                );
                out.push([0, 1, 2].map(|i| {
                    let sum = u32::from(a[i]) + u32::from(b[i]) + u32::from(c[i]) + u32::from(d[i]);
                    (sum as f32 / 4.0 * v).clamp(0.0, 255.0) as u8
                }));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Lighting, noise and the on-screen display

/// How a frame is exposed at its local time.
struct Light {
    /// Daylight outside, 0 (night) to 1 (day).
    sun: f32,
    /// How strongly night lights (lamps, lit windows, signs) glow, 0 to 1.
    night: f32,
    /// Overall brightness factor.
    gain: f32,
    /// Colour saturation: 0 is the monochrome look of a camera in night (IR) mode.
    saturation: f32,
    /// Sensor noise amplitude (higher at night, when the sensor gain is up).
    noise: u8,
}

/// Daylight from the local time of day and season (sunrise and sunset of mid latitudes).
fn daylight(local: &ZonedDateTime) -> f32 {
    let hour = f32::from(local.hour())
        + f32::from(local.minute()) / 60.0
        + f32::from(local.second()) / 3600.0;
    let day_len = 12.0 + 2.5 * ((f32::from(local.day_of_year()) - 172.0) / 365.25 * TAU).cos();
    let (rise, set) = (12.5 - day_len / 2.0, 12.5 + day_len / 2.0);
    smoothstep(rise - 0.6, rise + 0.6, hour) * (1.0 - smoothstep(set - 0.6, set + 0.6, hour))
}

/// Applies exposure, night-mode desaturation and sensor noise to every pixel.
///
/// This runs over every pixel of every new frame, so it works from tables: gain per channel
/// value, and noise per random byte (a triangular spread, the same on all three channels).
fn expose(canvas: &mut Canvas, light: &Light, seed: u64) {
    let gain: [i16; 256] =
        std::array::from_fn(|v| (v as f32 * light.gain).round().clamp(0.0, 255.0) as i16);
    let amp = i32::from(light.noise);
    let noise: [i16; 256] =
        std::array::from_fn(|b| (((b as i32 & 15) + (b as i32 >> 4) - 15) * amp / 8) as i16);
    let sat = (light.saturation.clamp(0.0, 1.0) * 256.0) as i32;
    let out = |v: i16, n: i16| (v + n).clamp(0, 255) as u8;
    let mut state = seed | 1;
    for chunk in canvas.px.chunks_mut(8) {
        // xorshift64: one step gives the noise bytes of eight pixels.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for (p, b) in chunk.iter_mut().zip(state.to_le_bytes()) {
            let n = noise[usize::from(b)];
            *p = match sat {
                256 => p.map(|c| out(gain[usize::from(c)], n)),
                0 => {
                    let y =
                        (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
                    [out(gain[y as usize], n); 3]
                }
                _ => {
                    let [r, g, bl] = p.map(i32::from);
                    let y = (77 * r + 150 * g + 29 * bl) >> 8;
                    [r, g, bl].map(|c| {
                        let c = (y + (((c - y) * sat) >> 8)).clamp(0, 255);
                        out(gain[c as usize], n)
                    })
                }
            };
        }
    }
}

/// Draws the camera-style overlay: local date and time top left, camera name bottom left,
/// white 8x8 text on dark backing strips (2x text from 480 pixels wide).
fn draw_osd(canvas: &mut Canvas, time: &str, name: &str) {
    let scale = if canvas.w >= 480 { 2 } else { 1 };
    let margin = 3 * scale;
    let line = 8 * scale;
    draw_text(canvas, margin, margin, scale, time);
    let bottom = canvas.h.saturating_sub(margin + line);
    draw_text(canvas, margin, bottom, scale, name);
}

fn draw_text(canvas: &mut Canvas, x: usize, y: usize, scale: usize, text: &str) {
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

// ---------------------------------------------------------------------------------------------
// Scenes

const WALLS: [Rgb; 6] = [
    [222, 214, 198],
    [206, 210, 212],
    [198, 212, 222],
    [212, 222, 202],
    [232, 226, 212],
    [220, 204, 190],
];
const CARS: [Rgb; 8] = [
    [232, 232, 232],
    [172, 174, 178],
    [34, 34, 38],
    [150, 32, 30],
    [40, 62, 122],
    [92, 94, 98],
    [204, 194, 172],
    [30, 80, 60],
];
const SHIRTS: [Rgb; 8] = [
    [40, 70, 140],
    [170, 40, 40],
    [230, 230, 225],
    [60, 60, 64],
    [50, 120, 70],
    [200, 160, 60],
    [110, 60, 130],
    [90, 140, 190],
];
const PANTS: [Rgb; 4] = [[30, 36, 60], [28, 28, 30], [150, 130, 100], [90, 92, 96]];
const SKIN: [Rgb; 5] = [
    [236, 198, 170],
    [210, 160, 120],
    [170, 120, 85],
    [120, 80, 55],
    [90, 60, 42],
];

/// What kind of place a camera looks at, guessed from its name like a person would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Room,
    Hallway,
    Warehouse,
    Parking,
    Entrance,
}

impl Kind {
    fn for_name(name: &str, seed: u64) -> Kind {
        let n = name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["park", "lot", "garage"]) {
            Kind::Parking
        } else if has(&["hall", "corridor", "stair"]) {
            Kind::Hallway
        } else if has(&[
            "warehouse",
            "aisle",
            "dock",
            "storage",
            "stock",
            "loading",
            "shipping",
            "yard",
        ]) {
            Kind::Warehouse
        } else if has(&[
            "lobby",
            "office",
            "reception",
            "conference",
            "room",
            "kitchen",
            "break",
            "lab",
            "store",
            "retail",
            "register",
            "desk",
            "counter",
            "shop",
        ]) {
            Kind::Room
        } else if has(&[
            "entrance",
            "front",
            "gate",
            "street",
            "exterior",
            "outside",
            "perimeter",
            "door",
            "drive",
            "patio",
        ]) {
            Kind::Entrance
        } else {
            [
                Kind::Room,
                Kind::Room,
                Kind::Hallway,
                Kind::Warehouse,
                Kind::Parking,
                Kind::Entrance,
            ][(seed % 6) as usize]
        }
    }

    fn outdoor(self) -> bool {
        matches!(self, Kind::Parking | Kind::Entrance)
    }
}

/// Someone walking through the view now and then (a different person each time).
#[derive(Clone, Copy)]
struct Walker {
    /// Feet position (pixels) and height (pixels) at the start and end of the walk.
    from: (f32, f32, f32),
    to: (f32, f32, f32),
    /// Seconds per cycle, and seconds of each cycle spent crossing the view.
    period: i64,
    cross: i64,
    phase: i64,
}

/// A car driving across, side on.
#[derive(Clone, Copy)]
struct Car {
    /// Road line (pixels) where the wheels touch, and the car's length in pixels.
    road_y: f32,
    length: f32,
    period: i64,
    cross: i64,
    phase: i64,
}

/// A wall clock whose hands show the camera's local time.
#[derive(Clone, Copy)]
struct Clock {
    cx: f32,
    cy: f32,
    r: f32,
}

/// Light that shows at night: lamps, lit windows, exit signs.
#[derive(Clone, Copy)]
enum Glow {
    Rect(f32, f32, f32, f32, Rgb),
    Lamp(f32, f32, f32, Rgb),
}

/// A camera's view: the static picture at full daylight plus what changes over time.
struct Scene {
    seed: u64,
    kind: Kind,
    base: Vec<Rgb>,
    w: f32,
    h: f32,
    /// Indoor lights: on from, off at (local hours); None means always on.
    office_hours: Option<(f32, f32)>,
    /// Window panes showing the sky (x0, y0, x1, y1).
    windows: Vec<(f32, f32, f32, f32)>,
    /// The sky's lower edge for clouds (outdoor only).
    sky_bottom: Option<f32>,
    glows: Vec<Glow>,
    walkers: Vec<Walker>,
    cars: Vec<Car>,
    clocks: Vec<Clock>,
    /// Final pixels covered by things in front of the walkers.
    front: Option<Arc<[bool]>>,
}

impl Scene {
    fn build(camera: &FrameCamera, width: u16, height: u16) -> Scene {
        let seed = hash_str(hash_str(0, &camera.esn), &camera.name);
        let kind = Kind::for_name(&camera.name, seed);
        let (w, h) = (f32::from(width), f32::from(height));
        let mut scene = Scene {
            seed,
            kind,
            base: Vec::new(),
            w,
            h,
            office_hours: None,
            windows: Vec::new(),
            sky_bottom: None,
            glows: Vec::new(),
            walkers: Vec::new(),
            cars: Vec::new(),
            clocks: Vec::new(),
            front: None,
        };
        // Drawn at twice the size; `Sketch` scales normalised coordinates to that canvas.
        let mut sketch = Sketch {
            c: Canvas::new(usize::from(width) * 2, usize::from(height) * 2),
            w: w * 2.0,
            h: h * 2.0,
            behind: None,
        };
        let mut rng = Rng(seed);
        match kind {
            Kind::Room => scene.room(&mut sketch, &mut rng, &camera.name),
            Kind::Hallway => scene.hallway(&mut sketch, &mut rng),
            Kind::Warehouse => scene.warehouse(&mut sketch, &mut rng),
            Kind::Parking => scene.parking(&mut sketch, &mut rng),
            Kind::Entrance => scene.entrance(&mut sketch, &mut rng),
        }
        scene.front = sketch.foreground_mask();
        scene.base = sketch.c.downsample_with_vignette();
        scene
    }

    /// Exposure at a local time: outdoor views follow the sun, indoor ones the lights.
    fn lighting(&self, local: &ZonedDateTime) -> Light {
        let sun = daylight(local);
        if self.kind.outdoor() {
            return Light {
                sun,
                night: 1.0 - sun,
                gain: 0.3 + 0.7 * sun,
                saturation: smoothstep(0.12, 0.35, sun),
                noise: (6.0 - 4.0 * sun) as u8,
            };
        }
        let hour = f32::from(local.hour()) + f32::from(local.minute()) / 60.0;
        let on = self
            .office_hours
            .is_none_or(|(from, to)| hour >= from && hour < to);
        if on {
            Light {
                sun,
                night: 0.0,
                gain: 1.0,
                saturation: 1.0,
                noise: 2,
            }
        } else {
            Light {
                sun,
                night: 1.0,
                gain: 0.42,
                saturation: 0.0,
                noise: 6,
            }
        }
    }

    /// Everything that moves, drawn before exposure so it is lit like the rest of the view.
    fn draw_moving(&self, c: &mut Canvas, second: i64, local: &ZonedDateTime, sun: f32) {
        for &(x0, y0, x1, y1) in &self.windows {
            let top = mix([18, 22, 34], [150, 192, 232], sun);
            let bottom = mix([28, 30, 40], [214, 226, 238], sun);
            c.rect(x0, y0, x1, y1, Paint::VGrad(top, bottom, y0, y1));
            // Glazing bars, drawn here so the glass does not cover them.
            let bar = (self.h / 160.0).max(1.0);
            let xm = (x0 + x1) / 2.0;
            c.rect(
                xm - bar / 2.0,
                y0,
                xm + bar / 2.0,
                y1,
                Paint::Solid([236, 236, 232]),
            );
        }
        if let Some(bottom) = self.sky_bottom {
            self.draw_clouds(c, second, bottom);
        }
        for clock in &self.clocks {
            draw_clock_hands(c, clock, local);
        }
        // People walk behind the furniture nearest the camera; cars drive in front of all.
        c.mask = self.front.clone();
        for (i, walker) in self.walkers.iter().enumerate() {
            self.draw_walker(c, walker, second, i as u64);
        }
        c.mask = None;
        for (i, car) in self.cars.iter().enumerate() {
            self.draw_car(c, car, second, i as u64);
        }
    }

    fn draw_clouds(&self, c: &mut Canvas, second: i64, bottom: f32) {
        let mut rng = Rng(self.seed ^ 0xC10D);
        c.clip_bottom = bottom;
        for _ in 0..4 {
            let (u, v, size) = (rng.unit(), rng.range(0.15, 0.75), rng.range(0.6, 1.2));
            // One trip across takes about ten minutes.
            let drift = (second.rem_euclid(600) as f32) / 600.0;
            let x = ((u + drift).rem_euclid(1.0) * 1.5 - 0.25) * self.w;
            let y = v * bottom;
            let r = size * self.h * 0.06;
            for (dx, dy, k) in [(-1.2, 0.2, 0.7), (0.0, 0.0, 1.0), (1.3, 0.25, 0.75)] {
                c.ellipse(
                    x + dx * r,
                    y + dy * r,
                    r * 1.5 * k,
                    r * k,
                    Paint::Blend([246, 246, 248], 0.75),
                );
            }
        }
        c.clip_bottom = f32::MAX;
    }

    fn draw_car(&self, c: &mut Canvas, car: &Car, second: i64, index: u64) {
        let t = (second + car.phase).rem_euclid(car.period);
        if t >= car.cross {
            return;
        }
        let cycle = (second + car.phase).div_euclid(car.period) as u64;
        let mut rng = Rng(self.seed ^ mix64(cycle ^ (index << 48) ^ 0xCA7));
        let f = (t as f32 + 0.5) / car.cross as f32;
        let right = cycle.is_multiple_of(2);
        let span = self.w + 2.0 * car.length;
        let x = if right { f } else { 1.0 - f } * span - car.length;
        draw_side_car(c, x, car.road_y, car.length, rng.pick(&CARS), right);
    }

    fn draw_walker(&self, c: &mut Canvas, walker: &Walker, second: i64, index: u64) {
        let t = (second + walker.phase).rem_euclid(walker.period);
        if t >= walker.cross {
            return;
        }
        let cycle = (second + walker.phase).div_euclid(walker.period) as u64;
        let mut rng = Rng(self.seed ^ mix64(cycle ^ (index << 48) ^ 0x3A1C));
        let f = (t as f32 + 0.5) / walker.cross as f32;
        let (a, b) = if cycle.is_multiple_of(2) {
            (walker.from, walker.to)
        } else {
            (walker.to, walker.from)
        };
        let person = Person {
            x: lerp(a.0, b.0, f),
            feet: lerp(a.1, b.1, f),
            height: lerp(a.2, b.2, f),
            stride: t % 2 == 0,
            shirt: rng.pick(&SHIRTS),
            pants: rng.pick(&PANTS),
            skin: rng.pick(&SKIN),
        };
        person.draw(c);
    }

    /// Night lights, in colour or, when the camera is in monochrome night mode, in grey.
    fn draw_glows(&self, c: &mut Canvas, night: f32, saturation: f32) {
        if night <= 0.01 {
            return;
        }
        let tone = |color: Rgb| {
            let y =
                (77 * u32::from(color[0]) + 150 * u32::from(color[1]) + 29 * u32::from(color[2]))
                    >> 8;
            mix([y as u8; 3], color, saturation)
        };
        for glow in &self.glows {
            match *glow {
                Glow::Rect(x0, y0, x1, y1, color) => {
                    c.rect(x0, y0, x1, y1, Paint::Blend(tone(color), 0.85 * night));
                }
                Glow::Lamp(x, y, r, color) => {
                    for (k, a) in [(2.2, 0.12), (1.5, 0.16), (1.0, 0.22), (0.5, 0.5)] {
                        let add = shade(tone(color), a * night);
                        c.ellipse(x, y, r * k, r * k * 0.8, Paint::Add(add));
                    }
                }
            }
        }
    }

    // ---- scene layouts ------------------------------------------------------------------------
    // Layouts work in normalised coordinates (0..1 across and down) through `Sketch`; the
    // positions of moving things are kept in final pixels.

    fn room(&mut self, s: &mut Sketch, rng: &mut Rng, name: &str) {
        let bx0 = rng.range(0.10, 0.34);
        let bx1 = (bx0 + rng.range(0.44, 0.58)).min(0.92);
        let by0 = rng.range(0.07, 0.15);
        let by1 = rng.range(0.50, 0.60);
        let wall = rng.pick(&WALLS);
        let b = BoxRoom { bx0, bx1, by0, by1 };
        b.shell(s, rng, wall, [236, 236, 232]);
        if rng.chance(0.7) {
            self.office_hours = Some((rng.range(6.0, 8.0), rng.range(18.0, 22.0)));
        }
        // The back wall: three slots, each with a door, window, bookcase, board or poster.
        let wall_h = by1 - by0;
        let slot_w = (bx1 - bx0) / 3.0;
        // Server rooms get no window: their racks stand in front of the wall.
        let n = name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        let server = has(&["server", "lab", "data", "network", "it "]);
        let mut items = [0u8, if server { 5 } else { 1 }, 2, 3, 4, 5];
        for i in (1..items.len()).rev() {
            items.swap(i, rng.below(i + 1));
        }
        let mut clock_slot = None;
        for (slot, &item) in items.iter().take(3).enumerate() {
            let cx = bx0 + slot_w * (slot as f32 + 0.5);
            match item {
                0 => {
                    let dw = (slot_w * 0.55).min(0.11);
                    door(
                        s,
                        cx - dw / 2.0,
                        by1 - wall_h * 0.74,
                        cx + dw / 2.0,
                        by1,
                        rng,
                    );
                    clock_slot.get_or_insert(slot);
                }
                1 => {
                    let (x0, x1) = (cx - slot_w * 0.4, cx + slot_w * 0.4);
                    let (y0, y1) = (by0 + wall_h * 0.16, by0 + wall_h * 0.6);
                    s.rect(
                        x0 - 0.006,
                        y0 - 0.008,
                        x1 + 0.006,
                        y1 + 0.012,
                        Paint::Solid([240, 240, 236]),
                    );
                    self.windows.push((s.px(x0), s.py(y0), s.px(x1), s.py(y1)));
                }
                2 => bookcase(
                    s,
                    cx - slot_w * 0.36,
                    by0 + wall_h * 0.22,
                    cx + slot_w * 0.36,
                    by1,
                    rng,
                ),
                3 => {
                    let (x0, x1) = (cx - slot_w * 0.42, cx + slot_w * 0.42);
                    let (y0, y1) = (by0 + wall_h * 0.26, by0 + wall_h * 0.62);
                    s.rect(x0, y0, x1, y1, Paint::Solid([150, 152, 156]));
                    s.rect(
                        x0 + 0.005,
                        y0 + 0.007,
                        x1 - 0.005,
                        y1 - 0.007,
                        Paint::Solid([246, 246, 244]),
                    );
                    for k in 0..3 {
                        let y = lerp(y0, y1, 0.25 + 0.2 * k as f32);
                        let color = rng.pick(&[[40, 60, 160], [170, 40, 40], [30, 120, 60]]);
                        let len = rng.range(0.3, 0.8);
                        s.line(
                            (x0 + 0.02, y),
                            (lerp(x0 + 0.02, x1 - 0.02, len), y + 0.01),
                            0.004,
                            Paint::Solid(color),
                        );
                    }
                }
                4 => {
                    let (x0, x1) = (cx - slot_w * 0.2, cx + slot_w * 0.2);
                    let (y0, y1) = (by0 + wall_h * 0.28, by0 + wall_h * 0.6);
                    s.rect(x0, y0, x1, y1, Paint::Solid([60, 50, 40]));
                    let art = rng.pick(&SHIRTS);
                    s.rect(
                        x0 + 0.006,
                        y0 + 0.008,
                        x1 - 0.006,
                        y1 - 0.008,
                        Paint::VGrad(art, shade(art, 0.5), s.py(y0), s.py(y1)),
                    );
                    clock_slot.get_or_insert(slot);
                }
                _ => {
                    clock_slot.get_or_insert(slot);
                }
            }
        }
        if let Some(slot) = clock_slot {
            let cx = bx0 + slot_w * (slot as f32 + 0.5);
            self.add_clock(s, cx, by0 + wall_h * 0.13, wall_h * 0.1);
        }
        if rng.chance(0.6) {
            let (t0, t1) = if rng.chance(0.5) {
                (0.25, 0.5)
            } else {
                (0.55, 0.8)
            };
            b.side_door(s, rng.chance(0.5), t0, t1, rng);
        }
        // Someone walks past in front of the back wall, behind the furniture nearest the
        // camera, which depends on what kind of room this is.
        let walk_y = by1 + (1.0 - by1) * rng.range(0.22, 0.38);
        let person_h = (walk_y - by0) * 0.62;
        self.walkers.push(Walker {
            from: (s.px(bx0 - 0.15), s.py(walk_y), s.py(person_h)),
            to: (s.px(bx1 + 0.15), s.py(walk_y), s.py(person_h)),
            period: 60 + rng.below(60) as i64,
            cross: 14 + rng.below(10) as i64,
            phase: rng.below(120) as i64,
        });
        let vp = b.vp();
        let corner = if rng.chance(0.5) {
            bx0 + 0.05
        } else {
            bx1 - 0.05
        };
        if server {
            let count = 3 + rng.below(3);
            let x0 = rng.range(bx0 + 0.01, (bx1 - 0.1 * count as f32).max(bx0 + 0.01));
            for k in 0..count {
                server_rack(
                    s,
                    x0 + 0.1 * k as f32,
                    by1 + 0.03,
                    (by1 - by0) * 0.85,
                    vp,
                    rng,
                );
            }
            s.begin_foreground();
            desk(
                s,
                rng.range(0.25, 0.75),
                rng.range(0.9, 0.97),
                0.28,
                vp,
                rng,
            );
        } else if has(&[
            "conference",
            "meeting",
            "break",
            "kitchen",
            "board",
            "training",
        ]) {
            plant(s, corner, by1 + 0.07, 0.1);
            s.begin_foreground();
            meeting_table(
                s,
                rng.range(0.4, 0.6),
                rng.range(0.84, 0.9),
                rng.range(0.4, 0.5),
                vp,
                rng,
            );
        } else if has(&["lobby", "reception", "waiting", "front desk"]) {
            plant(s, corner, by1 + 0.07, 0.12);
            s.begin_foreground();
            sofa(
                s,
                rng.range(0.25, 0.75),
                rng.range(0.92, 0.98),
                rng.range(0.3, 0.4),
                vp,
                rng,
            );
        } else if has(&[
            "retail", "store", "shop", "register", "cash", "counter", "checkout",
        ]) {
            s.begin_foreground();
            counter(
                s,
                rng.range(0.35, 0.65),
                rng.range(0.88, 0.95),
                rng.range(0.4, 0.5),
                vp,
                rng,
            );
        } else {
            if rng.chance(0.5) {
                plant(s, corner, by1 + 0.07, 0.1);
            }
            s.begin_foreground();
            desk(
                s,
                rng.range(0.3, 0.7),
                rng.range(0.86, 0.94),
                rng.range(0.26, 0.36),
                vp,
                rng,
            );
        }
    }

    fn hallway(&mut self, s: &mut Sketch, rng: &mut Rng) {
        let bx0 = rng.range(0.38, 0.46);
        let bx1 = bx0 + rng.range(0.1, 0.16);
        let by0 = rng.range(0.24, 0.32);
        let by1 = rng.range(0.5, 0.56);
        let wall = rng.pick(&WALLS);
        let b = BoxRoom { bx0, bx1, by0, by1 };
        b.shell(s, rng, wall, [238, 238, 236]);
        // A glossy floor: the far end reflects the light.
        let (cx, _) = b.vp();
        s.poly(
            &[
                (bx0 + 0.02, by1),
                (bx1 - 0.02, by1),
                (cx + 0.12, 1.0),
                (cx - 0.12, 1.0),
            ],
            Paint::Blend([255, 255, 255], 0.18),
        );
        for (left, t0, t1) in [
            (true, 0.12, 0.3),
            (false, 0.3, 0.5),
            (true, 0.6, 0.72),
            (false, 0.72, 0.82),
        ] {
            if rng.chance(0.8) {
                b.side_door(s, left, t0, t1, rng);
            }
        }
        let dw = (bx1 - bx0) * 0.5;
        door(
            s,
            cx - dw / 2.0,
            by1 - (by1 - by0) * 0.78,
            cx + dw / 2.0,
            by1,
            rng,
        );
        // An exit sign over the far door.
        let (sx0, sy0) = (cx - 0.025, by0 + (by1 - by0) * 0.06);
        s.rect(
            sx0,
            sy0,
            sx0 + 0.05,
            sy0 + 0.025,
            Paint::Solid([40, 160, 70]),
        );
        self.glows.push(Glow::Rect(
            s.px(sx0),
            s.py(sy0),
            s.px(sx0 + 0.05),
            s.py(sy0 + 0.025),
            [80, 230, 110],
        ));
        if rng.chance(0.5) {
            self.add_clock(s, bx1 - 0.012, by0 + (by1 - by0) * 0.12, 0.025);
        }
        self.office_hours = rng
            .chance(0.4)
            .then(|| (rng.range(6.0, 7.5), rng.range(19.0, 23.0)));
        self.walkers.push(Walker {
            from: (s.px(cx + 0.01), s.py(by1 + 0.02), s.py((by1 - by0) * 0.55)),
            to: (s.px(cx + rng.range(-0.15, 0.15)), s.py(1.08), s.py(0.72)),
            period: 45 + rng.below(60) as i64,
            cross: 10 + rng.below(8) as i64,
            phase: rng.below(100) as i64,
        });
    }

    fn warehouse(&mut self, s: &mut Sketch, rng: &mut Rng) {
        let bx0 = rng.range(0.1, 0.2);
        let bx1 = rng.range(0.8, 0.9);
        let by0 = rng.range(0.04, 0.09);
        let by1 = rng.range(0.5, 0.58);
        let b = BoxRoom { bx0, bx1, by0, by1 };
        let siding = rng.pick(&[[176, 186, 196], [196, 196, 188], [170, 180, 170]]);
        b.shell_with_floor(s, siding, [118, 118, 122], [150, 150, 148], rng);
        // Ribbed metal siding.
        let mut x = bx0;
        while x < bx1 {
            s.rect(x, by0, x + 0.003, by1, Paint::Shade(0.9));
            x += 0.022;
        }
        // Roll-up doors with slats.
        let doors = 1 + rng.below(2);
        let dw = (bx1 - bx0) / (doors as f32 * 2.0 + 1.0);
        for i in 0..doors {
            let x0 = bx0 + dw * (1.0 + 2.0 * i as f32);
            let y0 = by0 + (by1 - by0) * 0.3;
            s.rect(
                x0 - 0.008,
                y0 - 0.012,
                x0 + dw + 0.008,
                by1,
                Paint::Solid([220, 180, 40]),
            );
            s.rect(x0, y0, x0 + dw, by1, Paint::Solid([150, 156, 162]));
            let mut y = y0;
            while y < by1 {
                s.rect(x0, y, x0 + dw, y + 0.004, Paint::Shade(0.75));
                y += 0.018;
            }
            self.glows.push(Glow::Lamp(
                s.px(x0 + dw / 2.0),
                s.py(y0 - 0.04),
                s.py(0.03),
                [255, 220, 160],
            ));
        }
        // Pallet racks along the left wall, in perspective.
        let upright = rng.pick(&[[210, 90, 30], [40, 80, 170]]);
        let beam = [230, 120, 30];
        let levels = [0.0, 0.3, 0.58, 0.85];
        let ts = [0.0, 0.3, 0.52, 0.68, 0.8];
        for pair in ts.windows(2) {
            let (t0, t1) = (pair[0], pair[1]);
            for lv in levels.windows(2) {
                if rng.chance(0.85) {
                    let color = rng.pick(&[
                        [176, 134, 86],
                        [160, 120, 80],
                        [196, 160, 110],
                        [120, 130, 150],
                    ]);
                    let pad = 0.1;
                    let quad = [
                        b.left_wall(t0 + (t1 - t0) * pad, lv[0] + 0.02, 0.02),
                        b.left_wall(t1 - (t1 - t0) * pad, lv[0] + 0.02, 0.02),
                        b.left_wall(t1 - (t1 - t0) * pad, lv[1] - 0.04, 0.02),
                        b.left_wall(t0 + (t1 - t0) * pad, lv[1] - 0.04, 0.02),
                    ];
                    s.poly(&quad, Paint::Solid(color));
                }
            }
            for &lv in &levels[1..] {
                s.line(
                    b.left_wall(t0, lv, 0.02),
                    b.left_wall(t1, lv, 0.02),
                    0.008,
                    Paint::Solid(beam),
                );
            }
        }
        for &t in &ts {
            s.line(
                b.left_wall(t, 0.0, 0.02),
                b.left_wall(t, 0.9, 0.02),
                0.012,
                Paint::Solid(upright),
            );
        }
        // Safety lanes on the floor.
        let (vx, vy) = b.vp();
        for u in [0.42, 0.78] {
            let near = (u, 1.0);
            let far = lerp_pt(near, (vx, vy), 0.9);
            s.line(near, far, 0.012, Paint::Solid([226, 196, 40]));
        }
        // A stack of boxes on a pallet, in front of the walkway.
        s.begin_foreground();
        let px0 = rng.range(0.55, 0.7);
        let py1 = rng.range(0.8, 0.9);
        s.rect(
            px0,
            py1 - 0.02,
            px0 + 0.2,
            py1,
            Paint::Solid([150, 110, 70]),
        );
        for row in 0..3 {
            for col in 0..3 {
                let x = px0 + 0.005 + col as f32 * 0.064;
                let y = py1 - 0.02 - (row + 1) as f32 * 0.07;
                s.rect(x, y, x + 0.062, y + 0.068, Paint::Solid([190, 150, 100]));
                s.rect(
                    x,
                    y + 0.03,
                    x + 0.062,
                    y + 0.038,
                    Paint::Solid([206, 190, 150]),
                );
            }
        }
        self.office_hours = rng
            .chance(0.5)
            .then(|| (rng.range(5.0, 7.0), rng.range(17.0, 23.0)));
        if rng.chance(0.6) {
            self.add_clock(s, bx1 - 0.05, by0 + 0.06, 0.03);
        }
        let walk_y = rng.range(0.66, 0.76);
        self.walkers.push(Walker {
            from: (s.px(-0.1), s.py(walk_y), s.py((walk_y - by0) * 0.5)),
            to: (s.px(1.1), s.py(walk_y), s.py((walk_y - by0) * 0.5)),
            period: 50 + rng.below(70) as i64,
            cross: 16 + rng.below(10) as i64,
            phase: rng.below(100) as i64,
        });
    }

    fn parking(&mut self, s: &mut Sketch, rng: &mut Rng) {
        let hv = rng.range(0.3, 0.4);
        s.rect(
            0.0,
            0.0,
            1.0,
            hv,
            Paint::VGrad([110, 160, 220], [200, 220, 236], 0.0, s.py(hv)),
        );
        // Distant buildings and trees along the horizon.
        let mut x = -0.05;
        while x < 1.05 {
            if rng.chance(0.4) {
                let bw = rng.range(0.08, 0.2);
                let bh = rng.range(0.05, 0.14);
                let color = rng.pick(&[[150, 150, 160], [170, 160, 150], [130, 140, 150]]);
                s.rect(x, hv - bh, x + bw, hv, Paint::Solid(color));
                for k in 0..((bw / 0.03) as usize) {
                    for r in 0..((bh / 0.035) as usize) {
                        let wx = x + 0.01 + k as f32 * 0.03;
                        let wy = hv - bh + 0.012 + r as f32 * 0.035;
                        s.rect(wx, wy, wx + 0.015, wy + 0.015, Paint::Shade(0.7));
                    }
                }
                x += bw;
            } else {
                let r = rng.range(0.025, 0.05);
                let green = rng.pick(&[[60, 100, 60], [50, 86, 50], [76, 110, 64]]);
                s.circle(x + r, hv - r * 0.8, r, Paint::Solid(green));
                x += r * 1.4;
            }
        }
        s.rect(0.0, hv, 1.0, hv + 0.025, Paint::Solid([96, 130, 76]));
        let ground = hv + 0.025;
        s.rect(
            0.0,
            ground,
            1.0,
            1.0,
            Paint::VGrad([128, 130, 134], [84, 86, 90], s.py(ground), s.py(1.0)),
        );
        grain(s, 0.0, ground, 1.0, 1.0, rng);
        let vp = (rng.range(0.35, 0.65), hv);
        // Two rows of stalls with parked cars facing the camera.
        for (row, depth) in [(0usize, 0.3f32), (1, 0.72)] {
            let line_y = lerp(ground, 1.0, depth);
            if row == 1 {
                s.begin_foreground();
            }
            let scale = (line_y - hv) / (1.0 - hv);
            let stall = 0.3 * scale;
            let mut u = -0.1 + rng.range(0.0, stall);
            while u < 1.1 {
                let near = (u, line_y + 0.05 * scale);
                let far = lerp_pt(near, vp, 0.22 - 0.05 * row as f32);
                s.line(
                    near,
                    far,
                    0.006 * scale.max(0.4),
                    Paint::Solid([232, 232, 226]),
                );
                if rng.chance(0.7) {
                    let color = rng.pick(&CARS);
                    front_car(
                        s,
                        u + stall / 2.0,
                        far.1 + 0.01 * scale,
                        stall * 0.78,
                        color,
                    );
                }
                u += stall;
            }
        }
        // A light pole.
        let pole_x = rng.range(0.1, 0.9);
        let pole_base = rng.range(0.55, 0.7);
        s.line(
            (pole_x, pole_base),
            (pole_x, 0.08),
            0.008,
            Paint::Solid([70, 72, 76]),
        );
        s.line(
            (pole_x, 0.09),
            (pole_x + 0.05, 0.09),
            0.008,
            Paint::Solid([70, 72, 76]),
        );
        s.rect(
            pole_x + 0.035,
            0.085,
            pole_x + 0.07,
            0.105,
            Paint::Solid([200, 200, 190]),
        );
        self.glows.push(Glow::Lamp(
            s.px(pole_x + 0.052),
            s.py(0.1),
            s.py(0.035),
            [255, 214, 150],
        ));
        self.glows.push(Glow::Lamp(
            s.px(pole_x + 0.05),
            s.py(pole_base + 0.04),
            s.py(0.12),
            [90, 70, 40],
        ));
        self.sky_bottom = Some(s.py(hv - 0.16));
        self.cars.push(Car {
            road_y: s.py(0.985),
            length: s.px(0.34),
            period: 40 + rng.below(40) as i64,
            cross: 8 + rng.below(5) as i64,
            phase: rng.below(80) as i64,
        });
        let walk_y = lerp(ground, 1.0, 0.45);
        self.walkers.push(Walker {
            from: (s.px(-0.05), s.py(walk_y), s.py((walk_y - hv) * 0.9)),
            to: (s.px(1.05), s.py(walk_y), s.py((walk_y - hv) * 0.9)),
            period: 70 + rng.below(60) as i64,
            cross: 20 + rng.below(10) as i64,
            phase: rng.below(120) as i64,
        });
    }

    fn entrance(&mut self, s: &mut Sketch, rng: &mut Rng) {
        let sky = rng.range(0.08, 0.16);
        let gv = rng.range(0.62, 0.68);
        let rv = rng.range(0.8, 0.86);
        s.rect(
            0.0,
            0.0,
            1.0,
            sky,
            Paint::VGrad([110, 160, 220], [190, 214, 236], 0.0, s.py(sky)),
        );
        let facade = rng.pick(&[
            [170, 90, 70],
            [210, 200, 180],
            [160, 164, 168],
            [196, 176, 150],
        ]);
        s.rect(0.0, sky, 1.0, gv, Paint::Solid(facade));
        grain(s, 0.0, sky, 1.0, gv, rng);
        s.rect(0.0, sky, 1.0, sky + 0.02, Paint::Shade(0.8));
        // Windows, some of them lit at night.
        let door_x = rng.range(0.3, 0.7);
        let cols = 5 + rng.below(3);
        let floors = 2;
        for f in 0..floors {
            for k in 0..cols {
                let wx0 = (k as f32 + 0.2) / cols as f32;
                let wx1 = (k as f32 + 0.8) / cols as f32;
                let wy0 = sky + 0.05 + f as f32 * (gv - sky) * 0.36;
                let wy1 = wy0 + (gv - sky) * 0.22;
                if f == floors - 1 && wx1 > door_x - 0.12 && wx0 < door_x + 0.12 {
                    continue;
                }
                s.rect(
                    wx0 - 0.006,
                    wy0 - 0.008,
                    wx1 + 0.006,
                    wy1 + 0.008,
                    Paint::Solid([230, 230, 226]),
                );
                s.rect(
                    wx0,
                    wy0,
                    wx1,
                    wy1,
                    Paint::VGrad([70, 90, 110], [40, 50, 60], s.py(wy0), s.py(wy1)),
                );
                s.line(
                    (wx0, wy1),
                    (wx1, wy0),
                    0.01,
                    Paint::Blend([255, 255, 255], 0.12),
                );
                if rng.chance(0.4) {
                    self.glows.push(Glow::Rect(
                        s.px(wx0),
                        s.py(wy0),
                        s.px(wx1),
                        s.py(wy1),
                        [250, 220, 150],
                    ));
                }
            }
        }
        // The entrance: glass doors under a canopy with a sign.
        let (dx0, dx1) = (door_x - 0.09, door_x + 0.09);
        let dy0 = gv - (gv - sky) * 0.42;
        s.rect(
            dx0 - 0.01,
            dy0 - 0.01,
            dx1 + 0.01,
            gv,
            Paint::Solid([60, 60, 64]),
        );
        s.rect(
            dx0,
            dy0,
            dx1,
            gv,
            Paint::VGrad([90, 110, 130], [30, 36, 44], s.py(dy0), s.py(gv)),
        );
        s.rect(
            door_x - 0.004,
            dy0,
            door_x + 0.004,
            gv,
            Paint::Solid([60, 60, 64]),
        );
        s.rect(
            door_x - 0.02,
            dy0 + 0.1,
            door_x - 0.01,
            dy0 + 0.16,
            Paint::Solid([200, 200, 200]),
        );
        s.rect(
            door_x + 0.01,
            dy0 + 0.1,
            door_x + 0.02,
            dy0 + 0.16,
            Paint::Solid([200, 200, 200]),
        );
        s.poly(
            &[
                (dx0 - 0.06, dy0 - 0.05),
                (dx1 + 0.06, dy0 - 0.05),
                (dx1 + 0.08, dy0 - 0.015),
                (dx0 - 0.08, dy0 - 0.015),
            ],
            Paint::Solid([50, 54, 60]),
        );
        let sign = rng.pick(&[[30, 90, 170], [170, 40, 40], [30, 120, 80]]);
        s.rect(
            door_x - 0.07,
            dy0 - 0.1,
            door_x + 0.07,
            dy0 - 0.06,
            Paint::Solid(sign),
        );
        for lx in [dx0 - 0.04, dx1 + 0.04] {
            s.rect(
                lx - 0.008,
                dy0 + 0.02,
                lx + 0.008,
                dy0 + 0.05,
                Paint::Solid([230, 220, 190]),
            );
            self.glows.push(Glow::Lamp(
                s.px(lx),
                s.py(dy0 + 0.035),
                s.py(0.045),
                [255, 210, 140],
            ));
        }
        // Sidewalk with joints, curb, road with a dashed centre line.
        s.rect(
            0.0,
            gv,
            1.0,
            rv,
            Paint::VGrad([190, 188, 182], [170, 168, 164], s.py(gv), s.py(rv)),
        );
        let mut x = 0.0;
        while x < 1.0 {
            s.line((x, gv), (x - 0.04, rv), 0.003, Paint::Shade(0.85));
            x += 0.12;
        }
        s.rect(0.0, rv, 1.0, rv + 0.015, Paint::Solid([210, 208, 200]));
        s.rect(0.0, rv + 0.015, 1.0, 1.0, Paint::Solid([70, 72, 76]));
        grain(s, 0.0, rv + 0.015, 1.0, 1.0, rng);
        let mut x = 0.02;
        while x < 1.0 {
            s.rect(x, 0.955, x + 0.08, 0.965, Paint::Solid([230, 200, 60]));
            x += 0.16;
        }
        for px in [rng.range(0.05, 0.2), rng.range(0.8, 0.95)] {
            plant(s, px, gv + 0.03, 0.12);
        }
        self.sky_bottom = Some(s.py(sky));
        self.cars.push(Car {
            road_y: s.py(0.99),
            length: s.px(0.4),
            period: 30 + rng.below(40) as i64,
            cross: 6 + rng.below(4) as i64,
            phase: rng.below(60) as i64,
        });
        let walk_y = lerp(gv, rv, 0.55);
        self.walkers.push(Walker {
            from: (s.px(-0.05), s.py(walk_y), s.py(walk_y - sky) * 0.45),
            to: (s.px(1.05), s.py(walk_y), s.py(walk_y - sky) * 0.45),
            period: 40 + rng.below(50) as i64,
            cross: 16 + rng.below(8) as i64,
            phase: rng.below(90) as i64,
        });
    }

    /// A wall clock: the face is part of the static view, the hands are drawn per frame.
    fn add_clock(&mut self, s: &mut Sketch, cx: f32, cy: f32, r: f32) {
        s.circle(cx, cy, r, Paint::Solid([40, 40, 44]));
        s.circle(cx, cy, r * 0.86, Paint::Solid([246, 246, 240]));
        for k in 0..12 {
            let a = k as f32 / 12.0 * TAU;
            let (sx, sy) = (a.sin(), -a.cos());
            let p0 = (cx + sx * r * 0.7 * s.h / s.w, cy + sy * r * 0.7);
            let p1 = (cx + sx * r * 0.8 * s.h / s.w, cy + sy * r * 0.8);
            s.line(p0, p1, r * 0.06, Paint::Solid([60, 60, 60]));
        }
        self.clocks.push(Clock {
            cx: s.px(cx),
            cy: s.py(cy),
            r: s.py(r),
        });
    }
}

fn draw_clock_hands(c: &mut Canvas, clock: &Clock, local: &ZonedDateTime) {
    let (h, m, s) = (
        f32::from(local.hour() % 12),
        f32::from(local.minute()),
        f32::from(local.second()),
    );
    let hands = [
        ((h + m / 60.0) / 12.0, 0.45, 0.09, [30, 30, 30]),
        ((m + s / 60.0) / 60.0, 0.68, 0.06, [30, 30, 30]),
        (s / 60.0, 0.74, 0.03, [190, 30, 30]),
    ];
    for (turn, len, width, color) in hands {
        let a = turn * TAU;
        let tip = (
            clock.cx + a.sin() * clock.r * len,
            clock.cy - a.cos() * clock.r * len,
        );
        c.line(
            (clock.cx, clock.cy),
            tip,
            (clock.r * width * 2.0).max(1.0),
            Paint::Solid(color),
        );
    }
}

/// A person seen from the side-ish front: shadow, legs, body, arms, head.
struct Person {
    x: f32,
    feet: f32,
    height: f32,
    stride: bool,
    shirt: Rgb,
    pants: Rgb,
    skin: Rgb,
}

impl Person {
    fn draw(&self, c: &mut Canvas) {
        let (x, f, h) = (self.x, self.feet, self.height);
        c.ellipse(x, f, h * 0.2, h * 0.04, Paint::Shade(0.6));
        let leg_w = h * 0.08;
        let spread = if self.stride { h * 0.09 } else { h * 0.025 };
        let hip = f - h * 0.48;
        c.line(
            (x - leg_w * 0.6, hip),
            (x - spread, f - h * 0.02),
            leg_w,
            Paint::Solid(self.pants),
        );
        c.line(
            (x + leg_w * 0.6, hip),
            (x + spread, f - h * 0.02),
            leg_w,
            Paint::Solid(self.pants),
        );
        c.ellipse(
            x - spread,
            f - h * 0.015,
            leg_w * 0.7,
            h * 0.02,
            Paint::Solid([25, 25, 25]),
        );
        c.ellipse(
            x + spread,
            f - h * 0.015,
            leg_w * 0.7,
            h * 0.02,
            Paint::Solid([25, 25, 25]),
        );
        let (top, width) = (f - h * 0.82, h * 0.26);
        c.poly(
            &[
                (x - width / 2.0, top),
                (x + width / 2.0, top),
                (x + width * 0.42, hip + h * 0.02),
                (x - width * 0.42, hip + h * 0.02),
            ],
            Paint::Solid(self.shirt),
        );
        let arm = if self.stride { h * 0.05 } else { 0.0 };
        c.line(
            (x - width * 0.5, top + h * 0.02),
            (x - width * 0.55 - arm, hip),
            h * 0.06,
            Paint::Solid(shade(self.shirt, 0.85)),
        );
        c.line(
            (x + width * 0.5, top + h * 0.02),
            (x + width * 0.55 + arm, hip),
            h * 0.06,
            Paint::Solid(shade(self.shirt, 0.85)),
        );
        c.rect(
            x - h * 0.03,
            top - h * 0.04,
            x + h * 0.03,
            top + 1.0,
            Paint::Solid(self.skin),
        );
        c.ellipse(
            x,
            top - h * 0.09,
            h * 0.065,
            h * 0.08,
            Paint::Solid(self.skin),
        );
        c.ellipse(
            x,
            top - h * 0.13,
            h * 0.066,
            h * 0.045,
            Paint::Solid(shade(self.skin, 0.35)),
        );
    }
}

/// A car side on, driving left or right, wheels on `road_y`.
fn draw_side_car(c: &mut Canvas, x: f32, road_y: f32, len: f32, color: Rgb, right: bool) {
    let wheel = len * 0.1;
    let body_top = road_y - len * 0.3;
    let body_bottom = road_y - wheel * 0.6;
    c.ellipse(
        x + len / 2.0,
        road_y,
        len * 0.55,
        len * 0.04,
        Paint::Shade(0.55),
    );
    c.rect(x, body_top, x + len, body_bottom, Paint::Solid(color));
    let (front, back) = if right { (x + len, x) } else { (x, x + len) };
    let dir = if right { 1.0 } else { -1.0 };
    let cabin_top = body_top - len * 0.17;
    c.poly(
        &[
            (back + dir * len * 0.12, body_top),
            (back + dir * len * 0.25, cabin_top),
            (front - dir * len * 0.38, cabin_top),
            (front - dir * len * 0.22, body_top),
        ],
        Paint::Solid(color),
    );
    c.poly(
        &[
            (back + dir * len * 0.17, body_top),
            (back + dir * len * 0.27, cabin_top + len * 0.025),
            (front - dir * len * 0.4, cabin_top + len * 0.025),
            (front - dir * len * 0.27, body_top),
        ],
        Paint::Solid([50, 60, 72]),
    );
    let pillar = x + len * 0.5;
    c.rect(
        pillar - len * 0.012,
        cabin_top,
        pillar + len * 0.012,
        body_top,
        Paint::Solid(color),
    );
    c.rect(
        x,
        body_top + len * 0.08,
        x + len,
        body_top + len * 0.09,
        Paint::Shade(0.7),
    );
    for wx in [x + len * 0.2, x + len * 0.8] {
        c.circle_px(wx, body_bottom, wheel, Paint::Solid([24, 24, 26]));
        c.circle_px(wx, body_bottom, wheel * 0.5, Paint::Solid([150, 150, 154]));
    }
    c.rect(
        front - dir * len * 0.03,
        body_top + len * 0.03,
        front,
        body_top + len * 0.06,
        Paint::Solid([250, 240, 200]),
    );
    c.rect(
        back,
        body_top + len * 0.03,
        back + dir * len * 0.025,
        body_top + len * 0.06,
        Paint::Solid([190, 30, 30]),
    );
}

impl Canvas {
    fn circle_px(&mut self, cx: f32, cy: f32, r: f32, paint: Paint) {
        self.ellipse(cx, cy, r, r, paint);
    }
}

/// The static drawing surface: normalised coordinates over a double-size canvas.
struct Sketch {
    c: Canvas,
    w: f32,
    h: f32,
    /// The picture as it was before the foreground was drawn.
    behind: Option<Vec<Rgb>>,
}

impl Sketch {
    /// Marks the start of the foreground: what is drawn from here on hides people walking by.
    fn begin_foreground(&mut self) {
        self.behind = Some(self.c.px.clone());
    }

    /// Final-size mask of the foreground (pixels where most of the 2x2 block changed).
    fn foreground_mask(&self) -> Option<Arc<[bool]>> {
        let behind = self.behind.as_ref()?;
        let (w, h) = (self.c.w / 2, self.c.h / 2);
        let changed = |x: usize, y: usize| {
            usize::from(self.c.px[y * self.c.w + x] != behind[y * self.c.w + x])
        };
        Some(
            (0..w * h)
                .map(|i| {
                    let (x, y) = (2 * (i % w), 2 * (i / w));
                    changed(x, y) + changed(x + 1, y) + changed(x, y + 1) + changed(x + 1, y + 1)
                        >= 2
                })
                .collect(),
        )
    }

    /// Final-frame pixel x of a normalised x (the sketch is drawn at twice the size).
    fn px(&self, u: f32) -> f32 {
        u * self.w / 2.0
    }
    fn py(&self, v: f32) -> f32 {
        v * self.h / 2.0
    }
    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c
            .rect(x0 * self.w, y0 * self.h, x1 * self.w, y1 * self.h, paint);
    }
    fn poly(&mut self, pts: &[(f32, f32)], paint: Paint) {
        let paint = self.scale_paint(paint);
        let pts: Vec<_> = pts.iter().map(|&(u, v)| (u * self.w, v * self.h)).collect();
        self.c.poly(&pts, paint);
    }
    /// A circle of radius `r` in units of the height.
    fn circle(&mut self, cx: f32, cy: f32, r: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c
            .ellipse(cx * self.w, cy * self.h, r * self.h, r * self.h, paint);
    }
    /// A stroke; `width` is in units of the height.
    fn line(&mut self, a: (f32, f32), b: (f32, f32), width: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c.line(
            (a.0 * self.w, a.1 * self.h),
            (b.0 * self.w, b.1 * self.h),
            width * self.h,
            paint,
        );
    }
    /// Gradients are given in final pixels by callers; the sketch is twice that size.
    fn scale_paint(&self, paint: Paint) -> Paint {
        match paint {
            Paint::VGrad(a, b, y0, y1) => Paint::VGrad(a, b, y0 * 2.0, y1 * 2.0),
            other => other,
        }
    }
}

fn grain(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
    let seed = rng.next_u64();
    s.rect(x0, y0, x1, y1, Paint::Grain(10, seed));
}

/// A one-point-perspective box: back wall rectangle, walls to the image corners.
struct BoxRoom {
    bx0: f32,
    bx1: f32,
    by0: f32,
    by1: f32,
}

impl BoxRoom {
    fn vp(&self) -> (f32, f32) {
        ((self.bx0 + self.bx1) / 2.0, (self.by0 + self.by1) / 2.0)
    }

    /// A point on the left wall: `t` from the image edge (0) to the back corner (1), `up`
    /// from the floor (0) to the ceiling (1), `off` moved out from the wall into the room.
    fn left_wall(&self, t: f32, up: f32, off: f32) -> (f32, f32) {
        let bottom = lerp_pt((0.0, 1.0), (self.bx0, self.by1), t);
        let top = lerp_pt((0.0, 0.0), (self.bx0, self.by0), t);
        let p = lerp_pt(bottom, top, up);
        (p.0 + off * (1.0 - t), p.1)
    }

    fn right_wall(&self, t: f32, up: f32) -> (f32, f32) {
        let bottom = lerp_pt((1.0, 1.0), (self.bx1, self.by1), t);
        let top = lerp_pt((1.0, 0.0), (self.bx1, self.by0), t);
        lerp_pt(bottom, top, up)
    }

    fn shell(&self, s: &mut Sketch, rng: &mut Rng, wall: Rgb, ceiling: Rgb) {
        let floor = rng.pick(&[
            [96, 100, 112],
            [112, 96, 84],
            [84, 96, 108],
            [160, 118, 78],
            [196, 194, 186],
            [176, 178, 182],
        ]);
        self.shell_with_floor(s, wall, floor, ceiling, rng);
        // Floor pattern: boards or tiles running towards the back wall.
        let (vx, vy) = self.vp();
        let lines = 9;
        for i in 0..=lines {
            let x = lerp(self.bx0, self.bx1, i as f32 / lines as f32);
            let far = (x, self.by1);
            // Extend the line from the vanishing point through `far` down to the bottom edge.
            let k = (1.0 - vy) / (self.by1 - vy);
            let near = (vx + (x - vx) * k, 1.0);
            s.line(far, near, 0.003, Paint::Shade(0.88));
        }
        if floor[0] > 170 {
            for j in 1..6 {
                let y = self.by1 + (1.0 - self.by1) * (j as f32 / 6.0).powf(1.6);
                s.line((0.0, y), (1.0, y), 0.003, Paint::Shade(0.88));
            }
        }
        // Ceiling light panels.
        for t in [0.35, 0.72] {
            let y = lerp(0.0, self.by0, t);
            let half = lerp(0.12, 0.04, t);
            let (cx, _) = self.vp();
            s.poly(
                &[
                    (cx - half, y - 0.012 * (1.0 - t)),
                    (cx + half, y - 0.012 * (1.0 - t)),
                    (cx + half * 0.85, y + 0.012),
                    (cx - half * 0.85, y + 0.012),
                ],
                Paint::Solid([252, 252, 246]),
            );
        }
    }

    fn shell_with_floor(&self, s: &mut Sketch, wall: Rgb, floor: Rgb, ceiling: Rgb, rng: &mut Rng) {
        let (bx0, bx1, by0, by1) = (self.bx0, self.bx1, self.by0, self.by1);
        s.poly(
            &[(0.0, 0.0), (1.0, 0.0), (bx1, by0), (bx0, by0)],
            Paint::VGrad(shade(ceiling, 0.8), ceiling, 0.0, s.py(by0)),
        );
        s.rect(bx0, by0, bx1, by1, Paint::Solid(wall));
        s.poly(
            &[(0.0, 0.0), (bx0, by0), (bx0, by1), (0.0, 1.0)],
            Paint::Solid(shade(wall, 0.86)),
        );
        s.poly(
            &[(1.0, 0.0), (bx1, by0), (bx1, by1), (1.0, 1.0)],
            Paint::Solid(shade(wall, 0.74)),
        );
        s.poly(
            &[(0.0, 1.0), (bx0, by1), (bx1, by1), (1.0, 1.0)],
            Paint::VGrad(shade(floor, 0.8), floor, s.py(by1), s.py(1.0)),
        );
        grain(s, 0.0, by1, 1.0, 1.0, rng);
        // Skirting boards along the floor edges.
        let skirt = Paint::Solid(shade(wall, 0.55));
        s.line((bx0, by1), (bx1, by1), 0.008, skirt);
        s.line((bx0, by1), (0.0, 1.0), 0.01, skirt);
        s.line((bx1, by1), (1.0, 1.0), 0.01, skirt);
    }

    /// A door on a side wall between depths `t0` and `t1`.
    fn side_door(&self, s: &mut Sketch, left: bool, t0: f32, t1: f32, rng: &mut Rng) {
        let color = rng.pick(&[
            [150, 110, 70],
            [120, 126, 136],
            [176, 150, 110],
            [90, 110, 140],
        ]);
        let at = |t: f32, up: f32| {
            if left {
                self.left_wall(t, up, 0.0)
            } else {
                self.right_wall(t, up)
            }
        };
        let frame = [at(t0, 0.0), at(t0, 0.74), at(t1, 0.74), at(t1, 0.0)];
        s.poly(&frame, Paint::Solid([70, 64, 60]));
        let pad = (t1 - t0) * 0.08;
        let leaf = [
            at(t0 + pad, 0.0),
            at(t0 + pad, 0.71),
            at(t1 - pad, 0.71),
            at(t1 - pad, 0.0),
        ];
        s.poly(
            &leaf,
            Paint::Solid(if left { color } else { shade(color, 0.85) }),
        );
        let knob = at(t0 + (t1 - t0) * 0.8, 0.36);
        s.circle(knob.0, knob.1, 0.007, Paint::Solid([210, 200, 160]));
    }
}

fn door(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
    let color = rng.pick(&[
        [150, 110, 70],
        [120, 126, 136],
        [176, 150, 110],
        [90, 110, 140],
    ]);
    s.rect(
        x0 - 0.008,
        y0 - 0.012,
        x1 + 0.008,
        y1,
        Paint::Solid([70, 64, 60]),
    );
    s.rect(
        x0,
        y0,
        x1,
        y1,
        Paint::VGrad(color, shade(color, 0.85), s.py(y0), s.py(y1)),
    );
    if rng.chance(0.5) {
        let (wx0, wx1) = (lerp(x0, x1, 0.25), lerp(x0, x1, 0.75));
        let (wy0, wy1) = (lerp(y0, y1, 0.1), lerp(y0, y1, 0.35));
        s.rect(wx0, wy0, wx1, wy1, Paint::Solid([170, 190, 205]));
    }
    let kx = lerp(x0, x1, 0.82);
    let ky = lerp(y0, y1, 0.55);
    s.rect(
        kx - 0.008,
        ky - 0.005,
        kx + 0.004,
        ky + 0.005,
        Paint::Solid([215, 205, 165]),
    );
}

fn bookcase(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
    let wood = rng.pick(&[[110, 76, 48], [150, 112, 72], [70, 60, 54]]);
    s.rect(x0, y0, x1, y1, Paint::Solid(wood));
    let shelves = 4;
    let sh = (y1 - y0) / shelves as f32;
    for k in 0..shelves {
        let top = y0 + k as f32 * sh + 0.01;
        let bottom = y0 + (k + 1) as f32 * sh - 0.006;
        s.rect(
            x0 + 0.008,
            top,
            x1 - 0.008,
            bottom,
            Paint::Solid(shade(wood, 0.45)),
        );
        let mut x = x0 + 0.01;
        while x < x1 - 0.02 {
            let bw = rng.range(0.006, 0.014);
            let bh = rng.range(0.6, 0.95) * (bottom - top);
            if rng.chance(0.85) {
                let color = rng.pick(&SHIRTS);
                s.rect(
                    x,
                    bottom - bh,
                    (x + bw).min(x1 - 0.01),
                    bottom,
                    Paint::Solid(color),
                );
            }
            x += bw + 0.001;
        }
    }
}

fn plant(s: &mut Sketch, x: f32, bottom: f32, size: f32) {
    s.poly(
        &[
            (x - size * 0.22, bottom - size * 0.3),
            (x + size * 0.22, bottom - size * 0.3),
            (x + size * 0.16, bottom),
            (x - size * 0.16, bottom),
        ],
        Paint::Solid([150, 80, 50]),
    );
    for (dx, dy, r) in [
        (0.0, 0.62, 0.22),
        (-0.15, 0.5, 0.17),
        (0.16, 0.48, 0.17),
        (0.02, 0.85, 0.15),
    ] {
        s.circle(
            x + dx * size * 0.75,
            bottom - dy * size,
            r * size,
            Paint::Solid([50, 110, 56]),
        );
        s.circle(
            x + dx * size * 0.75 - 0.004,
            bottom - dy * size - 0.01,
            r * size * 0.6,
            Paint::Solid([72, 136, 70]),
        );
    }
}

/// A box standing on the floor: the front face spans `x0..x1` up from `bottom` by `height`;
/// the top and the side facing the vanishing point recede towards it by `depth` (0..1).
#[allow(clippy::too_many_arguments)]
fn block(
    s: &mut Sketch,
    x0: f32,
    x1: f32,
    bottom: f32,
    height: f32,
    depth: f32,
    vp: (f32, f32),
    color: Rgb,
) {
    let top = bottom - height;
    let back = |p: (f32, f32)| lerp_pt(p, vp, depth);
    let side_x = if x1 < vp.0 {
        Some(x1)
    } else if x0 > vp.0 {
        Some(x0)
    } else {
        None
    };
    if let Some(x) = side_x {
        s.poly(
            &[(x, top), (x, bottom), back((x, bottom)), back((x, top))],
            Paint::Solid(shade(color, 0.78)),
        );
    }
    s.poly(
        &[(x0, top), (x1, top), back((x1, top)), back((x0, top))],
        Paint::Solid(shade(color, 1.12)),
    );
    s.rect(x0, top, x1, bottom, Paint::Solid(color));
}

const WOODS: [Rgb; 4] = [
    [176, 140, 100],
    [200, 196, 188],
    [120, 88, 60],
    [90, 90, 96],
];

/// A desk with a monitor, and the back of an office chair in front of it.
fn desk(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
    let wood = rng.pick(&WOODS);
    let (x0, x1) = (cx - width / 2.0, cx + width / 2.0);
    let top_y = front - 0.13;
    block(s, x0, x1, front, 0.13, 0.22, vp, shade(wood, 0.8));
    let (mx, my) = lerp_pt((cx, top_y), vp, 0.12);
    let mw = width * 0.32;
    s.rect(
        mx - 0.008,
        my - 0.04,
        mx + 0.008,
        my,
        Paint::Solid([40, 40, 44]),
    );
    s.rect(
        mx - mw / 2.0,
        my - 0.13,
        mx + mw / 2.0,
        my - 0.035,
        Paint::Solid([30, 30, 34]),
    );
    let (sy0, sy1) = (my - 0.122, my - 0.043);
    let screen = Paint::VGrad([90, 140, 200], [40, 70, 120], s.py(sy0), s.py(sy1));
    s.rect(
        mx - mw / 2.0 + 0.006,
        sy0,
        mx + mw / 2.0 - 0.006,
        sy1,
        screen,
    );
    let chx = cx + rng.range(-0.06, 0.06);
    s.rect(
        chx - 0.05,
        front - 0.11,
        chx + 0.05,
        front + 0.02,
        Paint::Solid([40, 40, 46]),
    );
    s.circle(chx, front - 0.11, 0.05, Paint::Solid([40, 40, 46]));
}

/// A long table with chairs on both sides.
fn meeting_table(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
    let wood = rng.pick(&WOODS);
    let chair = rng.pick(&[[40, 40, 46], [150, 40, 40], [40, 70, 130], [60, 110, 80]]);
    let (x0, x1) = (cx - width / 2.0, cx + width / 2.0);
    let seats = 3 + rng.below(2);
    let seat_x = |k: usize| lerp(x0, x1, (k as f32 + 0.5) / seats as f32);
    // Chairs on the far side show their backs above the table top.
    for k in 0..seats {
        let (bx, by) = lerp_pt((seat_x(k), front - 0.08), vp, 0.42);
        s.rect(
            bx - 0.03,
            by - 0.1,
            bx + 0.03,
            by,
            Paint::Solid(shade(chair, 0.8)),
        );
    }
    block(s, x0, x1, front - 0.02, 0.07, 0.4, vp, shade(wood, 0.85));
    s.rect(
        x0 + 0.02,
        front - 0.02,
        x0 + 0.03,
        front + 0.02,
        Paint::Solid(shade(wood, 0.5)),
    );
    s.rect(
        x1 - 0.03,
        front - 0.02,
        x1 - 0.02,
        front + 0.02,
        Paint::Solid(shade(wood, 0.5)),
    );
    for k in 0..seats {
        let x = seat_x(k) + rng.range(-0.01, 0.01);
        s.rect(
            x - 0.035,
            front - 0.05,
            x + 0.035,
            front + 0.04,
            Paint::Solid(chair),
        );
    }
}

/// A sofa facing away from the camera towards the room.
fn sofa(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
    let cloth = rng.pick(&[
        [150, 60, 50],
        [60, 80, 120],
        [90, 110, 80],
        [120, 110, 100],
        [50, 50, 56],
    ]);
    let (x0, x1) = (cx - width / 2.0, cx + width / 2.0);
    // Far to near: the seat, the arms, then the backrest seen from behind.
    block(s, x0 + 0.02, x1 - 0.02, front - 0.04, 0.08, 0.25, vp, cloth);
    for (a0, a1) in [(x0 - 0.01, x0 + 0.025), (x1 - 0.025, x1 + 0.01)] {
        block(s, a0, a1, front, 0.11, 0.3, vp, shade(cloth, 0.85));
    }
    block(s, x0, x1, front, 0.14, 0.05, vp, shade(cloth, 0.7));
}

/// A shop counter with a till.
fn counter(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
    let color = rng.pick(&[[200, 200, 196], [150, 110, 80], [60, 90, 130]]);
    let (x0, x1) = (cx - width / 2.0, cx + width / 2.0);
    block(s, x0, x1, front, 0.17, 0.18, vp, color);
    s.rect(
        x0,
        front - 0.17,
        x1,
        front - 0.155,
        Paint::Solid(shade(color, 0.6)),
    );
    let tx = lerp(x0, x1, rng.range(0.2, 0.8));
    let (tx, ty) = lerp_pt((tx, front - 0.17), vp, 0.08);
    block(s, tx - 0.04, tx + 0.04, ty, 0.035, 0.15, vp, [40, 40, 44]);
    s.rect(
        tx - 0.025,
        ty - 0.09,
        tx + 0.025,
        ty - 0.04,
        Paint::Solid([30, 30, 34]),
    );
    s.rect(
        tx - 0.02,
        ty - 0.085,
        tx + 0.02,
        ty - 0.047,
        Paint::Solid([70, 140, 110]),
    );
}

/// A server rack cabinet with status lights.
fn server_rack(s: &mut Sketch, x0: f32, bottom: f32, height: f32, vp: (f32, f32), rng: &mut Rng) {
    let x1 = x0 + 0.09;
    block(s, x0, x1, bottom, height, 0.06, vp, [38, 40, 46]);
    let units = 8;
    for u in 0..units {
        let y = bottom - height + 0.015 + u as f32 * (height - 0.03) / units as f32;
        s.rect(
            x0 + 0.008,
            y,
            x1 - 0.008,
            y + 0.012,
            Paint::Solid([60, 62, 70]),
        );
        for k in 0..3 {
            if rng.chance(0.6) {
                let led = rng.pick(&[[60, 220, 90], [240, 180, 40], [60, 160, 240]]);
                let lx = x0 + 0.014 + k as f32 * 0.01;
                s.rect(lx, y + 0.004, lx + 0.005, y + 0.009, Paint::Solid(led));
            }
        }
    }
}

/// A parked car seen from the front, centred on `cx` with its bumper at `bottom`.
fn front_car(s: &mut Sketch, cx: f32, bottom: f32, width: f32, color: Rgb) {
    let aspect = s.w / s.h;
    let h = width * aspect * 0.42;
    let (x0, x1) = (cx - width / 2.0, cx + width / 2.0);
    let body_top = bottom - h * 0.55;
    s.rect(
        x0 - width * 0.05,
        bottom - h * 0.03,
        x1 + width * 0.05,
        bottom + h * 0.06,
        Paint::Shade(0.6),
    );
    s.rect(
        x0 + width * 0.04,
        bottom - h * 0.12,
        x0 + width * 0.2,
        bottom + h * 0.04,
        Paint::Solid([20, 20, 22]),
    );
    s.rect(
        x1 - width * 0.2,
        bottom - h * 0.12,
        x1 - width * 0.04,
        bottom + h * 0.04,
        Paint::Solid([20, 20, 22]),
    );
    s.rect(x0, body_top, x1, bottom - h * 0.05, Paint::Solid(color));
    s.poly(
        &[
            (x0 + width * 0.12, body_top),
            (x0 + width * 0.2, bottom - h),
            (x1 - width * 0.2, bottom - h),
            (x1 - width * 0.12, body_top),
        ],
        Paint::Solid(color),
    );
    s.poly(
        &[
            (x0 + width * 0.16, body_top),
            (x0 + width * 0.23, bottom - h * 0.93),
            (x1 - width * 0.23, bottom - h * 0.93),
            (x1 - width * 0.16, body_top),
        ],
        Paint::VGrad(
            [90, 110, 130],
            [40, 48, 58],
            s.py(bottom - h),
            s.py(body_top),
        ),
    );
    s.rect(
        x0 + width * 0.05,
        body_top + h * 0.1,
        x0 + width * 0.22,
        body_top + h * 0.2,
        Paint::Solid([236, 236, 220]),
    );
    s.rect(
        x1 - width * 0.22,
        body_top + h * 0.1,
        x1 - width * 0.05,
        body_top + h * 0.2,
        Paint::Solid([236, 236, 220]),
    );
    s.rect(
        cx - width * 0.18,
        body_top + h * 0.22,
        cx + width * 0.18,
        body_top + h * 0.34,
        Paint::Solid([30, 30, 32]),
    );
    s.rect(
        cx - width * 0.1,
        bottom - h * 0.16,
        cx + width * 0.1,
        bottom - h * 0.09,
        Paint::Solid([230, 230, 230]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(esn: &str, name: &str, zone: &str) -> FrameCamera {
        FrameCamera {
            esn: esn.to_owned(),
            name: name.to_owned(),
            time_zone: TimeZone::get(zone).unwrap(),
        }
    }

    fn ts(s: &str) -> EenTimestamp {
        s.parse().unwrap()
    }

    /// The marker segments before the scan: (marker byte, payload without the length).
    fn segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
        let mut out = Vec::new();
        let mut at = 2;
        loop {
            assert_eq!(jpeg[at], 0xFF, "marker at {at}");
            let marker = jpeg[at + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            out.push((marker, &jpeg[at + 4..at + 2 + len]));
            at += 2 + len;
            if marker == 0xDA {
                return out;
            }
        }
    }

    fn comment(jpeg: &[u8]) -> String {
        let coms: Vec<_> = segments(jpeg).into_iter().filter(|s| s.0 == 0xFE).collect();
        assert_eq!(coms.len(), 1, "exactly one comment segment");
        String::from_utf8(coms[0].1.to_vec()).unwrap()
    }

    /// Decoded RGB pixels, checked to be `w` x `h`.
    fn decode(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        let pixels = decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        assert_eq!(pixels.len(), usize::from(w) * usize::from(h) * 3);
        pixels
    }

    /// Mean absolute difference of two RGB images over rows `rows` and columns `cols`.
    fn mean_diff(
        a: &[u8],
        b: &[u8],
        w: usize,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
    ) -> f64 {
        let mut sum = 0u64;
        let mut n = 0u64;
        for y in rows {
            for x in cols.clone() {
                for c in 0..3 {
                    let i = (y * w + x) * 3 + c;
                    sum += u64::from(a[i].abs_diff(b[i]));
                    n += 1;
                }
            }
        }
        sum as f64 / n as f64
    }

    #[test]
    fn frames_are_baseline_jfif_jpegs_of_the_configured_size() {
        let cam = camera("1000abcd", "Lobby", "America/Chicago");
        for (w, h) in [(320, 240), (640, 480), (100, 75), (333, 17)] {
            let jpeg = Frames::new(w, h).jpeg(&cam, ts("20261128113812.149"));
            let segs = segments(&jpeg);
            assert_eq!(segs[0].0, 0xE0, "APP0 follows SOI");
            assert_eq!(&segs[0].1[..5], b"JFIF\0");
            let sofs: Vec<_> = segs
                .iter()
                .filter(|s| matches!(s.0, 0xC0..=0xCF) && !matches!(s.0, 0xC4 | 0xC8 | 0xCC))
                .collect();
            assert_eq!(sofs.len(), 1, "one frame header");
            let (marker, sof) = sofs[0];
            assert_eq!(*marker, 0xC0, "baseline DCT (SOF0)");
            assert_eq!(sof[0], 8, "8-bit samples");
            assert_eq!(u16::from_be_bytes([sof[1], sof[2]]), h);
            assert_eq!(u16::from_be_bytes([sof[3], sof[4]]), w);
            assert_eq!(sof[5], 3, "YCbCr");
            assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "ends with EOI");
            decode(&jpeg, w, h);
        }
    }

    #[test]
    fn every_frame_names_its_camera_and_exact_timestamp() {
        let frames = Frames::new(320, 240);
        let cam = camera("100e3a1f", "Loading Dock", "America/New_York");
        // Several frames in one second share cached pixels; each comment is still exact.
        for t in [
            "20261128053812.149",
            "20261128053812.000",
            "20261128053812.999",
            "20261128053813.001",
        ] {
            let jpeg = frames.jpeg(&cam, ts(t));
            let text = comment(&jpeg);
            assert_eq!(text, format!("een-sim esn=100e3a1f ts={t}"));
            // It parses back to the camera and the instant.
            let rest = text.strip_prefix("een-sim esn=").unwrap();
            let (esn, stamp) = rest.split_once(" ts=").unwrap();
            assert_eq!(esn, cam.esn);
            assert_eq!(stamp.parse::<EenTimestamp>().unwrap(), ts(t));
            // The comment sits right after SOI and APP0.
            assert_eq!(segments(&jpeg)[1].0, 0xFE);
        }
    }

    #[test]
    fn frames_are_deterministic() {
        let cam = camera("10001234", "Parking Lot East", "America/Denver");
        let t = ts("20261128053812.149");
        let (a, b) = (Frames::new(320, 240), Frames::new(320, 240));
        let first = a.jpeg(&cam, t);
        assert_eq!(first, b.jpeg(&cam, t), "independent renderers agree");
        assert_eq!(first, a.jpeg(&cam, t), "a cached frame is the same frame");
    }

    #[test]
    fn distinct_cameras_show_distinct_pictures() {
        let t = ts("20261128173812.149");
        let frames = Frames::new(320, 240);
        let cams = [
            camera("10000001", "Front Lobby", "America/Chicago"),
            camera("10000002", "Front Lobby", "America/Chicago"),
            camera("10000003", "Main Hallway", "America/Chicago"),
            camera("10000004", "Warehouse Aisle 3", "America/Chicago"),
            camera("10000005", "Parking Lot North", "America/Chicago"),
            camera("10000006", "Main Entrance", "America/Chicago"),
            camera("10000007", "Camera 7", "America/Chicago"),
        ];
        let pixels: Vec<_> = cams
            .iter()
            .map(|c| decode(&frames.jpeg(c, t), 320, 240))
            .collect();
        for i in 0..cams.len() {
            for j in i + 1..cams.len() {
                // Well above sensor noise: the scenes themselves differ.
                let d = mean_diff(&pixels[i], &pixels[j], 320, 14..226, 0..320);
                assert!(
                    d > 8.0,
                    "{} and {} differ by only {d:.1}",
                    cams[i].esn,
                    cams[j].esn
                );
            }
        }
    }

    #[test]
    fn the_on_screen_clock_and_name_change_the_osd_strips() {
        let frames = Frames::new(320, 240);
        let cam = camera("100abc01", "Reception", "Europe/Berlin");
        let t = ts("20261128173812.149");
        let now = decode(&frames.jpeg(&cam, t), 320, 240);
        let next = decode(&frames.jpeg(&cam, t.add_millis(1000)), 320, 240);
        let later = decode(&frames.jpeg(&cam, t.add_millis(3_600_000)), 320, 240);
        // Character k of the clock text covers columns 3 + 8k .. 11 + 8k, rows 3..11. The
        // date (characters 0..10) stays put; the seconds (17, 18) and the hour (11, 12) move.
        let cols = |k: usize, n: usize| 3 + 8 * k..3 + 8 * (k + n);
        let date = mean_diff(&now, &next, 320, 3..11, cols(0, 10));
        let seconds = mean_diff(&now, &next, 320, 3..11, cols(17, 2));
        let hour = mean_diff(&now, &later, 320, 3..11, cols(11, 2));
        assert!(
            date < 6.0,
            "the date is stable apart from noise ({date:.1})"
        );
        assert!(seconds > 2.5 * date, "the seconds changed ({seconds:.1})");
        assert!(hour > 2.5 * date, "the hour changed ({hour:.1})");
        // Another camera's name changes the bottom strip.
        let other = camera("100abc01", "Back Office", "Europe/Berlin");
        let named = decode(&frames.jpeg(&other, t), 320, 240);
        let name = mean_diff(&now, &named, 320, 229..237, cols(0, 9));
        assert!(name > 10.0, "name drawn");
    }

    #[test]
    fn frames_within_one_second_share_pixels_and_differ_in_the_comment() {
        let frames = Frames::new(320, 240);
        let cam = camera("100abc02", "Stairwell", "Asia/Tokyo");
        let a = frames.jpeg(&cam, ts("20261128173812.100"));
        let b = Frames::new(320, 240).jpeg(&cam, ts("20261128173812.900"));
        assert_ne!(a, b);
        let scan = |j: &[u8]| j[j.len() - 4000..].to_vec();
        assert_eq!(scan(&a), scan(&b));
        assert_ne!(comment(&a), comment(&b));
    }

    #[test]
    fn the_osd_clock_shows_local_time_with_the_zone_abbreviation() {
        let t = ts("20261128113812.149");
        let at = |zone: &str| osd_time(&t.in_zone(&TimeZone::get(zone).unwrap()));
        assert_eq!(at("America/Chicago"), "2026-11-28 05:38:12 CST");
        assert_eq!(at("Asia/Tokyo"), "2026-11-28 20:38:12 JST");
        assert_eq!(at("UTC"), "2026-11-28 11:38:12 UTC");
        let summer =
            ts("20260704113812.149").in_zone(&TimeZone::get("America/Los_Angeles").unwrap());
        assert_eq!(osd_time(&summer), "2026-07-04 04:38:12 PDT");
    }

    #[test]
    fn osd_text_is_light_on_a_dark_backing_strip() {
        let frames = Frames::new(320, 240);
        let cam = camera("100abc03", "Parking Garage", "UTC");
        let t = ts("20261128120000.000");
        let canvas = frames.render(&cam, t.as_millis() / 1000);
        let glyph = font8x8::BASIC_FONTS.get('2').unwrap();
        let (mut lit, mut dark) = (0, 0);
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                let p = canvas.px[(3 + row) * 320 + 3 + col];
                if bits & (1 << col) != 0 {
                    assert_eq!(p, [240, 240, 240], "glyph pixel at {col},{row}");
                    lit += 1;
                } else {
                    assert!(
                        p.iter().all(|&v| v < 90),
                        "backing pixel at {col},{row}: {p:?}"
                    );
                    dark += 1;
                }
            }
        }
        assert!(lit > 10 && dark > 10);
    }

    /// Mean luma and mean colourfulness (|r - g| + |g - b|) of a canvas.
    fn luma_and_colour(c: &Canvas) -> (f64, f64) {
        let n = c.px.len() as f64;
        let luma =
            c.px.iter()
                .map(|p| 0.3 * f64::from(p[0]) + 0.59 * f64::from(p[1]) + 0.11 * f64::from(p[2]))
                .sum::<f64>();
        let colour =
            c.px.iter()
                .map(|p| f64::from(p[0].abs_diff(p[1])) + f64::from(p[1].abs_diff(p[2])))
                .sum::<f64>();
        (luma / n, colour / n)
    }

    #[test]
    fn day_and_night_follow_the_camera_local_time() {
        let frames = Frames::new(160, 120);
        // 03:00 UTC is noon in Tokyo and 21:00 the evening before in Chicago.
        let second = ts("20260615030000.000").as_millis() / 1000;
        for name in ["Parking Lot", "Front Gate"] {
            let day = frames.render(&camera("100abc04", name, "Asia/Tokyo"), second);
            let night = frames.render(&camera("100abc04", name, "America/Chicago"), second);
            let (day_luma, day_colour) = luma_and_colour(&day);
            let (night_luma, night_colour) = luma_and_colour(&night);
            assert!(
                day_luma > night_luma * 1.6,
                "{name}: day {day_luma:.0}, night {night_luma:.0}"
            );
            // Night mode is monochrome apart from lamps and lit windows.
            assert!(
                night_colour < day_colour / 2.0,
                "{name}: colour day {day_colour:.1}, night {night_colour:.1}"
            );
        }
    }

    #[test]
    fn something_moves_over_time() {
        let frames = Frames::new(320, 240);
        let start = ts("20261128173812.149").as_millis() / 1000;
        for (esn, name) in [
            ("100abc05", "Conference Room"),
            ("100abc06", "Parking Lot South"),
            ("100abc07", "Main Hallway"),
        ] {
            let cam = camera(esn, name, "America/Chicago");
            let first = frames.render(&cam, start);
            // Changes well beyond noise outside the OSD strips, at some point in five minutes.
            let moved = (1..=60).any(|k| {
                let other = frames.render(&cam, start + 5 * k);
                first.px[16 * 320..224 * 320]
                    .iter()
                    .zip(&other.px[16 * 320..224 * 320])
                    .filter(|(a, b)| (0..3).any(|c| a[c].abs_diff(b[c]) > 48))
                    .count()
                    > 40
            });
            assert!(moved, "{name} never changes");
        }
    }

    #[test]
    fn odd_input_renders_without_panicking() {
        let t = ts("19700101000000.000");
        let tiny = Frames::new(1, 0).jpeg(&camera("", "", "UTC"), t);
        decode(&tiny, MIN_SIDE, MIN_SIDE);
        let frames = Frames::new(320, 240);
        let long_name = "Überwachungskamera Café Ωmega ✓ ".repeat(20);
        decode(
            &frames.jpeg(&camera("1000ffff", &long_name, "Australia/Lord_Howe"), t),
            320,
            240,
        );
        decode(
            &frames.jpeg(
                &camera("1000ffff", "x", "UTC"),
                EenTimestamp::from_millis(-1),
            ),
            320,
            240,
        );
        // An absurd ESN still yields a well-formed (truncated) comment segment.
        let huge = "e".repeat(70_000);
        let jpeg = frames.jpeg(&camera(&huge, "Lobby", "UTC"), t);
        assert!(comment(&jpeg).starts_with("een-sim esn=eee"));
        decode(&jpeg, 320, 240);
    }

    #[test]
    fn people_walk_behind_the_furniture_nearest_the_camera() {
        let frames = Frames::new(320, 240);
        let cam = camera("100abc08", "Office 12", "UTC");
        let scene = frames.scene(&cam);
        let front = scene.front.clone().expect("an office has a desk in front");
        let walker = scene.walkers[0];
        let local = EenTimestamp::from_millis(0).in_zone(&TimeZone::UTC);
        // Each second someone is in view: they change the picture, never the furniture.
        let mut seen = 0;
        for second in (0..walker.period)
            .filter(|t| (t + walker.phase).rem_euclid(walker.period) < walker.cross)
        {
            let mut c = Canvas {
                w: 320,
                h: 240,
                px: scene.base.clone(),
                clip_bottom: f32::MAX,
                mask: None,
            };
            let mut empty = Canvas {
                w: 320,
                h: 240,
                px: scene.base.clone(),
                clip_bottom: f32::MAX,
                mask: None,
            };
            scene.draw_moving(&mut c, second, &local, 1.0);
            scene.draw_moving(
                &mut empty,
                walker.period + walker.cross - walker.phase,
                &local,
                1.0,
            );
            for (i, &covered) in front.iter().enumerate() {
                if covered {
                    assert_eq!(c.px[i], scene.base[i], "furniture pixel {i} painted over");
                }
            }
            seen += c.px.iter().zip(&empty.px).filter(|(a, b)| a != b).count();
        }
        assert!(seen > 1000, "the walker was drawn ({seen} pixels)");
    }

    #[test]
    fn frames_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Frames>();
    }
}
