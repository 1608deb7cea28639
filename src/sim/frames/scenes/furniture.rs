//! Furniture and fittings of the static views: doors, bookcases, plants, desks, tables,
//! sofas, counters and server racks.

use super::sketch::Sketch;
use super::{Rng, SHIRTS};
use crate::sim::frames::canvas::{Paint, Rgb, lerp, lerp_pt, shade};

pub(crate) fn door(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
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

pub(crate) fn bookcase(s: &mut Sketch, x0: f32, y0: f32, x1: f32, y1: f32, rng: &mut Rng) {
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

pub(crate) fn plant(s: &mut Sketch, x: f32, bottom: f32, size: f32) {
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
pub(crate) fn block(
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

pub(crate) const WOODS: [Rgb; 4] = [
    [176, 140, 100],
    [200, 196, 188],
    [120, 88, 60],
    [90, 90, 96],
];

/// A desk with a monitor, and the back of an office chair in front of it.
pub(crate) fn desk(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
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
pub(crate) fn meeting_table(
    s: &mut Sketch,
    cx: f32,
    front: f32,
    width: f32,
    vp: (f32, f32),
    rng: &mut Rng,
) {
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
pub(crate) fn sofa(s: &mut Sketch, cx: f32, front: f32, width: f32, vp: (f32, f32), rng: &mut Rng) {
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
pub(crate) fn counter(
    s: &mut Sketch,
    cx: f32,
    front: f32,
    width: f32,
    vp: (f32, f32),
    rng: &mut Rng,
) {
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
pub(crate) fn server_rack(
    s: &mut Sketch,
    x0: f32,
    bottom: f32,
    height: f32,
    vp: (f32, f32),
    rng: &mut Rng,
) {
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
