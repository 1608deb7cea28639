// EEN Gallery frame viewer keys: ← the frame before, → the frame after, Home the newest
// frame, Esc back to the camera page. Each key follows the page's own link, so without this
// script the same links work by Tab and Enter. The neighbours' images are loaded ahead, so a
// step shows at once.
'use strict';

(() => {
  const KEYS = { ArrowLeft: 'older', ArrowRight: 'newer', Home: 'newest', Escape: 'back' };

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    // Typing in a field (the header's search box) is not stepping.
    const target = event.target;
    if (target instanceof Element && target.closest('input, textarea, select, [contenteditable]')) {
      return;
    }
    const id = KEYS[event.key];
    const link = id && document.getElementById(id);
    if (!(link instanceof HTMLAnchorElement)) return;
    event.preventDefault();
    window.location.assign(link.href);
  });

  for (const link of document.querySelectorAll('a[data-image]')) {
    const ahead = new Image();
    ahead.src = link.dataset.image;
  }

  const keys = document.getElementById('viewer-keys');
  if (keys) keys.hidden = false;
})();
