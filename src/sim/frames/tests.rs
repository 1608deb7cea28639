//! Frames: format, determinism, what they show, and the on-screen text.

use font8x8::UnicodeFonts;
use jiff::tz::TimeZone;

use super::canvas::Canvas;
use super::osd::osd_time;
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
    let summer = ts("20260704113812.149").in_zone(&TimeZone::get("America/Los_Angeles").unwrap());
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
    for second in
        (0..walker.period).filter(|t| (t + walker.phase).rem_euclid(walker.period) < walker.cross)
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
