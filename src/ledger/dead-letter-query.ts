import { sql, type SQL } from 'drizzle-orm';
import type { DeadLetterFilter } from '../domain/ports.js';
import type { DeadLetterPosition } from './cursor.js';
import { notifications as n } from './schema.js';

/**
 * The dead-letter selection shared by the listing and bulk replay, so
 * "replay what I just listed with the same filter" replays exactly that:
 * newest `dead_at` first, ties by id, over the partial index on dead rows.
 *
 * `since` is inclusive and `until` exclusive, so consecutive windows never
 * overlap. The URL prefix is compared with substr(), not LIKE: a `%` or `_`
 * in a URL is a literal character.
 */
function deadLetterConditions(filter: DeadLetterFilter, after: DeadLetterPosition | null): SQL[] {
  // Literal 'dead', not a bound parameter: SQLite only uses a partial index when the query repeats its predicate.
  const conditions: SQL[] = [sql`${n.status} = 'dead'`];
  if (filter.since !== undefined) conditions.push(sql`${n.deadAt} >= ${filter.since}`);
  if (filter.until !== undefined) conditions.push(sql`${n.deadAt} < ${filter.until}`);
  if (filter.urlPrefix !== undefined && filter.urlPrefix !== '') {
    conditions.push(sql`substr(${n.url}, 1, length(${filter.urlPrefix})) = ${filter.urlPrefix}`);
  }
  if (filter.host !== undefined) conditions.push(sql`${n.host} = ${filter.host}`);
  if (filter.lastError !== undefined && filter.lastError !== '') {
    // instr(), not LIKE, for the same reason as the URL prefix; lower() folds ASCII only, which covers error codes.
    conditions.push(sql`instr(lower(${n.lastError}), lower(${filter.lastError})) > 0`);
  }
  if (after !== null) conditions.push(sql`(${n.deadAt}, ${n.id}) < (${after.deadAt}, ${after.id})`);
  return conditions;
}

export function deadLetterQuery(
  columns: SQL,
  filter: DeadLetterFilter,
  limit: number,
  after: DeadLetterPosition | null,
): SQL {
  return sql`SELECT ${columns} FROM ${n} INDEXED BY notifications_dead_idx
    WHERE ${sql.join(deadLetterConditions(filter, after), sql` AND `)}
    ORDER BY ${n.deadAt} DESC, ${n.id} DESC LIMIT ${limit}`;
}

/** How many dead letters match `filter` (its `limit` ignored), over the same index. */
export function deadLetterCountQuery(filter: DeadLetterFilter): SQL {
  return sql`SELECT count(*) AS n FROM ${n} INDEXED BY notifications_dead_idx
    WHERE ${sql.join(deadLetterConditions(filter, null), sql` AND `)}`;
}
