import type { Logger } from 'pino';
import type { Notification } from '../domain/notification.js';
import type { AttemptResult } from '../domain/outcome.js';
import type { AppliedResult } from '../domain/ports.js';
import type { DeadLetterAlerts } from './dead-letter-alerts.js';
import type { NotifydMetrics } from './metrics.js';
import type { RecentActivity } from './recent-activity.js';

export interface AppliedResultsObserverOptions {
  metrics: NotifydMetrics;
  recent: RecentActivity;
  alerts: DeadLetterAlerts | null;
  logger: Logger;
}

/**
 * The scheduler's `onApplied` hook: after each committed batch of attempt
 * results, feed the metrics, the last-hour numbers and the dead-letter
 * alerts, and write one debug line per attempt. (The warn line per dead
 * letter is the scheduler's own.) It must never throw: the results are
 * already committed, and an exception here would make the scheduler report
 * them as unrecorded.
 */
export function appliedResultsObserver(options: AppliedResultsObserverOptions): (applied: AppliedResult[], results: AttemptResult[]) => void {
  const { metrics, recent, alerts, logger } = options;
  return (applied, results) => {
    try {
      metrics.observeApplied(applied, results);
      const dead: Notification[] = [];
      for (const outcome of applied) {
        const notification = outcome.notification;
        if (!outcome.applied || notification === null) continue;
        if (outcome.status === 'delivered') recent.record('delivered', notification.deliveredAt ?? undefined);
        else if (outcome.status === 'dead') {
          recent.record('dead', notification.deadAt ?? undefined);
          if (outcome.deadLetter) dead.push(outcome.deadLetter);
        }
      }
      alerts?.add(dead);
      logAttempts(logger, applied, results);
    } catch (error) {
      logger.error({ err: error }, 'observing attempt results failed (metrics or alerts may be off; delivery is not affected)');
    }
  };
}

/** One JSON line per attempt at debug, keyed by `notificationId` like every other line about a notification. */
export function logAttempts(logger: Logger, applied: readonly AppliedResult[], results: readonly AttemptResult[]): void {
  if (!logger.isLevelEnabled('debug')) return;
  applied.forEach((outcome, i) => {
    const result = results[i];
    if (result === undefined) return;
    const n = outcome.notification;
    logger.debug(
      {
        notificationId: result.notificationId,
        attempt: result.attempt,
        outcome: result.outcome,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
        ...(outcome.applied
          ? { status: outcome.status, nextAttemptAt: n?.nextAttemptAt == null ? null : new Date(n.nextAttemptAt).toISOString() }
          : { duplicate: true }),
      },
      outcome.applied ? 'attempt' : 'attempt result already recorded; ignored',
    );
  });
}
