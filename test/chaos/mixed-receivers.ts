import { ChaosReceiver } from './chaos-receiver.js';

/**
 * The receivers of the crash loops: each kind dictates how its notifications
 * must end, whatever crashes happen on the way.
 */
export type Kind = 'fast' | 'slow' | 'flaky' | 'failing' | 'gone';

/** Out of every 20 notifications: 8 fast, 4 slow, 4 flaky, 3 always failing, 1 gone. */
const PATTERN: Kind[] = ['fast', 'slow', 'flaky', 'fast', 'failing', 'fast', 'slow', 'flaky', 'fast', 'gone', 'fast', 'slow', 'flaky', 'fast', 'failing', 'fast', 'slow', 'flaky', 'failing', 'fast'];

export function kindOf(i: number): Kind {
  return PATTERN[i % PATTERN.length]!;
}

export const SCHEDULES: Record<Kind, string[]> = {
  fast: ['200ms', '500ms', '1s', '2s', '4s'],
  slow: ['200ms', '500ms', '1s', '2s', '4s'],
  flaky: ['100ms', '200ms', '300ms', '500ms', '1s'],
  // Short, so the dead letters die within the run: three attempts.
  failing: ['100ms', '100ms'],
  gone: ['100ms', '100ms'],
};

/** The flaky receiver fails the first FLAKY_FAILURES POSTs of each id, then answers success. */
export const FLAKY_FAILURES = 2;

export async function startMixedReceivers(): Promise<Record<Kind, ChaosReceiver>> {
  return {
    fast: await ChaosReceiver.start(() => ({ status: 200, body: 'success' })),
    slow: await ChaosReceiver.start(() => ({ status: 200, body: 'success', delayMs: 200 })),
    flaky: await ChaosReceiver.start((_seen, n) => (n <= FLAKY_FAILURES ? { status: 500, body: 'busy' } : { status: 200, body: 'success' })),
    failing: await ChaosReceiver.start(() => ({ status: 500, body: 'down' })),
    gone: await ChaosReceiver.start(() => ({ status: 410, body: 'gone' })),
  };
}

export interface EndState {
  duplicates: number;
  recordedUnseen: number;
  problems: string[];
}

/**
 * Checks every accepted notification against what its receiver dictates and
 * counts the duplicates: POSTs a receiver saw beyond the attempts the ledger
 * recorded for that id (an attempt whose result a fault kept from the ledger).
 */
export function checkEndState(
  ids: readonly string[],
  kindById: ReadonlyMap<string, Kind>,
  rows: ReadonlyMap<string, { status: string; dead_reason: string | null; attempts: number }>,
  receivers: Record<Kind, ChaosReceiver>,
): EndState {
  let duplicates = 0;
  let recordedUnseen = 0;
  const problems: string[] = [];
  for (const id of ids) {
    const row = rows.get(id);
    const kind = kindById.get(id)!;
    if (row === undefined) {
      problems.push(`${id} (${kind}): accepted but not in the ledger`);
      continue;
    }
    const seen = receivers[kind].count(id);
    duplicates += Math.max(0, seen - row.attempts);
    recordedUnseen += Math.max(0, row.attempts - seen);
    const expected =
      kind === 'failing'
        ? { status: 'dead', reason: 'exhausted', attempts: 3 }
        : kind === 'gone'
          ? { status: 'dead', reason: 'gone', attempts: 1 }
          : { status: 'delivered', reason: null, attempts: null };
    if (row.status !== expected.status || row.dead_reason !== expected.reason) {
      problems.push(`${id} (${kind}): ${row.status}/${row.dead_reason} after ${row.attempts} attempts, expected ${expected.status}/${expected.reason}`);
    }
    if (expected.attempts !== null && row.attempts !== expected.attempts) problems.push(`${id} (${kind}): ${row.attempts} attempts, expected ${expected.attempts}`);
    if (kind === 'flaky' && row.attempts > FLAKY_FAILURES + 1) {
      problems.push(`${id} (flaky): ${row.attempts} attempts recorded, the receiver said success on POST ${FLAKY_FAILURES + 1}`);
    }
    if (row.status === 'delivered' && seen < 1) problems.push(`${id} (${kind}): delivered but its receiver never saw it`);
  }
  return { duplicates, recordedUnseen, problems };
}
