//! The camera page rendered with its kept image list is byte for byte the page as it was
//! rendered before lists were kept: the template and frame builder of then are here, as the
//! reference.

use askama::Template;
use bytes::Bytes;
use jiff::tz::TimeZone;

use super::*;
use crate::cache::{Fetch, Trouble};
use crate::een::{Camera, CameraStatus};
use crate::gallery::views::{AccountView, CameraPage, Layout, StatusView};

/// The camera page's template before the image list was its own (`templates/camera.html`
/// as it was), the reference.
#[derive(Template)]
#[template(
    ext = "html",
    source = r#"{% extends "base.html" %}
{% block title %}{{ name }}{% endblock %}
{% block head %}{% if live_href.is_some() %}<script src="{{ layout.asset("live.js") }}" defer></script>{% endif %}{% endblock %}
{% block nav %}
<nav class="actions">
  <a class="button" id="back" href="{{ layout.base }}/">Grid</a>
  <a class="button button-quiet" id="find" href="{{ layout.base }}/cameras">Find a camera</a>
  {% if live_href.is_some() %}<button class="button button-quiet live-toggle" id="live-toggle" type="button" hidden>Pause live updates</button>{% endif %}
</nav>
{% endblock %}
{% block content %}
<div class="camera-header">
  <h1 id="camera-name">{{ name }}</h1>
  <p class="camera-facts">
    <span class="status status-{{ status.class }}" id="camera-status">{{ status.label }}{% if let Some(reason) = status.reason %}<span class="reason">: {{ reason }}</span>{% endif %}</span>
    <span class="time-zone" id="time-zone">Time zone: {{ time_zone }}</span>
  </p>
</div>
<form class="jump" method="get" action="{{ jump_action }}" id="jump">
  <label for="jump-at">Images before</label>
  <input class="field" id="jump-at" name="at" type="datetime-local" step="1" value="{{ jump_value }}" max="{{ jump_max }}" required>
  <button class="button" type="submit">Show</button>
  <span class="jump-zone">camera time</span>
</form>
{% if frames.is_empty() %}
<p class="empty" id="no-images">{{ empty_message }}</p>
{% else %}
<ol class="frames" id="frames">
  {% for frame in frames %}
  <li class="frame" data-timestamp="{{ frame.timestamp }}"{% if loop.first %}{% if let Some(live) = live_href %} data-live="{{ live }}"{% endif %}{% endif %}>
    <figure>
      <a href="{{ frame.href }}" title="Full size">
        <img src="{{ frame.image.src }}" width="{{ frame.image.width }}" height="{{ frame.image.height }}" alt="{{ frame.image.alt }}" data-state="{{ frame.image.state }}" loading="{% if loop.index > 8 %}lazy{% else %}eager{% endif %}">
      </a>
      <figcaption><time datetime="{{ frame.datetime }}">{{ frame.caption }}</time>{% if let Some(note) = frame.note %} <span class="note">{{ note }}</span>{% endif %}</figcaption>
    </figure>
  </li>
  {% endfor %}
</ol>
{% endif %}
<nav class="pager">
  {% if let Some(newest) = newest_href %}<a class="button" id="newest" href="{{ newest }}">Newest</a>{% endif %}
  {% if let Some(newer) = newer_href %}<a class="button" id="newer" href="{{ newer }}" rel="prev">Newer</a>{% endif %}
  {% if let Some(older) = older_href %}<a class="button" id="older" href="{{ older }}" rel="next">Older</a>{% endif %}
</nav>
{% endblock %}"#
)]
struct ReferencePage {
    layout: Layout,
    name: String,
    status: StatusView,
    time_zone: String,
    frames: Vec<Frame>,
    empty_message: String,
    older_href: Option<String>,
    newer_href: Option<String>,
    newest_href: Option<String>,
    jump_action: String,
    jump_value: String,
    jump_max: String,
    live_href: Option<String>,
}

/// The frame builder as it was (in `handlers::pages`), the reference.
fn reference_frame(
    base: &str,
    camera: &Camera,
    timestamp: EenTimestamp,
    fetch: &Fetch<Bytes>,
    size: (u16, u16),
) -> Frame {
    let (caption, datetime) = views::caption(timestamp, &camera.time_zone);
    let src = views::image_href(base, &camera.esn, timestamp);
    let alt = format!("{} at {caption}", camera.name);
    let (image, note) = match fetch {
        Fetch::Ready(bytes) => {
            let (width, height) = jpeg_size(bytes).unwrap_or(size);
            let image = ImageView {
                src,
                width,
                height,
                alt,
                state: "ready",
            };
            (image, None)
        }
        Fetch::Missing | Fetch::Failed(_) => (
            ImageView::placeholder(base, alt, "failed", size),
            Some("(unavailable)"),
        ),
        Fetch::Late => (
            ImageView::placeholder(base, alt, "late", size),
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

fn jpeg(width: u16, height: u16) -> Bytes {
    let pixels = vec![128u8; usize::from(width) * usize::from(height) * 3];
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 50)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

fn camera(name: &str, zone: TimeZone) -> Camera {
    Camera {
        esn: "100a6cbe".parse().unwrap(),
        name: name.to_owned(),
        status: CameraStatus::Online,
        time_zone: zone,
    }
}

fn layout(base: &str, user: &str) -> Layout {
    Layout::new(true, crate::cache::Status::Ready, base)
        .with_search(true)
        .with_account(Some(AccountView {
            name: user.to_owned(),
            admin_href: Some(format!("{base}/een")),
            sign_out_path: Some(format!("{base}/logout")),
            csrf: format!("csrf-of-{user}").into(),
        }))
}

fn timestamps(count: usize) -> Vec<EenTimestamp> {
    let newest: EenTimestamp = "20240501190312.149".parse().unwrap();
    (0..count)
        .map(|i| newest.add_millis(-(i as i64) * 1_250))
        .collect()
}

/// Each frame's image: `Ready` (of `sizes`, in turn), then late, failed and missing ones
/// where `pattern` says so.
fn fetched(pattern: &str, sizes: &[(u16, u16)]) -> Vec<Fetch<Bytes>> {
    pattern
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            'r' => {
                let (w, h) = sizes[i % sizes.len()];
                Fetch::Ready(jpeg(w, h))
            }
            'l' => Fetch::Late,
            'f' => Fetch::Failed(Trouble::Unreachable),
            _ => Fetch::Missing,
        })
        .collect()
}

fn clone_fetch(fetch: &Fetch<Bytes>) -> Fetch<Bytes> {
    match fetch {
        Fetch::Ready(bytes) => Fetch::Ready(bytes.clone()),
        Fetch::Missing => Fetch::Missing,
        Fetch::Failed(trouble) => Fetch::Failed(*trouble),
        Fetch::Late => Fetch::Late,
    }
}

/// The page both ways: (reference, with the kept list).
fn both(
    rendered: &RenderedFrames,
    camera: &Camera,
    pattern: &str,
    live: bool,
    base: &str,
    user: &str,
) -> (String, String) {
    let stamps = timestamps(pattern.len());
    let fetches = fetched(pattern, &[(64, 36), (80, 45)]);
    let size = fetches
        .iter()
        .find_map(|f| match f {
            Fetch::Ready(bytes) => jpeg_size(bytes),
            _ => None,
        })
        .unwrap_or((32, 18));
    let live_href = live.then(|| views::live_href(base, &camera.esn));
    let reference = ReferencePage {
        layout: layout(base, user),
        name: camera.name.clone(),
        status: StatusView::from(camera.status),
        time_zone: "Zone <label>".to_owned(),
        frames: stamps
            .iter()
            .zip(&fetches)
            .map(|(&t, f)| reference_frame(base, camera, t, f, size))
            .collect(),
        empty_message: "No images & more".to_owned(),
        older_href: Some(format!("{base}/cameras/x?before=1&a=2")),
        newer_href: Some("/n".to_owned()),
        newest_href: None,
        jump_action: "/j".to_owned(),
        jump_value: String::new(),
        jump_max: "2024-05-01T14:05:00".to_owned(),
        live_href,
    };
    let frames_html = rendered
        .render(Frames {
            camera,
            timestamps: &stamps,
            fetched: fetches.iter().map(clone_fetch).collect(),
            size,
            base,
            live,
        })
        .unwrap();
    let page = CameraPage {
        layout: layout(base, user),
        name: camera.name.clone(),
        status: StatusView::from(camera.status),
        time_zone: "Zone <label>".to_owned(),
        frames_html,
        empty_message: "No images & more".to_owned(),
        older_href: Some(format!("{base}/cameras/x?before=1&a=2")),
        newer_href: Some("/n".to_owned()),
        newest_href: None,
        jump_action: "/j".to_owned(),
        jump_value: String::new(),
        jump_max: "2024-05-01T14:05:00".to_owned(),
        live,
    };
    (reference.render().unwrap(), page.render().unwrap())
}

#[test]
fn pages_with_kept_lists_are_the_pages_as_rendered_before() {
    let chicago = TimeZone::get("America/Chicago").unwrap();
    let cases = [
        ("Lobby", "rrrrrrrrrrrrrrrrrrrr", true, ""),
        ("Lobby", "rrrrrrrrrrrrrrrrrrrr", false, ""),
        ("<Dock & \"Gate\">", "rrlrfrmrrrrrrrrrrlll", true, "/cams"),
        ("Lobby", "llll", false, ""),
        ("Lobby", "r", true, "/a b"),
        ("Lobby", "", true, ""),
    ];
    let rendered = RenderedFrames::default();
    for (name, pattern, live, base) in cases {
        let camera = camera(name, chicago.clone());
        // Twice: rendered, then kept.
        for round in 0..2 {
            let (reference, page) = both(&rendered, &camera, pattern, live, base, "ann");
            assert_eq!(
                page, reference,
                "{name} {pattern} {live} {base}, round {round}"
            );
        }
    }
    // A zone without a name is rendered every time, the same way.
    let fixed = camera("Lobby", TimeZone::fixed(jiff::tz::offset(-5)));
    let (reference, page) = both(&rendered, &fixed, "rrl", true, "", "ann");
    assert_eq!(page, reference);
}

#[test]
fn a_kept_list_holds_nothing_of_the_visitor() {
    let rendered = RenderedFrames::default();
    let camera = camera("Lobby", TimeZone::get("Europe/Paris").unwrap());
    let (_, ann) = both(&rendered, &camera, "rrrr", true, "", "user-ann");
    let (reference, bob) = both(&rendered, &camera, "rrrr", true, "", "user-bob");
    assert_eq!(bob, reference);
    assert!(
        bob.contains("csrf-of-user-bob") && !bob.contains("user-ann"),
        "{bob}"
    );
    assert!(ann.contains("csrf-of-user-ann") && !ann.contains("user-bob"));
    assert_eq!(rendered.lists.entry_count(), 0, "moka counts lazily");
    rendered.lists.run_pending_tasks();
    assert_eq!(
        rendered.lists.entry_count(),
        1,
        "one list for both visitors"
    );
}

#[test]
fn a_frame_that_arrives_later_is_another_list() {
    let rendered = RenderedFrames::default();
    let camera = camera("Lobby", TimeZone::get("Asia/Tokyo").unwrap());
    let (_, late) = both(&rendered, &camera, "rrl", true, "", "ann");
    let (reference, ready) = both(&rendered, &camera, "rrr", true, "", "ann");
    assert_eq!(ready, reference);
    assert!(late.contains(r#"data-state="late""#));
    assert!(!ready.contains(r#"data-state="late""#));
    // And a renamed camera renders its new name.
    let renamed = Camera {
        name: "Hall".to_owned(),
        ..camera.clone()
    };
    let (reference, page) = both(&rendered, &renamed, "rrr", true, "", "ann");
    assert_eq!(page, reference);
    assert!(page.contains("Hall at "));
}
