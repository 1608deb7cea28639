//! The demo account's devices: a realistic site of bridges, cameras and unattached rows
//! (SIM-31, SIM-32).
//!
//! Everything is derived from names with a stable hash, so ESNs, GUIDs and addresses are the
//! same on every run.

use std::time::Duration;

use crate::sim::hash::hash_str;
use crate::timestamp::EenTimestamp;

/// The demo account's id (the real demo account's, as recorded in 2019).
pub(crate) const ACCOUNT_ID: &str = "00001106";
/// The demo account's name, shown as `owner_account_name`.
pub(crate) const ACCOUNT_NAME: &str = "Acme Demo Corp";

/// A camera of another account: it exists, but the demo user may not see it (403).
pub const RESTRICTED_ESN: &str = "1badcafe";

/// Device-status bitmasks seen in real data (spec §3.2).
pub(crate) mod status {
    /// Online: on, online, streaming, previews, located.
    pub(crate) const ONLINE: u32 = 0x168037;
    /// Online and recording.
    pub(crate) const RECORDING: u32 = 0x1E803F;
    /// Online, as seen on multiview channel cameras.
    pub(crate) const ONLINE_CHANNEL: u32 = 0x160037;
    /// Offline: on and registered, but not streaming.
    pub(crate) const OFFLINE: u32 = 0x128405;
    /// Internet offline: on, but not registered with the cloud.
    pub(crate) const INTERNET_OFFLINE: u32 = 0x022000;
    /// Turned off by the user.
    pub(crate) const OFF: u32 = 0x008023;
    /// A bridge: on and online.
    pub(crate) const BRIDGE: u32 = 0x128001;
    /// An unattached discovered camera.
    pub(crate) const UNATTACHED: u32 = 0;
}

/// What a device-list row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// `camera`.
    Camera,
    /// `bridge`.
    Bridge,
    /// `multiview_camera` (an encoder whose channels are cameras).
    MultiviewCamera,
}

impl DeviceKind {
    /// The type string at index 3 of a device-list row.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::Bridge => "bridge",
            DeviceKind::MultiviewCamera => "multiview_camera",
        }
    }
}

/// One device-list row's facts.
#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub(crate) esn: Option<String>,
    pub(crate) account_id: Option<&'static str>,
    pub(crate) owner_account_name: Option<&'static str>,
    pub(crate) name: String,
    pub(crate) kind: DeviceKind,
    /// Index 4: `[esn, status]` pairs (a camera's bridges; a bridge's cameras).
    pub(crate) links: Vec<(String, &'static str)>,
    pub(crate) attached: bool,
    pub(crate) permissions: &'static str,
    pub(crate) tags: Vec<&'static str>,
    pub(crate) guid: String,
    pub(crate) serial: Option<String>,
    pub(crate) status: u32,
    pub(crate) time_zone: Option<&'static str>,
    pub(crate) is_unsupported: bool,
    pub(crate) ip: String,
    pub(crate) is_shared: bool,
    pub(crate) video_input: Option<&'static str>,
    pub(crate) video_status: Option<&'static str>,
    pub(crate) site: Option<&'static Site>,
    pub(crate) parent: Option<String>,
    pub(crate) child_view: Option<String>,
    /// Index 27: when it was attached (`YYYYMMDDhhmmss.mmm`).
    pub(crate) attached_at: Option<String>,
    pub(crate) make: &'static str,
    pub(crate) model: &'static str,
    pub(crate) firmware: &'static str,
    /// Whether the camera sends previews at all.
    pub(crate) has_images: bool,
    /// How long before the simulator started the camera stopped sending previews.
    pub(crate) down_for: Option<Duration>,
}

impl Device {
    /// Whether frames may be asked for (an attached camera with an ESN).
    pub(crate) fn is_camera(&self) -> bool {
        self.kind != DeviceKind::Bridge && self.esn.is_some()
    }
}

/// A place with a bridge and cameras.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) name: &'static str,
    pub(crate) tag: &'static str,
    pub(crate) time_zone: &'static str,
    pub(crate) address: &'static str,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) floor: Option<i64>,
}

/// How a seeded camera behaves.
#[derive(Clone, Copy, Debug)]
enum Cam {
    Online,
    Recording,
    /// Offline since this many hours before start.
    Offline(u64),
    /// Internet offline since this many hours before start.
    InternetOffline(u64),
    /// Turned off this many hours before start.
    Off(u64),
    /// Attached and online, but has never sent a preview.
    NoImages,
    /// Analog camera behind an encoder input.
    Analog,
}

const HOUR: u64 = 3600;

static SITES: [Site; 5] = [
    Site {
        name: "Austin HQ",
        tag: "austin",
        time_zone: "America/Chicago",
        address: "700 San Jacinto Blvd, Austin, TX 78701",
        lat: 30.268947,
        lon: -97.740397,
        floor: Some(1),
    },
    Site {
        name: "New York Office",
        tag: "new york",
        time_zone: "America/New_York",
        address: "350 5th Ave, New York, NY 10118",
        lat: 40.748441,
        lon: -73.985664,
        floor: Some(12),
    },
    Site {
        name: "Amsterdam Warehouse",
        tag: "amsterdam",
        time_zone: "Europe/Amsterdam",
        address: "Oostelijke Handelskade 12, 1019 BM Amsterdam",
        lat: 52.376763,
        lon: 4.921671,
        floor: None,
    },
    Site {
        name: "Tokyo Store",
        tag: "tokyo",
        time_zone: "Asia/Tokyo",
        address: "1-2-1 Dogenzaka, Shibuya, Tokyo 150-0043",
        lat: 35.658581,
        lon: 139.701742,
        floor: Some(1),
    },
    Site {
        name: "Sydney Branch",
        tag: "sydney",
        time_zone: "Australia/Sydney",
        address: "1 Martin Pl, Sydney NSW 2000",
        lat: -33.867487,
        lon: 151.207990,
        floor: Some(2),
    },
];

/// The cameras of each site, in the order of [`SITES`].
const CAMERAS: [&[(&str, Cam)]; 5] = [
    &[
        ("Front Entrance", Cam::Recording),
        ("Lobby", Cam::Online),
        ("Reception Desk", Cam::Online),
        ("Loading Dock 1", Cam::Online),
        ("Loading Dock 2", Cam::Recording),
        ("Parking Lot North", Cam::Online),
        ("Parking Lot South", Cam::Offline(3)),
        ("Server Room", Cam::Recording),
        ("Break Room (off)", Cam::Off(4 * 24)),
    ],
    &[
        ("Main Door", Cam::Recording),
        ("Elevator Bank", Cam::Online),
        ("Mail Room", Cam::Online),
        ("Conference Room A", Cam::Online),
        ("Stairwell B", Cam::NoImages),
        ("Roof Access", Cam::InternetOffline(5)),
        ("Garage Entrance", Cam::Recording),
        ("5th Ave Sidewalk", Cam::Online),
    ],
    &[
        ("Warehouse Aisle 1", Cam::Online),
        ("Warehouse Aisle 2", Cam::Online),
        ("Dock Doors", Cam::Recording),
        ("Forklift Bay", Cam::Online),
        ("Gate House", Cam::Online),
        ("Yard", Cam::InternetOffline(2 * 24)),
        ("Canteen", Cam::Online),
    ],
    &[
        ("Store Front", Cam::Recording),
        ("Cash Register", Cam::Online),
        ("Stock Room", Cam::Online),
        ("Back Door", Cam::Offline(26)),
    ],
    &[
        ("Front Counter", Cam::Recording),
        ("Car Park", Cam::Online),
        ("Side Gate", Cam::Online),
        ("Yard Analog Cam", Cam::Analog),
    ],
];

/// Channels of the multiview encoder at the Tokyo store.
const MULTIVIEW_NAME: &str = "Tokyo Store DVR";
const CHANNELS: [&str; 3] = ["DVR Aisle 1", "DVR Aisle 2", "DVR Fitting Rooms"];

/// A hash-derived ESN (`100xxxxx`, like real ones), unique among `taken`.
fn esn_for(name: &str, taken: &mut Vec<String>) -> String {
    let mut salt = 0u64;
    loop {
        let h = hash_str(&format!("{name}#{salt}"));
        let esn = format!("100{:05x}", h & 0xF_FFFF);
        if !taken.contains(&esn) && esn != RESTRICTED_ESN {
            taken.push(esn.clone());
            return esn;
        }
        salt += 1;
    }
}

fn guid_for(name: &str) -> String {
    let a = hash_str(name);
    let b = hash_str(&format!("{name}/guid"));
    format!(
        "{:08x}-{:04x}-11{:02x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        (a >> 8) & 0xFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn ip_for(name: &str) -> String {
    let h = hash_str(&format!("{name}/ip"));
    format!(
        "*10.143.{}.{},[fe80::56c4:15ff:fe{:02x}:{:04x}]",
        (h >> 8) & 0xFF,
        (h & 0xFD) + 2,
        (h >> 16) & 0xFF,
        (h >> 24) & 0xFFFF
    )
}

/// A fixed attach time between 2016 and 2019, like the real index 27.
fn attached_at(name: &str) -> String {
    let h = hash_str(&format!("{name}/attached"));
    let base = 1_451_606_400_000i64; // 2016-01-01
    let ms = base + i64::try_from(h % (3 * 365 * 86_400_000)).unwrap_or(0);
    EenTimestamp::from_millis(ms - ms % 1000).to_string()
}

/// All rows of the demo account, in device-list order.
pub(crate) fn demo_devices() -> Vec<Device> {
    let mut taken = Vec::new();
    let mut rows = Vec::new();
    let mut bridge_rows = Vec::new();

    for (site, cameras) in SITES.iter().zip(CAMERAS) {
        let bridge_esn = esn_for(&format!("{} Bridge", site.name), &mut taken);
        let mut bridge_links = Vec::new();
        for &(name, behaviour) in cameras {
            let esn = esn_for(&format!("{}/{name}", site.name), &mut taken);
            bridge_links.push((esn.clone(), "ATTD"));
            rows.push(camera(site, name, esn, &bridge_esn, behaviour));
        }
        if site.tag == "tokyo" {
            let parent_esn = esn_for(MULTIVIEW_NAME, &mut taken);
            bridge_links.push((parent_esn.clone(), "ATTD"));
            let mut parent = camera(
                site,
                MULTIVIEW_NAME,
                parent_esn.clone(),
                &bridge_esn,
                Cam::Online,
            );
            parent.kind = DeviceKind::MultiviewCamera;
            parent.make = "Hikvision";
            parent.model = "DS-7208HQHI-K1";
            rows.push(parent);
            for (i, name) in CHANNELS.iter().enumerate() {
                let esn = esn_for(&format!("{MULTIVIEW_NAME}/{name}"), &mut taken);
                bridge_links.push((esn.clone(), "ATTD"));
                let mut channel = camera(site, name, esn, &bridge_esn, Cam::Online);
                channel.status = status::ONLINE_CHANNEL;
                channel.is_unsupported = true;
                channel.parent = Some(parent_esn.clone());
                channel.child_view = Some(format!("Channel {}", i + 1));
                channel.make = "Hikvision";
                channel.model = "DS-7208HQHI-K1";
                rows.push(channel);
            }
        }
        bridge_rows.push(Device {
            esn: Some(bridge_esn.clone()),
            account_id: Some(ACCOUNT_ID),
            owner_account_name: Some(ACCOUNT_NAME),
            name: format!("{} Bridge", site.name),
            kind: DeviceKind::Bridge,
            links: bridge_links,
            attached: true,
            permissions: "AcdghMps",
            tags: vec![site.tag],
            guid: guid_for(&bridge_esn),
            serial: Some(format!(
                "EEN-BR320-{}",
                30_000 + hash_str(&bridge_esn) % 9_999
            )),
            status: status::BRIDGE,
            time_zone: Some(site.time_zone),
            is_unsupported: false,
            ip: ip_for(&bridge_esn),
            is_shared: false,
            video_input: None,
            video_status: None,
            site: Some(site),
            parent: None,
            child_view: None,
            attached_at: Some(attached_at(&bridge_esn)),
            make: "Eagle Eye Networks",
            model: "BR320",
            firmware: "3.9.2",
            has_images: false,
            down_for: None,
        });
    }

    // A camera shared into the demo account by another account (index 15 = 1).
    let shared_esn = esn_for("Papa Murphy's/Front Door", &mut taken);
    let mut shared = camera(
        &SITES[0],
        "Papa Murphy's Front Door",
        shared_esn,
        "",
        Cam::Online,
    );
    shared.account_id = Some("00003655");
    shared.owner_account_name = Some("Papa Murphy's Lakeway (00003655)");
    shared.is_shared = true;
    shared.links = Vec::new();
    shared.tags = vec!["shared"];
    shared.permissions = "AcdhMps";
    rows.push(shared);

    rows.extend(bridge_rows);

    // Discovered but unattached cameras: null account and id, `make|model|version` names.
    let first_bridge = |i: usize| {
        rows.iter()
            .filter(|d| d.kind == DeviceKind::Bridge)
            .nth(i)
            .and_then(|d| d.esn.clone())
            .unwrap_or_default()
    };
    let (b0, b1, b2) = (first_bridge(0), first_bridge(1), first_bridge(2));
    for (make, model, firmware, links) in [
        (
            "AXIS",
            "AXIS M1054",
            "5.40.9.2",
            vec![(b0.clone(), "IGND"), (b1, "IGND")],
        ),
        ("HIKVISION", "DS-2CD2142FWD-I", "V5.4.5", vec![(b2, "IGND")]),
        ("Hanwha", "QNV-6012R", "1.41.01", vec![(b0, "IGND")]),
    ] {
        let key = format!("{make}|{model}|{firmware}");
        rows.push(Device {
            esn: None,
            account_id: None,
            owner_account_name: None,
            name: key.clone(),
            kind: DeviceKind::Camera,
            links,
            attached: false,
            permissions: "ws",
            tags: Vec::new(),
            guid: guid_for(&key),
            serial: None,
            status: status::UNATTACHED,
            time_zone: None,
            is_unsupported: false,
            ip: format!(
                "*169.254.{}.{},10.143.194.77",
                hash_str(&key) % 250,
                hash_str(model) % 250
            ),
            is_shared: false,
            video_input: None,
            video_status: None,
            site: None,
            parent: None,
            child_view: None,
            attached_at: None,
            make,
            model,
            firmware,
            has_images: false,
            down_for: None,
        });
    }
    rows
}

fn camera(site: &'static Site, name: &str, esn: String, bridge: &str, cam: Cam) -> Device {
    let (status, has_images, down_for) = match cam {
        Cam::Online | Cam::Analog => (status::ONLINE, true, None),
        Cam::Recording => (status::RECORDING, true, None),
        Cam::Offline(h) => (status::OFFLINE, true, Some(h * HOUR)),
        Cam::InternetOffline(h) => (status::INTERNET_OFFLINE, true, Some(h * HOUR)),
        Cam::Off(h) => (status::OFF, true, Some(h * HOUR)),
        Cam::NoImages => (status::ONLINE, false, None),
    };
    let analog = matches!(cam, Cam::Analog);
    let models = [
        ("Axis", "AXIS P3245-LVE", "9.80.1"),
        ("Hanwha", "XNO-6080R", "1.41.01"),
        ("Uniview", "IPC3614SR3", "GIPC-B6202.5.7"),
        ("Eagle Eye Networks", "EN-CDUM-007", "2.1.4"),
    ];
    let (make, model, firmware) = if analog {
        ("Analog", "video input", "")
    } else {
        models[usize::try_from(hash_str(&esn) % 4).unwrap_or(0)]
    };
    let serial = match hash_str(&esn) % 3 {
        0 => None,
        1 => Some(attached_at(&esn).replace('.', "")),
        _ => Some(format!(
            "EN-CDUM-007-{}",
            attached_at(name).replace('.', "")
        )),
    };
    Device {
        guid: guid_for(&esn),
        ip: if analog { String::new() } else { ip_for(&esn) },
        attached_at: Some(attached_at(&esn)),
        esn: Some(esn),
        account_id: Some(ACCOUNT_ID),
        owner_account_name: Some(ACCOUNT_NAME),
        name: name.to_owned(),
        kind: DeviceKind::Camera,
        links: if bridge.is_empty() {
            Vec::new()
        } else {
            vec![(bridge.to_owned(), "ATTD")]
        },
        attached: true,
        permissions: "AGMLNSYZcgfhpswz",
        tags: vec![site.tag, if analog { "analog" } else { "ip" }],
        serial,
        status,
        time_zone: Some(site.time_zone),
        is_unsupported: false,
        is_shared: false,
        video_input: analog.then_some("video_input_3"),
        video_status: analog.then_some("0x00000000"),
        site: Some(site),
        parent: None,
        child_view: None,
        make,
        model,
        firmware,
        has_images,
        down_for: down_for.map(Duration::from_secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_32_the_demo_account_has_the_required_shape() {
        let rows = demo_devices();
        assert!(rows.len() >= 40, "{} rows", rows.len());
        let attached: Vec<_> = rows
            .iter()
            .filter(|d| d.attached && d.kind != DeviceKind::Bridge)
            .collect();
        assert!(attached.len() >= 30);
        let zones: std::collections::BTreeSet<_> =
            attached.iter().filter_map(|d| d.time_zone).collect();
        assert!(zones.len() >= 4);
        for zone in zones {
            assert!(jiff::tz::TimeZone::get(zone).is_ok(), "{zone}");
        }
        for bits in [
            status::OFFLINE,
            status::INTERNET_OFFLINE,
            status::OFF,
            status::ONLINE,
            status::RECORDING,
        ] {
            assert!(rows.iter().any(|d| d.status == bits), "{bits:#x}");
        }
        assert!(
            rows.iter()
                .any(|d| d.esn.is_none() && d.account_id.is_none())
        );
        assert!(
            rows.iter()
                .any(|d| d.video_input.is_some() && d.ip.is_empty())
        );
        assert!(rows.iter().any(|d| d.is_shared));
        assert!(
            rows.iter()
                .any(|d| d.parent.is_some() && d.child_view.is_some())
        );
        assert_eq!(
            rows.iter()
                .filter(|d| d.attached && !d.has_images && d.kind == DeviceKind::Camera)
                .count(),
            1
        );
    }

    #[test]
    fn esns_are_unique_stable_lowercase_hex() {
        let a = demo_devices();
        let b = demo_devices();
        let esns: Vec<_> = a.iter().filter_map(|d| d.esn.clone()).collect();
        let set: std::collections::BTreeSet<_> = esns.iter().collect();
        assert_eq!(set.len(), esns.len());
        for esn in &esns {
            assert_eq!(esn.len(), 8);
            assert!(
                esn.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            );
        }
        let again: Vec<_> = b.iter().filter_map(|d| d.esn.clone()).collect();
        assert_eq!(esns, again);
    }

    #[test]
    fn bridges_list_exactly_the_cameras_that_list_them() {
        let rows = demo_devices();
        for bridge in rows.iter().filter(|d| d.kind == DeviceKind::Bridge) {
            let esn = bridge.esn.clone().unwrap();
            assert!(!bridge.links.is_empty());
            for (cam, state) in &bridge.links {
                assert_eq!(*state, "ATTD");
                let row = rows.iter().find(|d| d.esn.as_ref() == Some(cam)).unwrap();
                assert_eq!(row.links, vec![(esn.clone(), "ATTD")]);
            }
        }
    }
}
