import { NotifydError } from '../domain/errors.js';

/** Checks a page size or bulk limit: a whole number in [1, max]. */
export function checkLimit(limit: number, max: number, field = 'limit'): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new NotifydError('validation_failed', `${field}: must be a whole number from 1 to ${max}`, { field });
  }
  return limit;
}
