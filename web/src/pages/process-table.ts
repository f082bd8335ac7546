// The overview's process list, ranked by PSS. Rows are kept per process (pid and start time) and
// updated in place on every tick, so a click or a hover is never lost to a table rebuilt under it.

import type { ProcessRow } from '../api.js';
import { COLORS } from '../colors.js';
import { fill, h } from '../dom.js';
import { bytes } from '../format.js';
import { drawSpark } from '../spark.js';
import { TERMS } from '../terms.js';
import { verdictBadge } from '../verdict.js';
import { processHref } from './page.js';

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  link: HTMLAnchorElement;
  spark: HTMLCanvasElement;
  verdictKey: string;
}

const NUMERIC: (keyof ProcessRow)[] = ['pssBytes', 'ussBytes', 'rssBytes', 'vszBytes', 'swapBytes'];

export class ProcessTable {
  private readonly tbody: HTMLTableSectionElement;
  private readonly table: HTMLTableElement;
  private readonly rows = new Map<string, Row>();

  constructor(private readonly el: HTMLElement) {
    const th = (label: string, hint?: string, cls = 'num') => h('th', { class: cls, title: hint }, label);
    this.tbody = h('tbody');
    this.table = h(
      'table',
      { class: 'data processes' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          th('PID'),
          th('Name', undefined, ''),
          th('User', undefined, ''),
          th('PSS', TERMS.pss),
          th('USS', TERMS.uss),
          th('RSS', TERMS.rss),
          th('VIRT', TERMS.virt),
          th('Swap', TERMS.swap),
          th('RSS, recent', 'RSS over the last samples', 'spark-col'),
          th('Trend', 'The leak verdict from the RSS history', ''),
        ),
      ),
      this.tbody,
    );
    this.tbody.addEventListener('click', (ev) => {
      const target = ev.target as HTMLElement;
      if (target.closest('a')) return;
      const tr = target.closest('tr');
      if (tr?.dataset.pid) location.hash = processHref(Number(tr.dataset.pid));
    });
  }

  update(list: ProcessRow[]): void {
    if (list.length === 0) {
      fill(this.el, h('p', { class: 'empty' }, 'No processes sampled yet.'));
      this.rows.clear();
      return;
    }
    if (this.table.parentElement !== this.el) fill(this.el, this.table);
    const seen = new Set<string>();
    list.forEach((p, i) => {
      const key = `${p.pid}:${p.startTicks ?? ''}`;
      seen.add(key);
      const row = this.rows.get(key) ?? this.create(key, p);
      this.fillRow(row, p);
      // Move a row only when its rank changed.
      if (this.tbody.children[i] !== row.tr) this.tbody.insertBefore(row.tr, this.tbody.children[i] ?? null);
    });
    for (const [key, row] of this.rows) {
      if (seen.has(key)) continue;
      row.tr.remove();
      this.rows.delete(key);
    }
  }

  private create(key: string, p: ProcessRow): Row {
    const link = h('a', { href: processHref(p.pid), class: 'process-link' });
    const spark = document.createElement('canvas');
    spark.className = 'spark';
    spark.title = 'RSS, last samples';
    const cells = [
      h('td', { class: 'num' }, p.pid),
      h('td', { class: 'name' }, link),
      h('td', { class: 'muted' }),
      h('td', { class: 'num strong' }),
      h('td', { class: 'num' }),
      h('td', { class: 'num' }),
      h('td', { class: 'num muted' }),
      h('td', { class: 'num' }),
      h('td', { class: 'spark-col' }, spark),
      h('td'),
    ];
    const tr = h('tr', { 'data-pid': p.pid, class: 'clickable' }, cells);
    const row: Row = { tr, cells, link, spark, verdictKey: '' };
    this.rows.set(key, row);
    return row;
  }

  private fillRow(row: Row, p: ProcessRow): void {
    setText(row.link, p.name);
    row.link.title = p.command ?? p.name;
    setText(row.cells[2], p.user ?? '–');
    NUMERIC.forEach((k, i) => {
      setText(row.cells[3 + i], bytes(p[k] as number | null));
    });
    drawSpark(row.spark, p.spark ?? [], COLORS.rss);
    const v = p.verdict;
    const verdictKey = v ? `${v.kind}|${v.summary}` : '';
    if (verdictKey !== row.verdictKey || !row.cells[9]?.firstChild) {
      row.verdictKey = verdictKey;
      row.cells[9]?.replaceChildren(verdictBadge(v));
    }
  }
}

function setText(el: HTMLElement | undefined, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}
