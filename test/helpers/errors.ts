import { expect } from 'vitest';
import { NotifydError } from '../../src/domain/errors.js';

/** Runs `fn`, which must throw a NotifydError, and returns it. */
export function thrownNotifydError(fn: () => unknown): NotifydError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NotifydError);
    return error as NotifydError;
  }
  throw new Error('expected the call to throw');
}
