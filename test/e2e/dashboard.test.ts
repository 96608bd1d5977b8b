import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestReceiver } from '../helpers/receiver.js';
import { TOKENS, startOpsDaemon, type OpsDaemon } from '../integration/ops/ops-fixture.js';

/**
 * The ops dashboard end to end: the real daemon, real receivers on loopback,
 * and Debian's Chromium driven headless by playwright-core. Each page is kept
 * as a screenshot under test-artifacts/ (git-ignored); with
 * UPDATE_DOCS_SCREENSHOT=1 the dead-letter page also goes to docs/ for the README.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));

// A missing browser fails the run, unless skipping was asked for explicitly
// (.ci/run does so, loudly, only when installing Debian's chromium failed).
const skip = !existsSync(CHROMIUM) && process.env.NOTIFYD_SKIP_BROWSER_TEST === '1';
if (skip) {
  console.warn(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! SKIPPING THE DASHBOARD BROWSER TEST: ${CHROMIUM} is missing and\n` +
      `!! NOTIFYD_SKIP_BROWSER_TEST=1. Install it: apt-get install -y chromium\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
}

let d: OpsDaemon;
let merchant: TestReceiver;
let shop: TestReceiver;
let browser: Browser;
let page: Page;
const merchantDown = { value: true };
const problems: string[] = [];

async function shot(name: string): Promise<string> {
  const path = `${ARTIFACTS}dashboard-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

async function rows(): Promise<number> {
  return page.locator('#dlq-rows tr').count();
}

describe.skipIf(skip)('the ops dashboard in a real browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set NOTIFYD_SKIP_BROWSER_TEST=1 to skip this test on purpose)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    // A merchant that is down for maintenance, and a shop whose endpoint answers the wrong body.
    merchant = await TestReceiver.start((req) =>
      merchantDown.value && !req.path.startsWith('/ok') ? { status: 503, body: 'maintenance window until 06:00' } : { status: 200, body: 'success' },
    );
    shop = await TestReceiver.start((req) =>
      req.path === '/xss' ? { status: 200, body: '<img src=x onerror="window.__pwned=1">' } : { status: 200, body: 'FAIL' },
    );
    d = await startOpsDaemon({ log: { level: 'warn' } });

    const orders = ['20261124-0001', '20261124-0002', '20261124-0003'];
    const dead = [
      ...orders.map((order) =>
        d.enqueue({ url: merchant.url('/alipay/notify'), body: { out_trade_no: order, trade_status: 'TRADE_SUCCESS' }, schedule: ['100ms'], idempotencyKey: `${order}:TRADE_SUCCESS` }),
      ),
      d.enqueue({ url: shop.url('/wechat/notify'), body: { id: 'wx-1' }, schedule: ['100ms'], metadata: { merchant: 'm-7' } }),
    ];
    const ids = await Promise.all(dead);
    for (const id of ids) await d.waitFor(id, (v) => v.status === 'dead');
    await d.waitFor(await d.enqueue({ url: merchant.url('/ok/notify'), body: { ok: 1 } }), (v) => v.status === 'delivered');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`unexpected JS dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      // The browser logs the 401 before the token is entered and the 403 of the scope test, as it should.
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
    await merchant?.close();
    await shop?.close();
  });

  it('asks for the token once, then shows the headline numbers and the dead-letter queue', async () => {
    await page.goto(`${d.url}/ui`);
    await page.locator('#token-panel').waitFor({ state: 'visible' });
    await page.fill('#token-input', TOKENS.admin);
    await page.click('#token-form button[type=submit]');
    await expect.poll(rows).toBe(4);
    await expect.poll(() => page.textContent('#dlq-count')).toContain('4 dead letters match');
    await expect.poll(() => page.textContent('#stat-dead')).toBe('4');
    expect(await page.textContent('#stat-dead-hour')).toBe('4');
    expect(await page.textContent('#stat-delivered-hour')).toBe('1');
    expect(await page.textContent('#stat-pending')).toBe('0');
    expect(await page.textContent('#auth-status')).toContain('token set');
    // The token is in this tab's session storage only.
    expect(await page.evaluate(() => sessionStorage.getItem('notifyd.token'))).toBe(TOKENS.admin);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await shot('dead-letters');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      const bottom = await page.evaluate(() => document.getElementById('content')!.getBoundingClientRect().bottom);
      await page.screenshot({ path: DOCS_SCREENSHOT, clip: { x: 0, y: 0, width: 1360, height: Math.ceil(bottom) + 8 } });
    }
  });

  it('filters by host, by time and by last error, keeping the token across pages', async () => {
    const host = `127.0.0.1:${merchant.port}`;
    await page.fill('input[name=host]', host);
    await page.fill('input[name=since]', '1h');
    await page.click('#filters button[type=submit]');
    await page.waitForURL(/\/ui\?host=/);
    await expect.poll(rows).toBe(3);
    expect(await page.locator('#token-panel').isHidden()).toBe(true);
    await expect.poll(() => page.textContent('#dlq-count')).toContain(`3 dead letters match (host ${host}, died since 1h)`);

    await page.goto(`${d.url}/ui?lastError=${encodeURIComponent('BODY DID NOT')}`);
    await expect.poll(rows).toBe(1);
    await page.goto(`${d.url}/ui?until=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    await expect.poll(() => page.isVisible('#dlq-empty')).toBe(true);
    expect(await page.isDisabled('#bulk-replay')).toBe(true);
    await shot('filtered-empty');
  });

  it('opens a notification with its attempt timeline, replays it, and shows it delivered', async () => {
    await page.goto(`${d.url}/ui?host=127.0.0.1:${merchant.port}`);
    await expect.poll(rows).toBe(3);
    await page.locator('#dlq-rows a.notification-link').first().click();
    await page.waitForURL(/\/ui\/notifications\/ntf_/);
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('dead');
    await expect.poll(() => page.locator('#timeline-rows tr').count()).toBe(2);
    const firstAttempt = page.locator('#timeline-rows tr').first();
    expect(await firstAttempt.textContent()).toContain('http_error');
    expect(await firstAttempt.textContent()).toContain('503');
    expect(await firstAttempt.textContent()).toContain('maintenance window until 06:00');
    expect(await page.textContent('#fields')).toContain('TRADE_SUCCESS');
    expect(await page.isVisible('#replay')).toBe(true);
    expect(await page.isVisible('#cancel')).toBe(false);
    await shot('notification-dead');

    merchantDown.value = false;
    await page.click('#replay');
    await expect.poll(() => page.getAttribute('#status', 'data-status'), { timeout: 15_000 }).toBe('delivered');
    await expect.poll(() => page.locator('#timeline-rows tr').count()).toBe(3);
    expect(await page.locator('#timeline-rows tr').last().textContent()).toContain('success');
    expect(await page.textContent('#replay')).toBe('Deliver again…');
    await shot('notification-delivered');
  });

  it('bulk-replays the current filter after a confirmation that says how many', async () => {
    await page.goto(`${d.url}/ui?host=127.0.0.1:${merchant.port}`);
    await expect.poll(rows).toBe(2);
    await expect.poll(() => page.textContent('#bulk-replay')).toBe('Replay all 2…');
    await page.click('#bulk-replay');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    expect(await page.textContent('#confirm-message')).toContain(`Replay 2 dead letters (host 127.0.0.1:${merchant.port})?`);
    await shot('bulk-replay-confirm');
    await page.click('#confirm-ok');
    await expect.poll(() => page.textContent('#bulk-progress')).toBe('Replayed 2 of 2.');
    await expect.poll(() => page.isVisible('#dlq-empty')).toBe(true);
    await expect.poll(async () => (await d.api('GET', '/v1/stats')).body.lastHour.delivered, { timeout: 15_000 }).toBe(4);
    // The other host's dead letters were not part of the filter.
    expect((await d.api('GET', '/v1/dead-letters/count')).body.count).toBe(1);
  });

  it('retries a pending notification now, instead of at its next scheduled time', async () => {
    const id = await d.enqueue({ url: shop.url('/wechat/notify'), body: { id: 'wx-4' }, schedule: ['1h', '1h'] });
    await d.waitFor(id, (v) => v.attempts === 1);
    await page.goto(`${d.url}/ui/notifications/${id}`);
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('pending');
    await page.locator('#retry-now').waitFor({ state: 'visible' });
    await shot('retry-now');
    await page.click('#retry-now');
    // The second attempt happens at once (the shop still answers the wrong body), not in an hour.
    await expect.poll(() => page.locator('#timeline-rows tr').count(), { timeout: 10_000 }).toBe(2);
    expect((await d.api('GET', `/v1/notifications/${id}`)).body).toMatchObject({ status: 'pending', attempts: 2 });
  });

  it('cancels a pending notification after confirming', async () => {
    const id = await d.enqueue({ url: shop.url('/wechat/notify'), body: { id: 'wx-3' }, schedule: ['1h'] });
    await d.waitFor(id, (v) => v.attempts === 1);
    await page.goto(`${d.url}/ui/notifications/${id}`);
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('pending');
    await page.click('#cancel');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-ok');
    await expect.poll(() => page.getAttribute('#status', 'data-status')).toBe('cancelled');
    expect(await page.isVisible('#cancel')).toBe(false);
  });

  it("shows a receiver's answer as text, never as markup", async () => {
    const id = await d.enqueue({ url: shop.url('/xss'), body: { id: 'wx-2' }, schedule: [] });
    await d.waitFor(id, (v) => v.status === 'dead');
    await page.goto(`${d.url}/ui?lastError=${encodeURIComponent('onerror')}`);
    await expect.poll(rows).toBe(1);
    await page.locator('#dlq-rows a.notification-link').first().click();
    await expect.poll(() => page.locator('#timeline-rows tr').count()).toBe(1);
    expect(await page.locator('code.excerpt').first().textContent()).toBe('<img src=x onerror="window.__pwned=1">');
    expect(await page.locator('#timeline-rows img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const response = await page.request.get(`${d.url}/ui`);
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
  });

  it('with a token that lacks a scope, says so', async () => {
    await page.evaluate((token) => sessionStorage.setItem('notifyd.token', token), TOKENS.producer);
    await page.goto(`${d.url}/ui`);
    await expect.poll(() => page.textContent('#banner')).toContain('forbidden: token "producer" lacks the "read" scope');
    await page.click('#forget-token');
    await page.locator('#token-panel').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('notifyd.token'))).toBeNull();
    // Only the expected: no script errors, no alert()/confirm() anywhere.
    expect(problems).toEqual([]);
  });
});
