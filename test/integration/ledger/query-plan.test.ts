import type { Database } from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { deadLetterQuery } from '../../../src/ledger/dead-letter-query.js';
import { prepareLedgerStatements } from '../../../src/ledger/statements.js';
import { openTempLedger, T0 } from './ledger-fixture.js';

function plan(db: Database, source: string, params: unknown = {}): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n');
}

describe('query plans (the statements the store really runs)', () => {
  it('the due-work walks search their partial indexes, not the status index', () => {
    const { store } = openTempLedger();
    const [first, retry] = prepareLedgerStatements(store.db).due;
    const params = { now: T0, scan: 10, saturated: '[]' };
    const firstPlan = plan(store.db, first.walk.source, params);
    const retryPlan = plan(store.db, retry.walk.source, params);
    expect(firstPlan).toMatch(/SEARCH notifications USING INDEX notifications_due_first_idx \(next_attempt_at<\?\)/);
    expect(retryPlan).toMatch(/SEARCH notifications USING INDEX notifications_due_retry_idx \(next_attempt_at<\?\)/);
    expect(`${firstPlan}\n${retryPlan}`).not.toMatch(/notifications_status_idx|TEMP B-TREE FOR ORDER BY|SCAN notifications/);
    expect(plan(store.db, first.minDue.source)).toMatch(/notifications_due_first_idx/);
    expect(plan(store.db, first.nextHost.source, { after: '' })).toMatch(/notifications_due_first_host_idx \(host>\?\)/);
  });

  it('updates of known rows look them up by rowid or id instead of walking a status', () => {
    const { store } = openTempLedger();
    const statements = prepareLedgerStatements(store.db);
    expect(plan(store.db, statements.lease.source, { ids: '[]', now: 0, leaseMs: 0 })).toMatch(
      /SEARCH notifications USING INTEGER PRIMARY KEY \(rowid=\?\)/,
    );
    for (const statement of [statements.replayDead, statements.releaseLeases]) {
      expect(plan(store.db, statement.source, { ids: '[]', now: 0 })).toMatch(/sqlite_autoindex_notifications_1 \(id=\?\)/);
    }
  });

  it('dead letters page over their partial index; idempotency keys use the unique partial index', () => {
    const { store } = openTempLedger();
    const query = new SQLiteSyncDialect().sqlToQuery(deadLetterQuery(sql`*`, { urlPrefix: 'https://a' }, 10, { deadAt: T0, id: 'ntf_x' }));
    expect(plan(store.db, query.sql, query.params)).toMatch(/SEARCH notifications USING INDEX notifications_dead_idx \(\(dead_at,id\)<\(\?,\?\)\)/);
    expect(plan(store.db, prepareLedgerStatements(store.db).selectByIdempotencyKey.source, ['k'])).toMatch(
      /notifications_idempotency_key_idx \(idempotency_key=\?\)/,
    );
  });
});
