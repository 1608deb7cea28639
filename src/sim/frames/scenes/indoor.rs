//! Indoor layouts: rooms (offices, shops, server rooms), hallways and warehouses, in one-point
//! perspective.

use super::furniture::{bookcase, counter, desk, door, meeting_table, plant, server_rack, sofa};
use super::sketch::{Sketch, grain};
use super::{Glow, Rng, SHIRTS, Scene, WALLS, Walker};
use crate::sim::frames::canvas::{Paint, Rgb, lerp, lerp_pt, shade};

impl Scene {
    // Layouts work in normalised coordinates (0..1 across and down) through `Sketch`; the
    // positions of moving things are kept in final pixels.

    pub(crate) fn room(&mut self, s: &mut Sketch, rng: &mut Rng, name: &str) {
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

    pub(crate) fn hallway(&mut self, s: &mut Sketch, rng: &mut Rng) {
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

    pub(crate) fn warehouse(&mut self, s: &mut Sketch, rng: &mut Rng) {
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
}

/// A one-point-perspective box: back wall rectangle, walls to the image corners.
pub(crate) struct BoxRoom {
    pub(crate) bx0: f32,
    pub(crate) bx1: f32,
    pub(crate) by0: f32,
    pub(crate) by1: f32,
}

impl BoxRoom {
    pub(crate) fn vp(&self) -> (f32, f32) {
        ((self.bx0 + self.bx1) / 2.0, (self.by0 + self.by1) / 2.0)
    }

    /// A point on the left wall: `t` from the image edge (0) to the back corner (1), `up`
    /// from the floor (0) to the ceiling (1), `off` moved out from the wall into the room.
    pub(crate) fn left_wall(&self, t: f32, up: f32, off: f32) -> (f32, f32) {
        let bottom = lerp_pt((0.0, 1.0), (self.bx0, self.by1), t);
        let top = lerp_pt((0.0, 0.0), (self.bx0, self.by0), t);
        let p = lerp_pt(bottom, top, up);
        (p.0 + off * (1.0 - t), p.1)
    }

    pub(crate) fn right_wall(&self, t: f32, up: f32) -> (f32, f32) {
        let bottom = lerp_pt((1.0, 1.0), (self.bx1, self.by1), t);
        let top = lerp_pt((1.0, 0.0), (self.bx1, self.by0), t);
        lerp_pt(bottom, top, up)
    }

    pub(crate) fn shell(&self, s: &mut Sketch, rng: &mut Rng, wall: Rgb, ceiling: Rgb) {
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

    pub(crate) fn shell_with_floor(
        &self,
        s: &mut Sketch,
        wall: Rgb,
        floor: Rgb,
        ceiling: Rgb,
        rng: &mut Rng,
    ) {
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
    pub(crate) fn side_door(&self, s: &mut Sketch, left: bool, t0: f32, t1: f32, rng: &mut Rng) {
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
