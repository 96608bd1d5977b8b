import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { hashToken } from '../../api/auth.js';
import { loadConfig } from '../../config.js';
import { migrateLedger } from '../../ledger/index.js';
import { fail, printJson } from '../output.js';

/** Commands that act on local files, not on a running daemon. */
export function registerLocalCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply the ledger migrations to the SQLite file (safe to run twice)')
    .option('-c, --config <file>', 'JSON config file (for ledger.path)')
    .option('--db <path>', 'SQLite ledger file')
    .option('--json', 'print JSON')
    .action((options: { config?: string; db?: string; json?: boolean }) => {
      try {
        const config = loadConfig({
          ...(options.config !== undefined ? { file: options.config } : {}),
          env: process.env,
          flags: options.db !== undefined ? { db: options.db } : {},
        });
        const result = migrateLedger(config.ledger.path);
        if (options.json) printJson({ path: config.ledger.path, ...result });
        else process.stdout.write(`ledger ${config.ledger.path}: ${result.applied} migration(s) applied\n`);
      } catch (error) {
        fail((error as Error).message, 2);
      }
    });

  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .description('make a new random token; prints it once, with the config entry holding its hash')
    .requiredOption('--scopes <list>', 'comma-separated: enqueue, read, ops')
    .option('--name <name>', 'a name for logs', 'producer')
    .option('--json', 'print JSON')
    .action((options: { scopes: string; name: string; json?: boolean }) => {
      const scopes = options.scopes.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = scopes.filter((s) => !['enqueue', 'read', 'ops'].includes(s));
      if (scopes.length === 0 || unknown.length > 0) fail(`--scopes: unknown scope(s) ${unknown.join(', ')} (use enqueue, read, ops)`, 2);
      const value = `ntk_${randomBytes(32).toString('base64url')}`;
      const entry = { name: options.name, sha256: hashToken(value), scopes };
      if (options.json) return printJson({ token: value, configEntry: entry });
      process.stdout.write(
        `token (shown once; store it in your producer's secret store):\n  ${value}\n\n` +
          `add to security.tokens in the config:\n  ${JSON.stringify(entry)}\n`,
      );
    });
}
