//! The demo account both APIs serve: its devices (bridges, cameras, multiview channels and
//! unattached rows, with ESNs, names and time zones) and its users. Everything here is plain,
//! deterministic data: the same on every run, shared by every API the simulator speaks.

pub(crate) mod devices;
pub(crate) mod users;

use std::time::Duration;

use devices::Device;
pub use devices::{DeviceKind, RESTRICTED_ESN};

/// One device-list row of the demo account, for tests to pick cameras by their traits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimCamera {
    /// The ESN (8 lowercase hex digits); `None` for unattached (IGND) rows.
    pub esn: Option<String>,
    /// The name (`make|model|version` for unattached rows).
    pub name: String,
    /// Camera, bridge or multiview camera.
    pub kind: DeviceKind,
    /// Whether it is attached to the account (`ATTD`; otherwise `IGND`).
    pub attached: bool,
    /// IANA time zone name, if known.
    pub time_zone: Option<String>,
    /// The `device_status` bitmask (index 10).
    pub status: u32,
    /// Whether it has preview frames at all.
    pub has_images: bool,
    /// How long before the simulator started the camera stopped sending previews (offline,
    /// internet-offline and off cameras); `None` if it still sends them.
    pub down_for: Option<Duration>,
    /// The multiview camera this is a channel of.
    pub parent_esn: Option<String>,
    /// Whether it is shared from another account.
    pub shared: bool,
}

impl SimCamera {
    /// EEN's overall status algorithm (spec §3.2): whether the camera counts as "Online".
    pub fn is_online(&self) -> bool {
        self.status & 0x020000 != 0 && self.status & 0x100000 != 0 && self.status & 0x040000 != 0
    }
}

impl From<&Device> for SimCamera {
    fn from(d: &Device) -> Self {
        SimCamera {
            esn: d.esn.clone(),
            name: d.name.clone(),
            kind: d.kind,
            attached: d.attached,
            time_zone: d.time_zone.map(str::to_owned),
            status: d.status,
            has_images: d.has_images,
            down_for: d.down_for,
            parent_esn: d.parent.clone(),
            shared: d.is_shared,
        }
    }
}
