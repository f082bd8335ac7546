// A link the dashboard cannot open, in the real headless Chromium the dashboard test uses,
// against a real `memlens serve`: a broken %-escape ("/#/%E0%A4%A", on which decodeURIComponent
// throws URIError) or a route that does not exist shows "No such page" with a way back, not a
// blank page and an uncaught error; the way back opens the overview.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { CLI } from '../helpers/cli.js';
import { type RunningServe, startServe, tempDir } from '../server/serve-helper.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (apt-get install chromium)`
  : !existsSync(CLI)
    ? `${CLI} is missing: run "npm run build" first`
    : false;

const tmp = tempDir('bad-link');
let serve: RunningServe | null = null;
let browser: Browser | null = null;

before(async () => {
  if (skip) return;
  serve = await startServe(['--port', '0', '--db', join(tmp.dir, 'h.db')]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  tmp.remove();
});

for (const hash of ['#/%E0%A4%A', '#/cgroup/%E0%A4%A', '#/process/%E0', '#/no-such-page']) {
  test(`${hash} shows "No such page" and a way back`, { skip, timeout: 60_000 }, async () => {
    assert.ok(browser && serve);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${serve.url}/${hash}`);
      await page.waitForSelector('[data-page="not-found"] #not-found', { timeout: 15_000 });
      assert.match((await page.locator('h1').textContent()) ?? '', /No such page/);
      assert.equal(await page.locator('#not-found code').textContent(), hash.slice(1));
      assert.deepEqual(errors, [], 'no uncaught error in the page');
      await page.locator('.crumbs a').click();
      await page.waitForSelector('[data-ready="overview"]', { timeout: 15_000 });
    } finally {
      await page.close();
    }
  });
}
