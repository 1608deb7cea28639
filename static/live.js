// EEN Gallery live tiles. Every element with `data-live` (a grid or wall tile, the newest
// frame of a camera page) names its camera's `latest.json`; while it is on screen, the tab is
// visible and the visitor has not paused, the script asks that URL when a newer preview may
// exist and shows it, and keeps the age text counting. Offline cameras and failures are asked
// less often. A wall (`data-rotate-s`) shuffles to `data-rotate-href` as often as asked.
// Pause is remembered per browser. Without this script the pages work as served.
'use strict';

(() => {
  const STORAGE_KEY = 'een-gallery:live-paused';
  // Never ask more often than this, whatever the server's preview lifetime.
  const MIN_INTERVAL_MS = 1000;
  // Before the first answer says how long a preview is reused.
  const DEFAULT_INTERVAL_MS = 5000;
  // An offline camera's preview rarely changes.
  const OFFLINE_FACTOR = 6;
  const MAX_INTERVAL_MS = 5 * 60 * 1000;
  const REQUEST_TIMEOUT_MS = 10000;
  const TICK_MS = 1000;

  const wall = document.querySelector('[data-rotate-s]');
  const tiles = [...document.querySelectorAll('[data-live]')].map((el) => ({
    el,
    url: el.dataset.live,
    img: el.querySelector('img'),
    link: el.matches('.frame') ? el.querySelector('a') : null,
    time: el.querySelector('time'),
    age: el.querySelector('.age'),
    timestamp: el.dataset.timestamp || '',
    visible: false,
    timer: 0,
    busy: false,
    stopped: false,
    lastAsked: -Infinity,
    base: DEFAULT_INTERVAL_MS,
    interval: 0,
    failures: 0,
    takenAt: null,
  }));
  if (tiles.length === 0 && !wall) return;

  const toggle = document.getElementById('live-toggle');
  let paused = storedPaused();

  function storedPaused() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) === '1';
    } catch {
      return false; // Storage off: live, and not remembered.
    }
  }

  function storePaused() {
    try {
      if (paused) window.localStorage.setItem(STORAGE_KEY, '1');
      else window.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage off: this page still obeys the button.
    }
  }

  function running() {
    return !paused && document.visibilityState === 'visible';
  }

  function stop(tile) {
    clearTimeout(tile.timer);
    tile.timer = 0;
  }

  function schedule(tile, delay) {
    stop(tile);
    if (!running() || !tile.visible || tile.stopped) return;
    tile.timer = setTimeout(() => ask(tile), Math.max(0, delay));
  }

  // Due when its interval has passed since it last asked (at once the first time).
  function dueIn(tile) {
    return tile.lastAsked + tile.interval - performance.now();
  }

  // Spread out, so the tiles of a page do not all ask at the same moment.
  function jittered(ms) {
    return ms * (0.9 + Math.random() * 0.2);
  }

  async function ask(tile) {
    tile.timer = 0;
    if (tile.busy || !running() || !tile.visible || tile.stopped) return;
    tile.busy = true;
    tile.lastAsked = performance.now();
    let ok = false;
    try {
      const preview = await latest(tile.url);
      const lifetime = Math.max(MIN_INTERVAL_MS, Number(preview.refresh_ms) || 0);
      tile.base = preview.online ? lifetime : lifetime * OFFLINE_FACTOR;
      ok = await show(tile, preview);
    } catch (error) {
      // Signed out meanwhile: only a new sign-in (a reload) helps.
      if (error instanceof HttpError && error.status === 401) tile.stopped = true;
    }
    tile.busy = false;
    tile.failures = ok ? 0 : Math.min(tile.failures + 1, 8);
    tile.interval = Math.min(MAX_INTERVAL_MS, tile.base * 2 ** tile.failures);
    schedule(tile, jittered(tile.interval));
  }

  class HttpError extends Error {
    constructor(status) {
      super(`HTTP ${status}`);
      this.status = status;
    }
  }

  async function latest(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, {
        headers: { Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'same-origin',
        signal: controller.signal,
      });
      if (!response.ok) throw new HttpError(response.status);
      return await response.json();
    } finally {
      clearTimeout(timer);
    }
  }

  // Shows `preview` on `tile`; whether that went well (for the backoff).
  async function show(tile, preview) {
    if (preview.state !== 'ready') {
      // Keep the last image and its age; a tile that never had one says why.
      if (tile.takenAt === null && tile.age) tile.age.textContent = preview.age;
      return preview.state === 'none';
    }
    tile.takenAt = Date.now() - Number(preview.age_ms);
    // EEN timestamps (YYYYMMDDhhmmss.mmm) sort as text.
    if (preview.timestamp > tile.timestamp) {
      // Decoded before it is shown, so the tile never flashes empty or broken.
      const next = new Image();
      next.src = preview.src;
      await next.decode();
      // Paused or hidden while it loaded: the tile stays as it was.
      if (!running()) return true;
      tile.img.src = preview.src;
      tile.img.alt = preview.alt;
      tile.img.dataset.state = 'ready';
      tile.timestamp = preview.timestamp;
      tile.el.dataset.timestamp = preview.timestamp;
      if (tile.link && preview.href) tile.link.href = preview.href;
      if (tile.time && preview.datetime) {
        tile.time.dateTime = preview.datetime;
        tile.time.textContent = preview.caption;
      }
    }
    showAge(tile);
    return true;
  }

  // "12 s ago", "3 min ago", "2 h ago", "4 d ago": as the server writes it.
  function ageText(ms) {
    const seconds = Math.floor(ms / 1000);
    if (seconds <= 0) return 'just now';
    if (seconds < 60) return `${seconds} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
  }

  function showAge(tile) {
    if (tile.takenAt === null) return;
    if (!tile.age) {
      // A camera page's frame has no age yet: it gets one beside its time.
      const caption = tile.el.querySelector('figcaption');
      if (!caption) return;
      tile.age = document.createElement('span');
      tile.age.className = 'age live-age';
      caption.append(' ', tile.age);
    }
    tile.age.textContent = ageText(Date.now() - tile.takenAt);
  }

  // Paused or resumed, hidden or shown: start or stop every tile, and the wall's shuffle.
  function update() {
    for (const tile of tiles) {
      if (running() && tile.visible) schedule(tile, dueIn(tile));
      else stop(tile);
    }
    if (toggle) {
      toggle.textContent = paused ? 'Resume live updates' : 'Pause live updates';
      toggle.dataset.paused = paused ? 'true' : 'false';
    }
  }

  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', () => {
      paused = !paused;
      storePaused();
      update();
    });
  }
  // Paused in another tab of this browser: this one follows.
  window.addEventListener('storage', (event) => {
    if (event.key !== STORAGE_KEY) return;
    paused = storedPaused();
    update();
  });
  document.addEventListener('visibilitychange', update);

  const byElement = new Map(tiles.map((tile) => [tile.el, tile]));
  if ('IntersectionObserver' in window) {
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const tile = byElement.get(entry.target);
          if (!tile) continue;
          tile.visible = entry.isIntersecting;
          if (tile.visible) schedule(tile, dueIn(tile));
          else stop(tile);
        }
      },
      { rootMargin: '200px' },
    );
    for (const tile of tiles) observer.observe(tile.el);
  } else {
    for (const tile of tiles) tile.visible = true;
  }

  // The wall's shuffle counts down only while live, so a paused wall keeps its cameras.
  let shuffleIn = wall ? Number(wall.dataset.rotateS) * 1000 : Infinity;
  const shuffleHref = wall ? wall.dataset.rotateHref : null;

  setInterval(() => {
    if (!running()) return;
    for (const tile of tiles) showAge(tile);
    if (shuffleHref && Number.isFinite(shuffleIn)) {
      shuffleIn -= TICK_MS;
      if (shuffleIn <= 0) {
        shuffleIn = Infinity;
        window.location.assign(shuffleHref);
      }
    }
  }, TICK_MS);

  const fullscreen = document.getElementById('fullscreen');
  if (fullscreen && document.fullscreenEnabled) {
    fullscreen.hidden = false;
    fullscreen.addEventListener('click', () => {
      // A refusal (the browser's policy) leaves the page as it is.
      const done = document.fullscreenElement
        ? document.exitFullscreen()
        : document.documentElement.requestFullscreen();
      done.catch(() => {});
    });
  }

  update();
})();
