import { Option, type Command } from 'commander';
import { loadConfig, type Role } from '../../config.js';
import { parseInteger } from '../options.js';
import { fail } from '../output.js';

interface StartOptions {
  config?: string;
  host?: string;
  port?: number;
  db?: string;
  redis?: string;
  role: Role;
  insecure?: boolean;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the daemon (API, ledger, scheduler and delivery; or one role of a BullMQ deployment)')
    .option('-c, --config <file>', 'JSON config file (see config.example.json)')
    .option('--host <host>', 'listen address (listen.host)')
    .option('--port <port>', 'listen port (listen.port)', parseInteger('--port'))
    .option('--db <path>', 'SQLite ledger file (ledger.path)')
    .option('--redis <url>', 'Redis URL: switches delivery to BullMQ workers (redis.url)')
    .addOption(
      new Option('--role <role>', 'all: everything; api: ledger node without local POSTs; worker: BullMQ worker only')
        .choices(['all', 'api', 'worker'])
        .default('all'),
    )
    .option('--insecure', 'allow a non-loopback listen address with no API tokens configured')
    .action(async (options: StartOptions) => {
      let config;
      try {
        config = loadConfig({
          ...(options.config !== undefined ? { file: options.config } : {}),
          env: process.env,
          flags: {
            ...(options.host !== undefined ? { host: options.host } : {}),
            ...(options.port !== undefined ? { port: options.port } : {}),
            ...(options.db !== undefined ? { db: options.db } : {}),
            ...(options.redis !== undefined ? { redis: options.redis } : {}),
            ...(options.insecure ? { insecure: true } : {}),
          },
        });
      } catch (error) {
        fail((error as Error).message, 2);
      }
      const { startDaemon } = await import('../../daemon.js');
      let daemon;
      try {
        daemon = await startDaemon({ config, role: options.role });
      } catch (error) {
        fail((error as Error).message, 2);
      }
      let signals = 0;
      const shutdown = (signal: string) => {
        signals += 1;
        if (signals > 1) {
          daemon.logger.warn({ signal }, 'second signal: exiting at once');
          process.exit(130);
        }
        daemon.logger.info({ signal }, 'shutting down gracefully');
        daemon.close().then(
          () => process.exit(0),
          (error: unknown) => {
            daemon.logger.error({ err: error }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
