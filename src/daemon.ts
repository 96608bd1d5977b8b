import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './api/build-app.js';
import { isLoopbackHost, type Config, type Role } from './config.js';
import { NotifydError } from './domain/errors.js';
import type { Executor, NotificationStore, Sender } from './domain/ports.js';
import { InlineExecutor } from './executors/inline/inline-executor.js';
import { openSqliteNotificationStore } from './ledger/index.js';
import { appliedResultsObserver } from './ops/applied-results-observer.js';
import { DeadLetterAlerts } from './ops/dead-letter-alerts.js';
import { createOpsViews } from './ops/ops.js';
import { RecentActivity } from './ops/recent-activity.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { DaemonHandle } from './daemon-handle.js';
import { DestinationPolicy } from './sender/destination-policy.js';
import { createGotSender } from './sender/got-sender.js';
import { destinationPolicyFromConfig, senderFromConfig } from './sender/from-config.js';
import { decodeSecret } from './sender/signing.js';

/**
 * The composition root: the one place that builds concrete classes and wires
 * them together for a role.
 */
export interface DaemonOptions {
  config: Config;
  role?: Role;
  logger?: Logger;
  /** Dead-letter alert timing (tests shorten it): waits between an alert's attempts, and the gathering wait. */
  alerts?: { retryDelaysMs?: readonly number[]; gatherMs?: number };
}

export interface Daemon extends DaemonHandle {
  readonly scheduler: Scheduler | null;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'notifyd' },
    // Secrets never reach the logs, whatever object a log line carries.
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'config.signing',
        'config.alerts.secret',
        'signing.secret',
        'signing.previousSecrets',
        'secret',
        'token',
      ],
      censor: '[redacted]',
    },
  });
}

/**
 * The sender for dead-letter alerts: notifyd's own, signed with
 * `alerts.secret` (Standard Webhooks) when one is set. The SSRF guard lets
 * private addresses through here: the alert URL is the operator's own
 * configuration (often an internal relay), not a producer's input.
 */
export function createAlertSender(config: Config): Sender {
  return createGotSender({
    maxResponseBytes: 4096,
    followRedirects: false,
    userAgent: config.delivery.userAgent,
    signing: { secret: config.alerts.secret, previousSecrets: [] },
    destinations: new DestinationPolicy({ allowPrivateNetworks: true, allowHosts: [] }),
    maxSockets: 2,
  });
}

function createDeadLetterAlerts(config: Config, logger: Logger, options: DaemonOptions['alerts'], onResult: (result: 'delivered' | 'failed') => void): DeadLetterAlerts | null {
  const url = config.alerts.deadLetterWebhook;
  if (url === null) return null;
  if (config.alerts.secret !== null) {
    try {
      decodeSecret(config.alerts.secret, 'alerts.secret');
    } catch (cause) {
      throw new NotifydError('config_invalid', 'alerts.secret: must be whsec_<base64> (a Standard Webhooks secret)', { cause, field: 'alerts.secret' });
    }
  }
  return new DeadLetterAlerts({
    url,
    sender: createAlertSender(config),
    minIntervalMs: config.alerts.minIntervalSeconds * 1000,
    maxIds: config.alerts.maxIds,
    dashboardUrl: config.alerts.dashboardUrl,
    timeoutMs: config.delivery.timeoutMs,
    logger,
    onResult,
    ...(options?.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    ...(options?.gatherMs !== undefined ? { gatherMs: options.gatherMs } : {}),
  });
}

/** Refuses an open API on a reachable address: tokens, or an explicit --insecure. */
function checkListenSafety(config: Config, logger: Logger): void {
  if (config.security.tokens.length > 0) return;
  if (isLoopbackHost(config.listen.host)) {
    logger.warn(
      { host: config.listen.host },
      'NO API TOKENS CONFIGURED: the API is open to anyone on this machine; listening on loopback only. Configure security.tokens (see `notifyd token create`).',
    );
    return;
  }
  if (!config.security.insecure) {
    throw new NotifydError(
      'config_invalid',
      `listen.host: refusing to listen on ${config.listen.host} with no API tokens configured (set security.tokens, listen on 127.0.0.1, or pass --insecure)`,
      { field: 'listen.host' },
    );
  }
  logger.warn({ host: config.listen.host }, 'NO API TOKENS CONFIGURED and --insecure given: the API is open to the network');
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger(config);

  if (role === 'worker') {
    const { startWorkerRole } = await import('./executors/bullmq/worker-role.js');
    return { ...(await startWorkerRole({ config, logger })), scheduler: null };
  }

  checkListenSafety(config, logger);
  const store = openSqliteNotificationStore({
    path: config.ledger.path,
    synchronous: config.ledger.synchronous,
    busyTimeoutMs: config.ledger.busyTimeoutMs,
    groupCommitMaxWaitMs: config.ledger.groupCommitMaxWaitMs,
    writerThread: config.ledger.writerThread,
    jitter: config.delivery.jitter,
  });
  let alerts: DeadLetterAlerts | null = null;
  try {
    const executor = await createExecutor(config, role, logger);
    const recent = new RecentActivity();
    const ops = createOpsViews({
      store,
      // Read at scrape time only, once the scheduler below exists.
      inFlight: () => scheduler.inFlightCount,
      pausedHosts: () => scheduler.pausedHosts(),
      recent,
      onCollectError: (error) => logger.warn({ err: error }, 'metrics: could not count the ledger; gauges keep their last values'),
    });
    alerts = createDeadLetterAlerts(config, logger.child({ component: 'alerts' }), options.alerts, (result) => ops.metrics.alert(result));
    const schedulerLogger = logger.child({ component: 'scheduler' });
    const scheduler = new Scheduler({
      store,
      executor,
      concurrency: executor.name === 'bullmq' ? config.redis.dispatchWindow : config.delivery.concurrency,
      perHostConcurrency: config.delivery.perHostConcurrency,
      leaseMarginMs: config.delivery.leaseMarginMs,
      hostBackoff: config.delivery.hostBackoff,
      logger: schedulerLogger,
      onApplied: appliedResultsObserver({ metrics: ops.metrics, recent, alerts, logger: schedulerLogger }),
    });

    const app: FastifyInstance = await buildApp({
      store,
      config,
      destinations: destinationPolicyFromConfig(config),
      onEnqueued: () => scheduler.wake(),
      readiness: async (): Promise<Record<string, string>> => {
        if (executor.name !== 'bullmq') return {};
        try {
          await executor.ready();
          return { redis: 'ok' };
        } catch (error) {
          return { redis: `unreachable: ${(error as Error).message}` };
        }
      },
      loggerInstance: logger.child({ component: 'api' }),
      ops,
    });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    const url = `http://${host}:${port}`;
    scheduler.start();
    logger.info({ url, role, executor: executor.name, ledger: config.ledger.path }, 'notifyd started');

    let closing: Promise<void> | null = null;
    return {
      role,
      url,
      logger,
      store,
      scheduler,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          await scheduler.stop(config.delivery.shutdownGraceMs);
          await alerts?.close();
          await store.close();
          logger.info('notifyd stopped');
        })()),
    };
  } catch (error) {
    await alerts?.close();
    await store.close();
    throw error;
  }
}

async function createExecutor(
  config: Config,
  role: Role,
  logger: Logger,
): Promise<Executor> {
  const onRecordError = (error: unknown) =>
    logger.error({ err: error }, 'could not record attempt results; their leases stand and they will be re-run');
  if (config.redis.url === null) {
    if (role === 'api') logger.warn('--role api without redis.url: delivering inline in this process');
    return new InlineExecutor(senderFromConfig(config), onRecordError);
  }
  const { createBullmqExecutor } = await import('./executors/bullmq/index.js');
  return createBullmqExecutor({ config, logger, withLocalWorker: role === 'all', onRecordError });
}
