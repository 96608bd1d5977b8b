import { describe, expect, it } from 'vitest';
import { csvField } from '../../../src/cli/commands/ops-commands.js';
import { CachedCounts, type LedgerCounts } from '../../../src/ops/cached-counts.js';
import { dashboardLink } from '../../../src/ops/dead-letter-alerts.js';
import { RecentActivity } from '../../../src/ops/recent-activity.js';

const COUNTS: LedgerCounts = { pending: 1, delivered: 2, dead: 3, cancelled: 4, leased: 0, oldestPendingCreatedAt: null };

describe('CachedCounts', () => {
  it('counts once per TTL, shares one load between concurrent callers, and does not cache a failure', async () => {
    const clock = { now: 1_000 };
    let loads = 0;
    let fail = false;
    const cache = new CachedCounts(
      async () => {
        loads += 1;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('disk on fire');
        return { ...COUNTS, pending: loads };
      },
      5_000,
      () => clock.now,
    );
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(loads).toBe(1);
    expect(a).toEqual({ counts: { ...COUNTS, pending: 1 }, at: 1_000 });
    expect(b).toEqual(a);
    clock.now += 4_999;
    expect((await cache.get()).counts.pending).toBe(1);
    clock.now += 1;
    expect(await cache.get()).toEqual({ counts: { ...COUNTS, pending: 2 }, at: 6_000 });
    clock.now += 5_000;
    fail = true;
    await expect(cache.get()).rejects.toThrow('disk on fire');
    fail = false;
    expect((await cache.get()).counts.pending).toBe(4);
  });
});

describe('RecentActivity', () => {
  it('sums the current minute and the 59 before it, and says when the window starts', () => {
    const start = Date.parse('2026-11-24T08:00:30Z');
    const clock = { now: start };
    const recent = new RecentActivity(() => clock.now);
    recent.record('delivered');
    recent.record('dead');
    clock.now = Date.parse('2026-11-24T08:30:00Z');
    recent.record('delivered');
    expect(recent.lastHour()).toEqual({ delivered: 2, dead: 1, since: start });
    clock.now = Date.parse('2026-11-24T08:59:59Z');
    expect(recent.lastHour()).toMatchObject({ delivered: 2, dead: 1 });
    // 09:00 starts a new minute: 08:00 leaves the window.
    clock.now = Date.parse('2026-11-24T09:00:00Z');
    expect(recent.lastHour()).toEqual({ delivered: 1, dead: 0, since: Date.parse('2026-11-24T08:01:00Z') });
    clock.now = Date.parse('2026-11-24T10:00:00Z');
    expect(recent.lastHour()).toEqual({ delivered: 0, dead: 0, since: Date.parse('2026-11-24T09:01:00Z') });
  });
});

describe('dashboardLink', () => {
  it('links the dashboard from a base URL or its /ui URL, filtered from the first death', () => {
    const at = Date.parse('2026-11-24T03:10:02.114Z');
    expect(dashboardLink(null, at)).toBeNull();
    expect(dashboardLink('https://notifyd.internal', at)).toBe('https://notifyd.internal/ui?since=2026-11-24T03%3A10%3A02.114Z');
    expect(dashboardLink('https://ops.example/notifyd/ui/', at)).toBe('https://ops.example/notifyd/ui?since=2026-11-24T03%3A10%3A02.114Z');
  });
});

describe('csvField', () => {
  it('quotes per RFC 4180 and defuses formula-looking text cells', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(3)).toBe('3');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField({ merchant: 'm-1', n: 2 })).toBe('"{""merchant"":""m-1"",""n"":2}"');
  });
});
