import type { RedisClients } from './redis-clients.js';

/**
 * BullMQ's `close()` talks to Redis (it waits for a connection to finish
 * initialising, for QUIT replies); with Redis down it can wait forever, and a
 * shutdown must end. Past `ms`, cut every connection of the process (it is
 * going away), which makes those waits fail and the close finish; give it
 * one more moment, then stop waiting.
 */
export async function closeWithin(closing: Promise<unknown>, ms: number, redis: RedisClients): Promise<void> {
  // With Redis known to be down there is nothing to wait for.
  if (await settlesWithin(closing, redis.reachable ? ms : 0)) return;
  redis.disconnectAll();
  await settlesWithin(closing, AFTER_DISCONNECT_MS);
}

const AFTER_DISCONNECT_MS = 2_000;

/** True when `promise` settled (either way) within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
