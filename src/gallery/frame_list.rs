//! A camera page's images, rendered once per listing.
//!
//! Every viewer of one camera page sees the same images (the listing cache reuses a
//! camera's newest window for a latest preview's lifetime, older windows far longer), and
//! their captions, links and alt texts were most of a page's rendering (strftime, escaping,
//! allocations). So the `<ol>` of images is rendered once for what it shows and kept as HTML
//! in [`RenderedFrames`]; each view renders only the page around it (the visitor's header,
//! form token, pager), which is never kept.
//!
//! The key is everything the list is made of: the camera (id, name, zone), each frame's
//! timestamp and how it shows (ready with its size, or which placeholder at which size), and
//! whether the first is live. The same key renders the same bytes, so a kept list is never
//! stale: a frame that arrives later, or a renamed camera, is another key. Nothing of the
//! visitor is in it.

use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use moka::sync::Cache;

use super::jpeg::jpeg_size;
use super::views::{self, Frame, FrameList, ImageView};
use crate::cache::Fetch;
use crate::een::{Camera, Esn};
use crate::timestamp::EenTimestamp;

/// The byte budget of the rendered lists: a 20-image list is about 9 KiB, so this keeps a
/// couple of hundred, far more than the pages being viewed at any one time.
const BUDGET_BYTES: u64 = 2 * 1024 * 1024;

/// How a frame shows: ready at its size, or a placeholder (which one, at which size).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Shown {
    Ready(u16, u16),
    Failed(u16, u16),
    Late(u16, u16),
}

/// What a rendered list is made of (the gallery's path prefix is the state's, so the same
/// for every key of one cache).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ListKey {
    esn: Esn,
    name: String,
    zone: String,
    live: bool,
    frames: Vec<(EenTimestamp, Shown)>,
}

/// The rendered image lists of camera pages. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RenderedFrames {
    lists: Cache<ListKey, Arc<str>>,
}

impl Default for RenderedFrames {
    fn default() -> Self {
        let lists = Cache::builder()
            .name("rendered-frames")
            .max_capacity(BUDGET_BYTES)
            .weigher(|key: &ListKey, html: &Arc<str>| {
                let key_bytes = key.frames.len() * size_of::<(EenTimestamp, Shown)>()
                    + key.name.len()
                    + key.zone.len()
                    + 64;
                u32::try_from(html.len() + key_bytes).unwrap_or(u32::MAX)
            })
            .build();
        Self { lists }
    }
}

/// One camera page's images as fetched, to render.
pub struct Frames<'a> {
    /// The camera.
    pub camera: &'a Camera,
    /// The listed timestamps, newest first.
    pub timestamps: &'a [EenTimestamp],
    /// Each one's image, in the same order.
    pub fetched: Vec<Fetch<Bytes>>,
    /// The size of placeholders (that of the images that arrived).
    pub size: (u16, u16),
    /// The gallery's path prefix.
    pub base: &'a str,
    /// Whether the first frame is kept live (the newest page).
    pub live: bool,
}

impl RenderedFrames {
    /// The images' `<ol>`, rendered or kept from an earlier view of the same list; empty
    /// when there are no images.
    pub fn render(&self, frames: Frames<'_>) -> askama::Result<Arc<str>> {
        if frames.timestamps.is_empty() {
            return Ok(Arc::from(""));
        }
        let listed = frames
            .timestamps
            .iter()
            .copied()
            .zip(frames.fetched.iter().map(|fetch| shown(fetch, frames.size)))
            .collect::<Vec<_>>();
        // A zone without a name (a fixed offset) has no key to tell it from another: such
        // a camera's list is rendered every time.
        let Some(zone) = frames.camera.time_zone.iana_name() else {
            return render_list(&frames, &listed).map(Arc::from);
        };
        let key = ListKey {
            esn: frames.camera.esn.clone(),
            name: frames.camera.name.clone(),
            zone: zone.to_owned(),
            live: frames.live,
            frames: listed,
        };
        if let Some(html) = self.lists.get(&key) {
            return Ok(html);
        }
        let html: Arc<str> = Arc::from(render_list(&frames, &key.frames)?);
        self.lists.insert(key, Arc::clone(&html));
        Ok(html)
    }
}

fn shown(fetch: &Fetch<Bytes>, size: (u16, u16)) -> Shown {
    match fetch {
        Fetch::Ready(bytes) => {
            let (width, height) = jpeg_size(bytes).unwrap_or(size);
            Shown::Ready(width, height)
        }
        Fetch::Missing | Fetch::Failed(_) => Shown::Failed(size.0, size.1),
        Fetch::Late => Shown::Late(size.0, size.1),
    }
}

/// Renders the list of `listed` frames: each one's timestamp and how it shows.
fn render_list(frames: &Frames<'_>, listed: &[(EenTimestamp, Shown)]) -> askama::Result<String> {
    let camera = frames.camera;
    let list = FrameList {
        frames: listed
            .iter()
            .map(|&(timestamp, shown)| frame(frames.base, camera, timestamp, shown))
            .collect(),
        live_href: frames
            .live
            .then(|| views::live_href(frames.base, &camera.esn)),
    };
    list.render()
}

fn frame(base: &str, camera: &Camera, timestamp: EenTimestamp, shown: Shown) -> Frame {
    let (caption, datetime) = views::caption(timestamp, &camera.time_zone);
    let alt = format!("{} at {caption}", camera.name);
    let (image, note) = match shown {
        Shown::Ready(width, height) => {
            let image = ImageView {
                src: views::image_href(base, &camera.esn, timestamp),
                width,
                height,
                alt,
                state: "ready",
            };
            (image, None)
        }
        Shown::Failed(width, height) => (
            ImageView::placeholder(base, alt, "failed", (width, height)),
            Some("(unavailable)"),
        ),
        Shown::Late(width, height) => (
            ImageView::placeholder(base, alt, "late", (width, height)),
            Some("(still loading; open it or reload)"),
        ),
    };
    Frame {
        timestamp: timestamp.to_string(),
        href: views::frame_href(base, &camera.esn, timestamp),
        image,
        caption,
        datetime,
        note,
    }
}

#[cfg(test)]
mod tests;
