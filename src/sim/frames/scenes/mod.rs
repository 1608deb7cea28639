//! What each camera looks at: the kind of place (guessed from its name), its static view drawn
//! once, and what changes over time (clock hands, people, cars, clouds, night lights).
//!
//! Layouts: `indoor` (rooms, hallways, warehouses), `outdoor` (parking, entrances), with
//! `furniture` and `figures` (people, passing cars) drawn on a `sketch`.

mod figures;
mod furniture;
mod indoor;
mod outdoor;
mod sketch;

use std::f32::consts::TAU;
use std::sync::Arc;

use jiff::ZonedDateTime;

use super::FrameCamera;
use super::canvas::{Canvas, Paint, Rgb, lerp, mix, shade, smoothstep};
use super::light::{Light, daylight};
use crate::sim::hash::{GAMMA, finalize, hash_str_seeded};
use figures::{Person, draw_side_car};
use sketch::Sketch;

/// SplitMix64 generator for scene layout; a value, never shared state.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        finalize(self.0)
    }
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
}

pub(crate) const WALLS: [Rgb; 6] = [
    [222, 214, 198],
    [206, 210, 212],
    [198, 212, 222],
    [212, 222, 202],
    [232, 226, 212],
    [220, 204, 190],
];
pub(crate) const CARS: [Rgb; 8] = [
    [232, 232, 232],
    [172, 174, 178],
    [34, 34, 38],
    [150, 32, 30],
    [40, 62, 122],
    [92, 94, 98],
    [204, 194, 172],
    [30, 80, 60],
];
pub(crate) const SHIRTS: [Rgb; 8] = [
    [40, 70, 140],
    [170, 40, 40],
    [230, 230, 225],
    [60, 60, 64],
    [50, 120, 70],
    [200, 160, 60],
    [110, 60, 130],
    [90, 140, 190],
];
pub(crate) const PANTS: [Rgb; 4] = [[30, 36, 60], [28, 28, 30], [150, 130, 100], [90, 92, 96]];
pub(crate) const SKIN: [Rgb; 5] = [
    [236, 198, 170],
    [210, 160, 120],
    [170, 120, 85],
    [120, 80, 55],
    [90, 60, 42],
];

/// What kind of place a camera looks at, guessed from its name like a person would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Room,
    Hallway,
    Warehouse,
    Parking,
    Entrance,
}

impl Kind {
    pub(crate) fn for_name(name: &str, seed: u64) -> Kind {
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

    pub(crate) fn outdoor(self) -> bool {
        matches!(self, Kind::Parking | Kind::Entrance)
    }
}

/// Someone walking through the view now and then (a different person each time).
#[derive(Clone, Copy)]
pub(crate) struct Walker {
    /// Feet position (pixels) and height (pixels) at the start and end of the walk.
    pub(crate) from: (f32, f32, f32),
    pub(crate) to: (f32, f32, f32),
    /// Seconds per cycle, and seconds of each cycle spent crossing the view.
    pub(crate) period: i64,
    pub(crate) cross: i64,
    pub(crate) phase: i64,
}

/// A car driving across, side on.
#[derive(Clone, Copy)]
pub(crate) struct Car {
    /// Road line (pixels) where the wheels touch, and the car's length in pixels.
    pub(crate) road_y: f32,
    pub(crate) length: f32,
    pub(crate) period: i64,
    pub(crate) cross: i64,
    pub(crate) phase: i64,
}

/// A wall clock whose hands show the camera's local time.
#[derive(Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) r: f32,
}

/// Light that shows at night: lamps, lit windows, exit signs.
#[derive(Clone, Copy)]
pub(crate) enum Glow {
    Rect(f32, f32, f32, f32, Rgb),
    Lamp(f32, f32, f32, Rgb),
}

/// A camera's view: the static picture at full daylight plus what changes over time.
pub(crate) struct Scene {
    pub(crate) seed: u64,
    pub(crate) kind: Kind,
    pub(crate) base: Vec<Rgb>,
    pub(crate) w: f32,
    pub(crate) h: f32,
    /// Indoor lights: on from, off at (local hours); None means always on.
    pub(crate) office_hours: Option<(f32, f32)>,
    /// Window panes showing the sky (x0, y0, x1, y1).
    pub(crate) windows: Vec<(f32, f32, f32, f32)>,
    /// The sky's lower edge for clouds (outdoor only).
    pub(crate) sky_bottom: Option<f32>,
    pub(crate) glows: Vec<Glow>,
    pub(crate) walkers: Vec<Walker>,
    pub(crate) cars: Vec<Car>,
    pub(crate) clocks: Vec<Clock>,
    /// Final pixels covered by things in front of the walkers.
    pub(crate) front: Option<Arc<[bool]>>,
}

impl Scene {
    pub(crate) fn build(camera: &FrameCamera, width: u16, height: u16) -> Scene {
        let seed = hash_str_seeded(hash_str_seeded(0, &camera.esn), &camera.name);
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
    pub(crate) fn lighting(&self, local: &ZonedDateTime) -> Light {
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
    pub(crate) fn draw_moving(&self, c: &mut Canvas, second: i64, local: &ZonedDateTime, sun: f32) {
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

    pub(crate) fn draw_clouds(&self, c: &mut Canvas, second: i64, bottom: f32) {
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

    pub(crate) fn draw_car(&self, c: &mut Canvas, car: &Car, second: i64, index: u64) {
        let t = (second + car.phase).rem_euclid(car.period);
        if t >= car.cross {
            return;
        }
        let cycle = (second + car.phase).div_euclid(car.period) as u64;
        let mut rng = Rng(self.seed ^ finalize(cycle ^ (index << 48) ^ 0xCA7));
        let f = (t as f32 + 0.5) / car.cross as f32;
        let right = cycle.is_multiple_of(2);
        let span = self.w + 2.0 * car.length;
        let x = if right { f } else { 1.0 - f } * span - car.length;
        draw_side_car(c, x, car.road_y, car.length, rng.pick(&CARS), right);
    }

    pub(crate) fn draw_walker(&self, c: &mut Canvas, walker: &Walker, second: i64, index: u64) {
        let t = (second + walker.phase).rem_euclid(walker.period);
        if t >= walker.cross {
            return;
        }
        let cycle = (second + walker.phase).div_euclid(walker.period) as u64;
        let mut rng = Rng(self.seed ^ finalize(cycle ^ (index << 48) ^ 0x3A1C));
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
    pub(crate) fn draw_glows(&self, c: &mut Canvas, night: f32, saturation: f32) {
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

    /// A wall clock: the face is part of the static view, the hands are drawn per frame.
    pub(crate) fn add_clock(&mut self, s: &mut Sketch, cx: f32, cy: f32, r: f32) {
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

pub(crate) fn draw_clock_hands(c: &mut Canvas, clock: &Clock, local: &ZonedDateTime) {
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
