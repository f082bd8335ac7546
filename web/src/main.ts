// The memlens dashboard: hash routes for the overview, a process and a cgroup, each page built by
// its module and torn down (timers, live subscription, charts) when the route changes.

import { h } from './dom.js';
import { clearErrors, onTick } from './live.js';
import { cgroupPage } from './pages/cgroup.js';
import { overviewPage } from './pages/overview.js';
import type { Page } from './pages/page.js';
import { processPage } from './pages/process.js';

let current: Page | null = null;

function route(): void {
  const app = document.getElementById('app');
  if (!app) return;
  current?.destroy();
  current = null;
  clearErrors('route');
  // A fresh element per page, so data-* markers and listeners of the last page go with it.
  const root = h('div', { class: 'page' });
  app.replaceChildren(root);
  window.scrollTo(0, 0);
  const hash = decodeURI(location.hash.replace(/^#/, '')) || '/';
  const proc = /^\/process\/(\d+)\/?$/.exec(hash);
  const cg = /^\/cgroup\/(.+)$/.exec(location.hash.replace(/^#/, ''));
  if (proc?.[1]) {
    current = processPage(root, Number(proc[1]));
    root.dataset.page = 'process';
  } else if (cg?.[1]) {
    current = cgroupPage(root, decodeURIComponent(cg[1]));
    root.dataset.page = 'cgroup';
  } else {
    current = overviewPage(root);
    root.dataset.page = 'overview';
  }
  if (!document.title.startsWith(current.title)) document.title = `${current.title} · memlens`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === '#/' && root.dataset.page === 'overview');
  }
}

window.addEventListener('hashchange', route);
route();
// Connect the live stream from the start, so the header's dot shows its state on every page.
onTick(() => {});
