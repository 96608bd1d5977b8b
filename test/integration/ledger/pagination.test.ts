import { describe, expect, it } from 'vitest';
import type { Notification } from '../../../src/domain/notification.js';
import type { Page } from '../../../src/domain/ports.js';
import type { SqliteNotificationStore } from '../../../src/ledger/index.js';
import { input, leaseAll, openTempLedger, result, T0 } from './ledger-fixture.js';

async function allPages(fetch: (cursor: string | null) => Promise<Page<Notification>>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await fetch(cursor);
    pages.push(page.items.map((n) => n.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return pages;
}

async function killAll(store: SqliteNotificationStore, ids: string[], deadAt: number) {
  await leaseAll(store, deadAt);
  await store.applyResults(ids.map((id) => result(id, 1, 'blocked')), deadAt);
}

describe('list', () => {
  it('newest first, by cursor, filtered by status; the last page has no cursor', async () => {
    const { store } = openTempLedger();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await store.enqueue(input(), T0 + i)).notification.id);
    await store.cancel(ids[1]!, T0);
    await store.cancel(ids[4]!, T0);
    const newest = [...ids].reverse();

    expect(await allPages((cursor) => store.list({ limit: 3, cursor }))).toEqual([newest.slice(0, 3), newest.slice(3, 6), newest.slice(6)]);
    expect(await allPages((cursor) => store.list({ status: 'cancelled', limit: 1, cursor }))).toEqual([[ids[4]], [ids[1]]]);
    expect(await allPages((cursor) => store.list({ status: 'pending', limit: 5, cursor }))).toEqual([
      [ids[6], ids[5], ids[3], ids[2], ids[0]],
    ]);
    expect(await store.list({ status: 'dead', limit: 5 })).toEqual({ items: [], nextCursor: null });
  });

  it('a mangled cursor or a bad limit is validation_failed', async () => {
    const { store } = openTempLedger();
    await expect(store.list({ limit: 5, cursor: '!!not-a-cursor' })).rejects.toMatchObject({ code: 'validation_failed', field: 'cursor' });
    await expect(store.listDeadLetters({ limit: 5, cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 'validation_failed', field: 'cursor' });
    await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: 'validation_failed', field: 'limit' });
  });
});

describe('listDeadLetters', () => {
  it('newest deadAt first, ties by id, across pages, with since/until/urlPrefix/host filters', async () => {
    const { store } = openTempLedger();
    const urls = ['https://a.example/pay%_x', 'https://a.example/pay', 'https://b.example:8443/pay%_x'];
    const byDeadAt = new Map<number, string[]>();
    for (let round = 0; round < 3; round++) {
      const ids: string[] = [];
      for (const url of urls) ids.push((await store.enqueue(input({ url }), T0)).notification.id);
      await killAll(store, ids, T0 + round * 1000);
      byDeadAt.set(T0 + round * 1000, ids);
    }
    const pendingToo = await store.enqueue(input(), T0);
    const expected = [2, 1, 0].flatMap((round) => [...byDeadAt.get(T0 + round * 1000)!].reverse());

    const pages = await allPages((cursor) => store.listDeadLetters({ limit: 4, cursor }));
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(pages.flat()).toEqual(expected);
    expect(pages.flat()).not.toContain(pendingToo.notification.id);

    const first = (round: number, i: number) => byDeadAt.get(T0 + round * 1000)![i]!;
    // A LIKE wildcard in the prefix is a literal character.
    const prefixed = await allPages((cursor) => store.listDeadLetters({ urlPrefix: 'https://a.example/pay%', limit: 2, cursor }));
    expect(prefixed.flat()).toEqual([first(2, 0), first(1, 0), first(0, 0)]);
    const onHost = await store.listDeadLetters({ host: 'b.example:8443', since: T0 + 1000, limit: 10 });
    expect(onHost.items.map((n) => n.id)).toEqual([first(2, 2), first(1, 2)]);
    const window = await store.listDeadLetters({ since: T0 + 1000, until: T0 + 2000, limit: 10 });
    expect(window.items.map((n) => n.id)).toEqual([first(1, 2), first(1, 1), first(1, 0)]);
    expect(window.nextCursor).toBeNull();
    expect(window.items[0]).toMatchObject({ status: 'dead', deadReason: 'blocked', deadAt: T0 + 1000 });
  });
});
