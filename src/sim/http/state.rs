//! The simulator's shared state, and one request parsed once: what every API's endpoints
//! read. This is the lower layer of `http/`: it knows the demo account, the timelines, the
//! frames and the counters, and nothing of any API's wire format.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::Method;
use tokio::sync::watch;

use super::body::BodyError;
use super::query::Params;
use crate::sim::account::devices::{Device, demo_devices};
use crate::sim::frames::{FrameCamera, Frames};
use crate::sim::recording::{Recording, interval_for};
use crate::sim::stats::Recorder;
use crate::sim::timeline::Window;
use crate::sim::{Endpoint, Faults, SimConfig};
use crate::timestamp::EenTimestamp;

/// A camera that has (or could have) preview frames.
#[derive(Debug)]
pub(crate) struct CameraAssets {
    pub(crate) timeline: Recording,
    pub(crate) frame_camera: FrameCamera,
    /// When it stopped sending previews (ms since the epoch), if it did.
    down_at: Option<i64>,
    has_images: bool,
}

/// Everything a request may need whatever the API; shared by all requests.
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    faults: RwLock<Arc<Faults>>,
    /// What is left of [`Faults::transient_no_matching_asset`].
    transient_left: AtomicU32,
    pub(crate) recorder: Recorder,
    pub(crate) devices: Vec<Device>,
    pub(crate) cameras: HashMap<String, CameraAssets>,
    pub(crate) frames: Frames,
    login_host: String,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("config", &self.config)
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

impl SimState {
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> Self {
        let started_ms = EenTimestamp::now().as_millis();
        let interval_ms = i64::try_from(config.preview_interval.as_millis()).unwrap_or(i64::MAX);
        let retention_ms = i64::try_from(config.retention.as_millis()).unwrap_or(i64::MAX);
        let devices = demo_devices();
        let cameras = devices
            .iter()
            .filter(|d| d.is_camera())
            .filter_map(|d| {
                let esn = d.esn.clone()?;
                let time_zone = d
                    .time_zone
                    .and_then(|tz| jiff::tz::TimeZone::get(tz).ok())
                    .unwrap_or(jiff::tz::TimeZone::UTC);
                let down_at = d.down_for.map(|down| {
                    started_ms.saturating_sub(i64::try_from(down.as_millis()).unwrap_or(0))
                });
                Some((
                    esn.clone(),
                    CameraAssets {
                        timeline: Recording::new(
                            &esn,
                            interval_for(&d.name, interval_ms),
                            started_ms.saturating_sub(retention_ms),
                            started_ms,
                        ),
                        frame_camera: FrameCamera {
                            esn,
                            name: d.name.clone(),
                            time_zone,
                        },
                        down_at,
                        has_images: d.has_images,
                    },
                ))
            })
            .collect();
        let (w, h) = config.frame_size;
        Self {
            faults: RwLock::new(Arc::new(config.faults.clone())),
            transient_left: AtomicU32::new(config.faults.transient_no_matching_asset),
            recorder: Recorder::new(config.request_log_limit),
            devices,
            cameras,
            frames: Frames::new(w.max(1), h.max(1)),
            login_host: format!("login.{}", config.base_domain.to_ascii_lowercase()),
            config,
            shutdown,
        }
    }

    pub(crate) fn faults(&self) -> Arc<Faults> {
        self.faults
            .read()
            .map(|f| Arc::clone(&f))
            .unwrap_or_else(|e| Arc::clone(&e.into_inner()))
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.transient_left
            .store(faults.transient_no_matching_asset, Ordering::SeqCst);
        let faults = Arc::new(faults);
        match self.faults.write() {
            Ok(mut f) => *f = faults,
            Err(e) => *e.into_inner() = faults,
        }
    }

    /// Uses up one of the injected transient "no matching asset" answers, if any are left.
    pub(crate) fn take_transient_no_matching_asset(&self) -> bool {
        self.transient_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// The span in which `camera` has frames at `now_ms`.
    pub(crate) fn window(&self, camera: &CameraAssets, now_ms: i64) -> Window {
        if !camera.has_images {
            return Window::EMPTY;
        }
        let retention = i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        Window {
            first: now_ms.saturating_sub(retention),
            last: camera.down_at.map_or(now_ms, |down| down.min(now_ms)),
        }
    }

    /// Waits for `duration`, or less when the simulator shuts down (returns false then).
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        let mut shutdown = self.shutdown.clone();
        if *shutdown.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = stopped(&mut shutdown) => false,
        }
    }
}

/// Resolves once the simulator is told to stop; never, if its handle was dropped instead.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One request, parsed once.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) method: Method,
    pub(crate) endpoint: Endpoint,
    /// The host name (lowercase, without port).
    pub(crate) host: String,
    pub(crate) query: Params,
    /// Parameters from the body (form, JSON or multipart), or why the body is unreadable.
    pub(crate) body: Result<Params, BodyError>,
    /// Whether the path ended in `/` (which was taken off before classifying it).
    pub(crate) trailing_slash: bool,
}

impl Ctx {
    /// Whether the request came in on `login.<base_domain>`.
    pub(crate) fn on_login_host(&self, state: &SimState) -> bool {
        self.host == state.login_host
    }
}
