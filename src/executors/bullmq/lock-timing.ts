/**
 * How long a BullMQ worker's lock on an attempt lasts, and how often workers
 * look for stalled attempts (those whose worker was killed: its lock was not
 * renewed). A killed worker's attempts are re-run within about
 * lockDuration + stalledInterval; the ledger's own safety net (lease expiry)
 * cannot do it sooner, because re-dispatching an attempt still in Redis is a
 * no-op by design (same job id). So tie both to `delivery.leaseMarginMs`,
 * the delay the operator chose for "an attempt with no answer is run
 * again", within bounds:
 * - at least 5 s: locks are renewed every lockDuration / 2, and a busy
 *   event loop must not miss a renewal (a missed one means a duplicate POST);
 * - at most 30 s, BullMQ's defaults.
 */
export function lockTimingFor(leaseMarginMs: number): { lockDurationMs: number; stalledIntervalMs: number } {
  const ms = Math.min(MAX_LOCK_MS, Math.max(MIN_LOCK_MS, leaseMarginMs));
  return { lockDurationMs: ms, stalledIntervalMs: ms };
}

const MIN_LOCK_MS = 5_000;
const MAX_LOCK_MS = 30_000;
