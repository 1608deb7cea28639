//! Golden values: the demo account and its preview frames, bit for bit.
//!
//! The demo account and every frame are pure functions of the code (names, stable hashes,
//! drawing, the JPEG encoder). Clients, screenshots and recorded runs rely on them staying
//! put, so these tests pin them to values recorded from the code as it was before the
//! simulator was reshaped (issue 10). A change here is a change of the product: update the
//! constants only on purpose, and say so in the commit.
//!
//! The frame hashes hold for this crate's pinned `jpeg-encoder` (its AVX2 and scalar paths are
//! tested by its authors to agree) and `f32` maths of the standard library.

use tokio::sync::watch;

use super::SimConfig;
use super::account::devices::demo_devices;
use super::http::state::SimState;
use super::v1::devices::row;
use super::v1::wire::pretty_json;
use crate::timestamp::EenTimestamp;

/// FNV-1a over bytes: local to these tests so that they do not move with the code they check.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// Every device-list row as (ESN or `-`, name), in list order.
const DEMO_ROWS: &[(&str, &str)] = &[
    ("10096820", "Front Entrance"),
    ("100c1b64", "Lobby"),
    ("1002d041", "Reception Desk"),
    ("10066079", "Loading Dock 1"),
    ("1006d61a", "Loading Dock 2"),
    ("10078921", "Parking Lot North"),
    ("100eb059", "Parking Lot South"),
    ("10025e64", "Server Room"),
    ("1009a962", "Break Room (off)"),
    ("10071bb1", "Main Door"),
    ("1003c398", "Elevator Bank"),
    ("100484c9", "Mail Room"),
    ("1001a5e3", "Conference Room A"),
    ("100482c0", "Stairwell B"),
    ("100235d3", "Roof Access"),
    ("1009b990", "Garage Entrance"),
    ("100ac342", "5th Ave Sidewalk"),
    ("1003da7c", "Warehouse Aisle 1"),
    ("10052eb9", "Warehouse Aisle 2"),
    ("10006a00", "Dock Doors"),
    ("1009f610", "Forklift Bay"),
    ("100f955e", "Gate House"),
    ("100edfd2", "Yard"),
    ("100ff30a", "Canteen"),
    ("100e7665", "Store Front"),
    ("1000025d", "Cash Register"),
    ("100f9822", "Stock Room"),
    ("100a6cbe", "Back Door"),
    ("1000517e", "Tokyo Store DVR"),
    ("100066c3", "DVR Aisle 1"),
    ("100068b9", "DVR Aisle 2"),
    ("100a166a", "DVR Fitting Rooms"),
    ("100eb16e", "Front Counter"),
    ("1006ae87", "Car Park"),
    ("1005eabc", "Side Gate"),
    ("100cc5a2", "Yard Analog Cam"),
    ("100d039e", "Papa Murphy's Front Door"),
    ("100274eb", "Austin HQ Bridge"),
    ("1004b334", "New York Office Bridge"),
    ("1000f24c", "Amsterdam Warehouse Bridge"),
    ("1006f355", "Tokyo Store Bridge"),
    ("100812ef", "Sydney Branch Bridge"),
    ("-", "AXIS|AXIS M1054|5.40.9.2"),
    ("-", "HIKVISION|DS-2CD2142FWD-I|V5.4.5"),
    ("-", "Hanwha|QNV-6012R|1.41.01"),
];

/// FNV-1a of the pretty-printed device list at [`LIST_AT`] (every field of every row).
const DEMO_LIST_HASH: u64 = 0x56c6a4d97688848e;
/// The instant the device list is rendered at (it carries DST-dependent UTC offsets).
const LIST_AT: &str = "20261128113812.149";

/// (camera name, timestamp, FNV-1a of the JPEG) at the default 320x240.
const FRAMES: &[(&str, &str, u64)] = &[
    // Austin (CST): an indoor and an outdoor view at noon and at night (IR), and a second
    // frame within the same second (cached pixels, its own comment).
    ("Lobby", "20261128183812.149", 0x1938e3adb6f75315),
    ("Lobby", "20261128183812.900", 0xf312aefb01b488fc),
    ("Lobby", "20261128093812.149", 0x7bc79f23787007cd),
    (
        "Parking Lot North",
        "20261128183812.149",
        0x550f0a6ebbbae3ab,
    ),
    (
        "Parking Lot North",
        "20261128093812.149",
        0x12a893ce356d0e8a,
    ),
    ("Server Room", "20261128183812.149", 0x7ce023c7db19e265),
    (
        "Papa Murphy's Front Door",
        "20261128183812.149",
        0x16bf680791879168,
    ),
    // Tokyo (JST): the multiview encoder and one of its channels, at midday.
    ("Tokyo Store DVR", "20261128033812.149", 0x3e6a06f31b1b121e),
    ("DVR Aisle 1", "20261128033812.149", 0xd795c8a6864aa505),
    // Sydney (AEDT) by day and night, and its analog camera.
    ("Car Park", "20261128013812.149", 0xd66e3f8d0cb77b21),
    ("Car Park", "20261128143812.149", 0xf499df90d38354e8),
    ("Yard Analog Cam", "20261128013812.149", 0xddc9d94034847988),
    // Amsterdam (CET); New York in summer time (EDT) and in the evening (EST).
    (
        "Warehouse Aisle 1",
        "20261128113812.149",
        0x261cfc88caf99057,
    ),
    ("5th Ave Sidewalk", "20260704163812.149", 0x8f9788988f3f0673),
    (
        "Conference Room A",
        "20261129023812.149",
        0x3fcfd266b09b8f38,
    ),
    // A 2019 instant, as in recorded traffic.
    ("Gate House", "20190409024212.140", 0x701d823bc55a52f3),
];

/// The same at 640x480 (the doubled on-screen text).
const LARGE_FRAMES: &[(&str, &str, u64)] = &[
    ("Lobby", "20261128183812.149", 0x1318a02f6be267f9),
    ("Car Park", "20261128143812.149", 0x4c408ebe7b9a8bf3),
    (
        "DVR Fitting Rooms",
        "20261128033812.149",
        0x76d70764d4fcce5c,
    ),
];

fn state(frame_size: (u16, u16)) -> SimState {
    let (_stop, stopped) = watch::channel(false);
    SimState::new(
        SimConfig {
            frame_size,
            ..SimConfig::default()
        },
        stopped,
    )
}

#[test]
fn the_demo_account_rows_are_unchanged() {
    let rows: Vec<(String, String)> = demo_devices()
        .iter()
        .map(|d| {
            (
                d.esn.clone().unwrap_or_else(|| "-".to_owned()),
                d.name.clone(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = DEMO_ROWS
        .iter()
        .map(|&(esn, name)| (esn.to_owned(), name.to_owned()))
        .collect();
    assert_eq!(rows, expected, "demo account rows");

    let at = LIST_AT.parse::<EenTimestamp>().expect("a valid timestamp");
    let now = jiff::Timestamp::from_millisecond(at.as_millis()).expect("in range");
    let list: Vec<_> = demo_devices().iter().map(|d| row(d, now)).collect();
    let hash = fnv64(&pretty_json(&list));
    assert_eq!(hash, DEMO_LIST_HASH, "device list hash {hash:#018x}");
}

fn check_frames(frame_size: (u16, u16), cases: &[(&str, &str, u64)]) {
    let state = state(frame_size);
    let actual: Vec<(String, String, u64)> = cases
        .iter()
        .map(|&(name, ts, _)| {
            let device = state
                .devices
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("no demo camera {name:?}"));
            let esn = device.esn.as_deref().expect("a camera has an ESN");
            let camera = &state.cameras[esn];
            let ts = ts.parse::<EenTimestamp>().expect("a valid timestamp");
            let jpeg = state.frames.jpeg(&camera.frame_camera, ts);
            (name.to_owned(), ts.to_string(), fnv64(&jpeg))
        })
        .collect();
    let expected: Vec<(String, String, u64)> = cases
        .iter()
        .map(|&(name, ts, hash)| (name.to_owned(), ts.to_owned(), hash))
        .collect();
    assert_eq!(actual, expected, "frame hashes at {frame_size:?}");
}

#[test]
fn frames_are_bit_for_bit_unchanged() {
    check_frames((320, 240), FRAMES);
}

#[test]
fn large_frames_are_bit_for_bit_unchanged() {
    check_frames((640, 480), LARGE_FRAMES);
}
