//! The static drawing surface: normalised coordinates over a double-size canvas, and the
//! foreground mask of what hides people walking by.

use std::sync::Arc;

use super::Rng;
use crate::sim::frames::canvas::{Canvas, Paint, Rgb};

/// The static drawing surface: normalised coordinates over a double-size canvas.
pub(crate) struct Sketch {
    pub(crate) c: Canvas,
    pub(crate) w: f32,
    pub(crate) h: f32,
    /// The picture as it was before the foreground was drawn.
    pub(crate) behind: Option<Vec<Rgb>>,
}

impl Sketch {
    /// Marks the start of the foreground: what is drawn from here on hides people walking by.
    pub(crate) fn begin_foreground(&mut self) {
        self.behind = Some(self.c.px.clone());
    }

    /// Final-size mask of the foreground (pixels where most of the 2x2 block changed).
    pub(crate) fn foreground_mask(&self) -> Option<Arc<[bool]>> {
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
    pub(crate) fn px(&self, u: f32) -> f32 {
        u * self.w / 2.0
    }
    pub(crate) fn py(&self, v: f32) -> f32 {
        v * self.h / 2.0
    }
    pub(crate) fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c
            .rect(x0 * self.w, y0 * self.h, x1 * self.w, y1 * self.h, paint);
    }
    pub(crate) fn poly(&mut self, pts: &[(f32, f32)], paint: Paint) {
        let paint = self.scale_paint(paint);
        let pts: Vec<_> = pts.iter().map(|&(u, v)| (u * self.w, v * self.h)).collect();
        self.c.poly(&pts, paint);
    }
    /// A circle of radius `r` in units of the height.
    pub(crate) fn circle(&mut self, cx: f32, cy: f32, r: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c
            .ellipse(cx * self.w, cy * self.h, r * self.h, r * self.h, paint);
    }
    /// A stroke; `width` is in units of the height.
    pub(crate) fn line(&mut self, a: (f32, f32), b: (f32, f32), width: f32, paint: Paint) {
        let paint = self.scale_paint(paint);
        self.c.line(
            (a.0 * self.w, a.1 * self.h),
            (b.0 * self.w, b.1 * self.h),
            width * self.h,
            paint,
        );
    }
    /// Gradients are given in final pixels by callers; the sketch is twice that size.
    pub(crate) fn scale_paint(&self, paint: Paint) -> Paint {
        match paint {
            Paint::VGrad(a, b, y0, y1) => Paint::VGrad(a, b, y0 * 2.0, y1 * 2.0),
            other => other,
        }
    }
}

pub(crate) fn grain(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
    let seed = rng.next_u64();
    s.rect(x0, y0, x1, y1, Paint::Grain(10, seed));
}
