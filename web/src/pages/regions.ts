// The inspect report's tables: memory by category, and the largest regions.

import type { CategoryRow, InspectReport, RegionRow } from '../api.js';
import { h } from '../dom.js';
import { bytes, count } from '../format.js';
import { TERMS } from '../terms.js';

export function categoryTable(categories: CategoryRow[]): HTMLElement {
  const rows = categories.filter((c) => c.regions > 0).sort((a, b) => (b.rssBytes ?? 0) - (a.rssBytes ?? 0));
  const maxSize = Math.max(1, ...rows.map((c) => c.sizeBytes ?? 0));
  return h(
    'table',
    { class: 'data categories' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Category'),
        h('th', { class: 'num' }, 'Regions'),
        h('th', { class: 'num', title: 'Mapped size (part of VIRT)' }, 'Size'),
        h('th', { class: 'num', title: TERMS.rss }, 'RSS'),
        h('th', { class: 'num', title: TERMS.pss }, 'PSS'),
        h('th', { class: 'num', title: 'Private_Clean + Private_Dirty (part of USS)' }, 'Private'),
        h('th', { class: 'num', title: 'Shared_Clean + Shared_Dirty' }, 'Shared'),
        h('th', { class: 'num', title: TERMS.swap }, 'Swap'),
        h('th', { class: 'bar-col', title: 'Resident (dark) out of mapped (light)' }, 'Resident of mapped'),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((c) => {
        const size = c.sizeBytes ?? 0;
        const rss = c.rssBytes ?? 0;
        return h(
          'tr',
          { 'data-category': c.category },
          h('td', null, c.label),
          h('td', { class: 'num muted' }, count(c.regions)),
          h('td', { class: 'num muted' }, bytes(c.sizeBytes)),
          h('td', { class: 'num' }, bytes(c.rssBytes)),
          h('td', { class: 'num strong' }, bytes(c.pssBytes)),
          h('td', { class: 'num' }, bytes(c.privateBytes)),
          h('td', { class: 'num' }, bytes(c.sharedBytes)),
          h('td', { class: 'num' }, bytes(c.swapBytes)),
          h(
            'td',
            { class: 'bar-col' },
            h(
              'div',
              { class: 'bar thin' },
              h('div', { class: 'fill ghost', style: `width: ${((size / maxSize) * 100).toFixed(1)}%` }),
              h('div', { class: 'fill', style: `width: ${((rss / maxSize) * 100).toFixed(1)}%` }),
            ),
          ),
        );
      }),
    ),
  );
}

export function regionTables(top: InspectReport['topRegions']): HTMLElement {
  const body = h('div');
  const tabs: [string, RegionRow[]][] = [
    ['by RSS', top.byRss ?? []],
    ['by size', top.bySize ?? []],
  ];
  const buttons = tabs.map(([label], i) => {
    const b = h('button', { type: 'button', class: i === 0 ? 'active' : '' }, label);
    b.addEventListener('click', () => show(i));
    return b;
  });
  const show = (i: number) => {
    buttons.forEach((b, j) => {
      b.classList.toggle('active', i === j);
    });
    body.replaceChildren(regionTable(tabs[i]?.[1] ?? []));
  };
  show(0);
  return h('div', null, h('div', { class: 'tabs' }, buttons), body);
}

function regionTable(regions: RegionRow[]): HTMLElement {
  if (regions.length === 0) return h('p', { class: 'empty' }, 'No regions.');
  return h(
    'table',
    { class: 'data regions' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Address'),
        h('th', null, 'Perms'),
        h('th', null, 'Mapping'),
        h('th', { class: 'num' }, 'Size'),
        h('th', { class: 'num', title: TERMS.rss }, 'RSS'),
        h('th', { class: 'num', title: TERMS.pss }, 'PSS'),
      ),
    ),
    h(
      'tbody',
      null,
      regions.map((r) =>
        h(
          'tr',
          null,
          h('td', { class: 'mono muted', title: `${r.start}–${r.end}` }, r.start.replace(/^0x/, '')),
          h('td', { class: 'mono' }, r.perms),
          h(
            'td',
            { class: 'path', title: r.path || `[${r.category}]` },
            r.path ? r.path : h('span', { class: 'muted' }, `[${r.category}]`),
            r.deleted ? h('span', { class: 'badge warn' }, 'deleted') : null,
          ),
          h('td', { class: 'num muted' }, bytes(r.sizeBytes)),
          h('td', { class: 'num' }, bytes(r.rssBytes)),
          h('td', { class: 'num strong' }, bytes(r.pssBytes)),
        ),
      ),
    ),
  );
}
