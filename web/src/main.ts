// The memlens dashboard: hash routes for the overview, a process and a cgroup, each page built by
// its module and torn down (timers, live subscription, charts) when the route changes.

import { h } from './dom.js';
import { clearErrors, onTick } from './live.js';
import { cgroupPage } from './pages/cgroup.js';
import { notFoundPage } from './pages/not-found.js';
import { overviewPage } from './pages/overview.js';
import type { Page } from './pages/page.js';
import { processPage } from './pages/process.js';
import { parseRoute } from './route.js';

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
  const r = parseRoute(location.hash);
  if (r.page === 'process') current = processPage(root, r.pid);
  else if (r.page === 'cgroup') current = cgroupPage(root, r.path);
  else if (r.page === 'overview') current = overviewPage(root);
  else current = notFoundPage(root, r.hash);
  root.dataset.page = r.page;
  if (!document.title.startsWith(current.title)) document.title = `${current.title} · memlens`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === '#/' && root.dataset.page === 'overview');
  }
}

window.addEventListener('hashchange', route);
route();
// Connect the live stream from the start, so the header's dot shows its state on every page.
onTick(() => {});
