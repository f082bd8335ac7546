// The page for an address the dashboard cannot open: a link cut short (a broken %-escape, which
// decodeURIComponent refuses) or a route that does not exist. It says so, with a way back,
// rather than leaving the page blank.

import { fill, h } from '../dom.js';
import type { Page } from './page.js';

export function notFoundPage(root: HTMLElement, hash: string): Page {
  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Overview')),
    h('div', { class: 'page-head' }, h('h1', null, 'No such page')),
    // The raw hash as text: it is whatever the link said.
    h(
      'p',
      { class: 'empty', id: 'not-found' },
      'This link is broken or names no page: ',
      h('code', null, hash),
    ),
  );
  return { title: 'No such page', destroy() {} };
}
