//! Pixels and shapes: an RGB canvas with scanline filling, the paints shapes are filled with,
//! and the small maths both the canvas and the scenes use.

use std::sync::Arc;

use crate::sim::hash::finalize;

pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

pub(crate) fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

pub(crate) fn lerp_pt(a: (f32, f32), b: (f32, f32), t: f32) -> (f32, f32) {
    (lerp(a.0, b.0, t), lerp(a.1, b.1, t))
}

pub(crate) type Rgb = [u8; 3];

pub(crate) fn shade(c: Rgb, f: f32) -> Rgb {
    c.map(|v| (f32::from(v) * f).clamp(0.0, 255.0) as u8)
}

pub(crate) fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [0, 1, 2].map(|i| lerp(f32::from(a[i]), f32::from(b[i]), t).clamp(0.0, 255.0) as u8)
}

/// How a shape changes the pixels it covers.
#[derive(Clone, Copy)]
pub(crate) enum Paint {
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
    pub(crate) fn fill(self, row: &mut [Rgb], x0: usize, y: usize) {
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
                    let h = finalize(seed ^ ((y as u64) << 32 | x as u64));
                    let d = (h % span) as i32 - i32::from(amp);
                    *p = p.map(|v| (i32::from(v) + d).clamp(0, 255) as u8);
                }
            }
        }
    }
}

/// An RGB image with scanline shape filling. Coordinates are pixels (f32); a pixel is covered
/// when its centre is inside the shape.
pub(crate) struct Canvas {
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) px: Vec<Rgb>,
    /// Shapes are clipped above this y (clouds stay in the sky).
    pub(crate) clip_bottom: f32,
    /// Pixels shapes may not touch: furniture in front of people walking by.
    pub(crate) mask: Option<Arc<[bool]>>,
}

impl Canvas {
    pub(crate) fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: vec![[0, 0, 0]; w * h],
            clip_bottom: f32::MAX,
            mask: None,
        }
    }

    pub(crate) fn span(&mut self, y: i64, x0: f32, x1: f32, paint: Paint) {
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

    pub(crate) fn rows(&self, y0: f32, y1: f32) -> std::ops::Range<i64> {
        let lo = (y0 - 0.5).ceil().max(-1.0) as i64;
        let hi = ((y1 - 0.5).ceil().min(self.h as f32 + 1.0)) as i64;
        lo..hi.max(lo)
    }

    pub(crate) fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, paint: Paint) {
        for y in self.rows(y0, y1) {
            self.span(y, x0, x1, paint);
        }
    }

    /// Fills a simple polygon (even-odd rule).
    pub(crate) fn poly(&mut self, pts: &[(f32, f32)], paint: Paint) {
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

    pub(crate) fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, paint: Paint) {
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
    pub(crate) fn line(&mut self, a: (f32, f32), b: (f32, f32), width: f32, paint: Paint) {
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
    pub(crate) fn downsample_with_vignette(&self) -> Vec<Rgb> {
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

impl Canvas {
    pub(crate) fn circle_px(&mut self, cx: f32, cy: f32, r: f32, paint: Paint) {
        self.ellipse(cx, cy, r, r, paint);
    }
}
