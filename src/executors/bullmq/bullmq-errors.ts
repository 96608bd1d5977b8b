import type { Logger } from 'pino';
import type { RedisClients } from './redis-clients.js';

/**
 * BullMQ re-emits every connection error of its clients on the Queue or
 * Worker ('error' with no listener would crash the process). While Redis is
 * down those repeat every reconnect attempt and `RedisClients` has already
 * said "Redis unreachable … retrying" once, so only other errors (a lost lock,
 * a script error) are logged here.
 */
export function reportBullmqError(logger: Logger, redis: RedisClients, component: string, error: Error): void {
  if (isConnectionError(error)) {
    logger.debug({ err: error, component, redis: redis.displayUrl }, 'Redis connection error');
    return;
  }
  logger.warn({ err: error, component }, `${component}: ${error.message}`);
}

const CONNECTION_ERRORS = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Command timed out/;

function isConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_ERRORS.test(code)) || CONNECTION_ERRORS.test(error.message);
}
