import type { Config } from '../../config.js';
import { NotifydError } from '../../domain/errors.js';

/** The bullmq parts cannot run without Redis: say which key to set, the way config errors do. */
export function requireRedisUrl(config: Config, what: string): string {
  const url = config.redis.url;
  if (url === null) {
    throw new NotifydError('config_invalid', `redis.url: ${what} needs Redis (set redis.url, NOTIFYD_REDIS_URL or --redis)`, {
      field: 'redis.url',
    });
  }
  return url;
}
