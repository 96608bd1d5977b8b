import { NotifydError } from '../domain/errors.js';
import type { DeadLetterFilter } from '../domain/ports.js';
import { parseTimeBound } from './time-bound.js';

export interface DeadLetterFilterInput {
  since?: string | undefined;
  until?: string | undefined;
  host?: string | undefined;
  urlPrefix?: string | undefined;
  lastError?: string | undefined;
}

/** The query or body fields of the dead-letter routes → the store's filter (times of `deadAt`). */
export function toDeadLetterFilter(input: DeadLetterFilterInput, now: number): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (input.since !== undefined) filter.since = parseTimeBound(input.since, now, 'since');
  if (input.until !== undefined) filter.until = parseTimeBound(input.until, now, 'until');
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
    throw new NotifydError('validation_failed', 'until: must not be before since', { field: 'until' });
  }
  // Hosts are stored lower-cased (URL normalisation), so the filter is too.
  if (input.host !== undefined) filter.host = input.host.toLowerCase();
  if (input.urlPrefix !== undefined) filter.urlPrefix = input.urlPrefix;
  if (input.lastError !== undefined) filter.lastError = input.lastError;
  return filter;
}
