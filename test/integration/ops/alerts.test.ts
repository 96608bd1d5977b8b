import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { TestReceiver } from '../../helpers/receiver.js';
import { parsePrometheus, sample, startOpsDaemon, until, type OpsDaemon } from './ops-fixture.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function track<T extends { close(): Promise<void> }>(resource: Promise<T>): Promise<T> {
  const r = await resource;
  open.push(r);
  return r;
}

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** Enqueues `n` notifications to `url` that die at their first (failed) attempt, and waits until they are dead. */
async function killSome(d: OpsDaemon, url: string, n: number): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: n }, (_, i) => d.enqueue({ url, body: { i }, schedule: [] })));
  for (const id of ids) await d.waitFor(id, (v) => v.status === 'dead');
  return ids;
}

describe('dead-letter alerts', () => {
  it('sends one batched, signed summary per interval to a real receiver, with counts by host, the first ids and the dashboard link; retries a failed send', async () => {
    const merchantA = await track(TestReceiver.start(() => ({ status: 500, body: 'down' })));
    const merchantB = await track(TestReceiver.start(() => ({ status: 502, body: 'bad gateway' })));
    const ops = await track(TestReceiver.start());
    let alertAnswers = 0;
    // The alert receiver fails the first try: the alert is retried with the same webhook-id.
    ops.respondWith(() => (++alertAnswers === 1 ? { status: 503, body: 'restarting' } : { status: 200, body: 'ok' }));

    const d = await track(
      startOpsDaemon(
        {
          alerts: {
            deadLetterWebhook: ops.url('/hooks/notifyd'),
            secret: SECRET,
            minIntervalSeconds: 2,
            maxIds: 4,
            dashboardUrl: 'https://notifyd.ops.example/',
          },
        },
        { alerts: { gatherMs: 1_000, retryDelaysMs: [200, 200] } },
      ),
    );

    const deadA = await killSome(d, merchantA.url('/pay'), 5);
    const deadB = await killSome(d, merchantB.url('/pay'), 3);
    await ops.waitFor((requests) => requests.length === 2, 10_000);

    const [first, retry] = ops.requests;
    expect(first!.headers['webhook-id']).toMatch(/^alert_/);
    expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(retry!.headers['notifyd-attempt']).toBe('2');
    const alert = new Webhook(SECRET).verify(retry!.body, retry!.headers as Record<string, string>) as Record<string, any>;
    const hostA = `127.0.0.1:${merchantA.port}`;
    const hostB = `127.0.0.1:${merchantB.port}`;
    expect(alert).toMatchObject({
      type: 'notifyd.dead_letters',
      alertId: first!.headers['webhook-id'],
      count: 8,
      byHost: { [hostA]: 5, [hostB]: 3 },
      otherHosts: 0,
      byReason: { exhausted: 8, gone: 0, blocked: 0 },
      moreIds: 4,
    });
    // Most first.
    expect(Object.keys(alert.byHost)).toEqual([hostA, hostB]);
    expect(alert.ids).toHaveLength(4);
    for (const id of alert.ids) expect([...deadA, ...deadB]).toContain(id);
    expect(alert.summary).toContain(`8 notification(s) went dead`);
    expect(alert.summary).toContain(`${hostA} (5)`);
    const link = new URL(alert.dashboardUrl);
    expect(link.origin + link.pathname).toBe('https://notifyd.ops.example/ui');
    expect(Date.parse(link.searchParams.get('since')!)).toBe(Date.parse(alert.firstDeadAt));

    // A second wave: its alert waits for minIntervalSeconds after the first.
    await killSome(d, merchantB.url('/refund'), 2);
    await ops.waitFor((requests) => requests.length === 3, 10_000);
    const second = JSON.parse(ops.requests[2]!.body) as Record<string, any>;
    expect(second).toMatchObject({ count: 2, byHost: { [hostB]: 2 }, moreIds: 0 });
    expect(second.alertId).not.toBe(alert.alertId);
    expect(ops.requests[2]!.at - first!.at).toBeGreaterThanOrEqual(1_900);

    // The receiver has the request a moment before the daemon has its answer.
    let m = parsePrometheus('');
    await until(async () => {
      m = parsePrometheus((await d.api('GET', '/metrics', undefined, 'reader')).text);
      return sample(m, 'notifyd_dead_letter_alerts_total{result="delivered"}') === 2;
    });
    expect(sample(m, 'notifyd_dead_letter_alerts_total{result="failed"}')).toBe(0);
    expect(sample(m, 'notifyd_dead_letters_total{reason="exhausted"}')).toBe(10);
  });

  it('an alert that cannot be delivered is logged and never holds up delivery', async () => {
    const merchant = await track(TestReceiver.start(() => ({ status: 500, body: 'down' })));
    const healthy = await track(TestReceiver.start());
    // Nothing listens here: every alert attempt is refused.
    const closed = await TestReceiver.start();
    const deadUrl = closed.url('/alerts');
    await closed.close();

    const d = await track(
      startOpsDaemon({ alerts: { deadLetterWebhook: deadUrl, minIntervalSeconds: 0 } }, { alerts: { gatherMs: 50, retryDelaysMs: [100, 100] } }),
    );
    const dead = await killSome(d, merchant.url(), 3);
    // Delivery goes on while the alert is failing.
    const ok = await d.enqueue({ url: healthy.url(), body: { fine: true } });
    await d.waitFor(ok, (v) => v.status === 'delivered');

    await until(() => d.logs.some((line) => line.msg.startsWith('dead-letter alert could not be delivered')), 10_000, 'the give-up log line');
    const giveUp = d.logs.find((line) => line.msg.startsWith('dead-letter alert could not be delivered'))!;
    expect(giveUp.level).toBe(50);
    expect(giveUp).toMatchObject({ attempts: 3, alert: { count: 3 } });
    expect((giveUp.alert as { ids: string[] }).ids.sort()).toEqual([...dead].sort());
    expect(String(giveUp.error)).toMatch(/ECONNREFUSED/);
    expect(d.logs.filter((line) => line.msg === 'dead-letter alert attempt failed; retrying')).toHaveLength(2);
    const m = parsePrometheus((await d.api('GET', '/metrics', undefined, 'reader')).text);
    expect(sample(m, 'notifyd_dead_letter_alerts_total{result="failed"}')).toBe(1);
    // Still serving, still delivering.
    const after = await d.enqueue({ url: healthy.url(), body: { still: 'fine' } });
    await d.waitFor(after, (v) => v.status === 'delivered');
  });

  it('refuses to start with an alerts.secret that is not a Standard Webhooks secret, naming the key', async () => {
    await expect(startOpsDaemon({ alerts: { deadLetterWebhook: 'http://127.0.0.1:9/x', secret: 'not base64 !' } })).rejects.toMatchObject({
      code: 'config_invalid',
      field: 'alerts.secret',
    });
  });
});
