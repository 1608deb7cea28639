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
//!
//! Layout: `canvas` (pixels and shapes), `scenes` (what each camera looks at), `light` (day,
//! night and sensor noise), `osd` (the on-screen text), `jpeg` (encoding and the comment).

mod canvas;
mod jpeg;
mod light;
mod osd;
mod scenes;
#[cfg(test)]
mod tests;

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use jiff::tz::TimeZone;
use moka::sync::Cache;

use crate::sim::hash::finalize;
use crate::timestamp::EenTimestamp;
use canvas::Canvas;
use jpeg::Encoded;
use light::expose;
use osd::{draw_osd, osd_time};
use scenes::Scene;

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
        jpeg::with_comment(&frame, &camera.esn, ts)
    }

    fn scene(&self, camera: &FrameCamera) -> Arc<Scene> {
        self.scenes
            .get_with((camera.esn.clone(), camera.name.clone()), || {
                Arc::new(Scene::build(camera, self.width, self.height))
            })
    }

    fn render_encoded(&self, camera: &FrameCamera, second: i64) -> Encoded {
        jpeg::encode(&self.render(camera, second))
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
            finalize(scene.seed ^ finalize(second as u64)),
        );
        scene.draw_glows(&mut canvas, light.night, light.saturation);
        draw_osd(&mut canvas, &osd_time(&local), &camera.name);
        canvas
    }
}

fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}
