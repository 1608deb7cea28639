//! Light and dark follow the system (issue 15) in Chromium: with the system's scheme set to
//! dark, every page is dark, and in both schemes every piece of text stands out from what is
//! behind it (WCAG's 4.5:1 contrast).

use std::sync::Arc;

use serde_json::Value;

use crate::driver::{Browser, Options};
use crate::gallery::Gallery;
use crate::open_camera_with_images;

/// WCAG 2.x AA contrast for body text.
const MIN_CONTRAST: f64 = 4.5;

/// The page's background luminance and every visible text whose contrast with what is behind
/// it is below [`MIN_CONTRAST`].
async fn colours(b: &Browser) -> Value {
    b.js(r"
        const rgb = text => {
            const m = text.match(/^rgba?\((\d+(?:\.\d+)?), (\d+(?:\.\d+)?), (\d+(?:\.\d+)?)(?:, ([\d.]+))?\)$/);
            return m ? { c: [+m[1], +m[2], +m[3]], a: m[4] === undefined ? 1 : +m[4] } : null;
        };
        const lum = ([r, g, b]) => {
            const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        // What is behind an element: the first opaque background up the tree; null when a
        // picture or a see-through colour is behind it, where no one colour says it.
        const behind = el => {
            for (let e = el; e; e = e.parentElement) {
                const style = getComputedStyle(e);
                if (style.backgroundImage !== 'none') return null;
                const bg = rgb(style.backgroundColor);
                if (!bg) return null;
                if (bg.a === 1) return bg.c;
                if (bg.a > 0) return null;
            }
            return [255, 255, 255];
        };
        const low = [];
        let checked = 0;
        for (const el of document.body.querySelectorAll('*')) {
            const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            const box = el.getBoundingClientRect();
            if (!own || box.width <= 1 || box.height <= 1 || el.closest('option, .visually-hidden')) continue;
            const fg = rgb(getComputedStyle(el).color);
            const bg = behind(el);
            if (!fg || !bg) continue;
            checked += 1;
            const [a, b] = [lum(fg.c), lum(bg)].sort((x, y) => y - x);
            const contrast = (a + 0.05) / (b + 0.05);
            // 4.5: MIN_CONTRAST.
            if (contrast < 4.5) low.push({ text: el.textContent.trim().slice(0, 40),
                element: el.tagName + '.' + el.className, fg: fg.c, bg, contrast });
        }
        return { page: lum(behind(document.body)), checked, low };
    ")
    .await
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn pages_follow_the_systems_light_or_dark_and_their_text_stands_out_in_both() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            let camera = open_camera_with_images(&b, &gallery).await;
            let viewer = b.link("#frames li a").await;
            let pages = [
                ("grid", gallery.url("/")),
                ("camera", camera.to_string()),
                ("viewer", viewer.to_string()),
                ("cameras", gallery.url("/cameras")),
                ("error", gallery.url("/cameras/not-a-camera")),
            ];
            for dark in [false, true] {
                b.prefer_color_scheme(dark).await;
                let scheme = if dark { "dark" } else { "light" };
                for (name, url) in &pages {
                    b.goto(url).await;
                    b.images("img").await;
                    let facts = colours(&b).await;
                    let page = facts["page"].as_f64().expect("a luminance");
                    assert!(
                        if dark { page < 0.05 } else { page > 0.8 },
                        "{url} in {scheme}: the page's background is not {scheme}: {facts}"
                    );
                    assert!(facts["checked"].as_u64() >= Some(5), "{url}: {facts}");
                    assert_eq!(
                        facts["low"],
                        serde_json::json!([]),
                        "{url} in {scheme}: text that does not stand out (below {MIN_CONTRAST}:1)"
                    );
                    if dark {
                        b.screenshot(&format!("dark-{name}")).await;
                    }
                }
            }
        })
        .await;
}
