//! Things that move through a view: people walking and cars driving by.

use crate::sim::frames::canvas::{Canvas, Paint, Rgb, shade};

/// A person seen from the side-ish front: shadow, legs, body, arms, head.
pub(crate) struct Person {
    pub(crate) x: f32,
    pub(crate) feet: f32,
    pub(crate) height: f32,
    pub(crate) stride: bool,
    pub(crate) shirt: Rgb,
    pub(crate) pants: Rgb,
    pub(crate) skin: Rgb,
}

impl Person {
    pub(crate) fn draw(&self, c: &mut Canvas) {
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
pub(crate) fn draw_side_car(
    c: &mut Canvas,
    x: f32,
    road_y: f32,
    len: f32,
    color: Rgb,
    right: bool,
) {
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
