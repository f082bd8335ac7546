// The overview's sections other than the process list: the machine's figures, leak suspects,
// the OOM kill order and the cgroups closest to their limits.

import type { Cgroup, Machine, OomReport, ProcessRow } from '../api.js';
import { figure, fill, h } from '../dom.js';
import { bytes, count, duration, percent, psiPercent } from '../format.js';
import { bindingShare, headroomWhere } from '../headroom.js';
import { TERMS } from '../terms.js';
import { findingList, isSuspect, slopeText, timeToLimitText, verdictBadge } from '../verdict.js';
import { cgroupHref, processHref } from './page.js';

export function renderMachine(el: HTMLElement, m: Machine): void {
  const total = m.memTotalBytes;
  const avail = m.memAvailableBytes;
  const inUse = total !== null && avail !== null ? total - avail : null;
  const swapUsed =
    m.swapTotalBytes !== null && m.swapFreeBytes !== null ? m.swapTotalBytes - m.swapFreeBytes : null;
  const share = (v: number | null) => (v !== null && total ? `${percent(v / total)} of RAM` : null);
  const some = m.psi?.some ?? null;
  const full = m.psi?.full ?? null;
  fill(
    el,
    figure('RAM', bytes(total), TERMS.memTotal, 'MemTotal'),
    figure('Available', bytes(avail), TERMS.memAvailable, share(avail)),
    figure('In use', bytes(inUse), TERMS.inUse, share(inUse)),
    figure('Page cache', bytes(m.cachedBytes), TERMS.cached, share(m.cachedBytes)),
    figure(
      'Swap used',
      m.swapTotalBytes === 0 ? 'no swap' : bytes(swapUsed),
      TERMS.swapUsed,
      m.swapTotalBytes ? `of ${bytes(m.swapTotalBytes)}` : null,
    ),
    figure(
      'Pressure (some)',
      some ? psiPercent(some.avg10) : '–',
      TERMS.psi,
      some ? `1m ${psiPercent(some.avg60)} · 5m ${psiPercent(some.avg300)}` : 'PSI not available',
    ),
    figure(
      'Pressure (full)',
      full ? psiPercent(full.avg10) : '–',
      TERMS.psi,
      full ? `1m ${psiPercent(full.avg60)} · 5m ${psiPercent(full.avg300)}` : null,
    ),
    figure('OOM kills', count(m.oomKills), TERMS.oomKills, 'since boot'),
  );
}

export function renderSuspects(el: HTMLElement, rows: ProcessRow[]): void {
  const suspects = rows
    .filter((p) => isSuspect(p.verdict))
    .sort((a, b) => (b.verdict?.slopeBytesPerSec ?? 0) - (a.verdict?.slopeBytesPerSec ?? 0));
  if (suspects.length === 0) {
    fill(el, h('p', { class: 'empty' }, 'No process among the top 50 has a rising floor.'));
    return;
  }
  fill(
    el,
    h(
      'ul',
      { class: 'suspects' },
      suspects.map((p) => {
        const v = p.verdict;
        if (!v) return null;
        const limit =
          v.timeToLimitSec !== null
            ? h(
                'span',
                { class: v.timeToLimitSec < 3600 ? 'danger' : '' },
                `limit in ${timeToLimitText(v)}`,
                v.limitSource ? h('span', { class: 'muted' }, ` (${v.limitSource})`) : null,
              )
            : h('span', { class: 'muted' }, 'no limit in sight');
        return h(
          'li',
          { title: v.summary },
          h('a', { href: processHref(p.pid) }, p.name, h('span', { class: 'muted' }, ` ${p.pid}`)),
          ' ',
          verdictBadge(v),
          h('div', { class: 'line' }, h('strong', null, slopeText(v)), ' · ', limit),
          h('div', { class: 'line muted' }, `RSS ${bytes(p.rssBytes)} · observed ${duration(v.observedSec)}`),
        );
      }),
    ),
  );
}

export function renderOom(el: HTMLElement, oom: OomReport): void {
  const ranked = oom.ranking.filter((r) => !r.exempt).slice(0, 8);
  const kills = oom.kills;
  const lastKill = kills?.[kills.length - 1];
  fill(
    el,
    ranked.length === 0
      ? h('p', { class: 'empty' }, 'No process could be chosen.')
      : h(
          'table',
          { class: 'data compact' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { class: 'num' }, '#'),
              h('th', null, 'Process'),
              h('th', { class: 'num', title: TERMS.oomScore }, 'score'),
              h('th', { class: 'num', title: TERMS.oomScoreAdj }, 'adj'),
            ),
          ),
          h(
            'tbody',
            null,
            ranked.map((r, i) =>
              h(
                'tr',
                null,
                h('td', { class: 'num muted' }, i + 1),
                h(
                  'td',
                  { class: 'name' },
                  h('a', { href: processHref(r.pid), title: r.cgroup ?? '' }, r.name),
                  h('span', { class: 'muted' }, ` ${r.pid}`),
                ),
                h('td', { class: 'num strong' }, count(r.oomScore)),
                h('td', { class: 'num muted' }, count(r.oomScoreAdj)),
              ),
            ),
          ),
        ),
    h(
      'p',
      { class: 'muted small' },
      kills === null
        ? `Past kills: – (${oom.killsUnknownReason ?? 'unknown'})`
        : kills.length === 0
          ? 'No OOM kill in the kernel log.'
          : `${kills.length} kill${kills.length === 1 ? '' : 's'} in the kernel log; last: ${lastKill?.name ?? '–'} (${lastKill?.pid ?? '–'}) at ${lastKill?.time ? new Date(lastKill.time).toLocaleString() : '–'}.`,
    ),
    oom.findings.length ? findingList(oom.findings, '') : null,
  );
}

export function renderCgroups(el: HTMLElement, cgroups: Cgroup[]): void {
  const limited = cgroups
    .filter((c) => c.limitBytes !== null && c.limitBytes > 0)
    .map((c) => {
      // Measured where the room runs out: a child's parent limit counts its siblings too.
      const used = c.workingSetBytes ?? c.usageBytes;
      return { c, share: bindingShare(c) ?? (used === null ? null : used / (c.limitBytes as number)) };
    })
    .sort((a, b) => (b.share ?? -1) - (a.share ?? -1))
    .slice(0, 6);
  const rows =
    limited.length > 0
      ? limited
      : cgroups
          .filter((c) => c.path !== '/')
          .sort((a, b) => (b.usageBytes ?? 0) - (a.usageBytes ?? 0))
          .slice(0, 5)
          .map((c) => ({ c, share: null as number | null }));
  fill(
    el,
    limited.length === 0
      ? h(
          'p',
          { class: 'muted small' },
          'No memory cgroup has a limit: the machine’s RAM is the limit. Largest:',
        )
      : null,
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No memory cgroups found.')
      : h(
          'ul',
          { class: 'cgroups' },
          rows.map(({ c, share }) =>
            h(
              'li',
              null,
              h('a', { href: cgroupHref(c.path), class: 'path', title: c.path }, c.path),
              share !== null
                ? h(
                    'div',
                    { class: 'bar', title: `${TERMS.workingSet}\n${TERMS.headroom}` },
                    h('div', {
                      class: `fill ${share > 0.9 ? 'danger' : share > 0.75 ? 'warn' : ''}`,
                      style: `width: ${Math.min(100, share * 100).toFixed(1)}%`,
                    }),
                  )
                : null,
              h(
                'div',
                { class: 'line muted' },
                `working set ${bytes(c.workingSetBytes)}`,
                c.limitBytes !== null
                  ? ` of ${bytes(c.limitBytes)} · headroom ${bytes(c.headroomBytes)}${headroomWhere(c) ? ` ${headroomWhere(c)}` : ''} (${percent(share)} used)`
                  : ` · usage ${bytes(c.usageBytes)}`,
              ),
            ),
          ),
        ),
  );
}
