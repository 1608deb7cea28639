//! Outdoor layouts: parking lots and building entrances, with sky, road and parked cars.

use super::furniture::plant;
use super::sketch::{Sketch, grain};
use super::{CARS, Car, Glow, Rng, Scene, Walker};
use crate::sim::frames::canvas::{Paint, Rgb, lerp, lerp_pt};

impl Scene {
    pub(crate) fn parking(&mut self, s: &mut Sketch, rng: &mut Rng) {
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

    pub(crate) fn entrance(&mut self, s: &mut Sketch, rng: &mut Rng) {
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
}

/// A parked car seen from the front, centred on `cx` with its bumper at `bottom`.
pub(crate) fn front_car(s: &mut Sketch, cx: f32, bottom: f32, width: f32, color: Rgb) {
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
