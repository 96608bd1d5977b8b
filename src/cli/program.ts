import { Command } from 'commander';
import { registerClientCommands } from './commands/client-commands.js';
import { registerLocalCommands } from './commands/local-commands.js';
import { registerOpsCommands } from './commands/ops-commands.js';
import { registerStartCommand } from './commands/start.js';
import { registerVerifyCommand } from './commands/verify.js';

/** `notifyd` — the command-line program. Commands are thin callers of the API or the daemon. */
export function buildProgram(): Command {
  const program = new Command('notifyd')
    .description(
      'notifyd: durable webhook/callback delivery. It stores each notification, POSTs it, and retries on an escalating schedule (Alipay-style) until the receiver answers "success"; dead letters can be listed and replayed.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });
  registerStartCommand(program);
  registerClientCommands(program);
  registerOpsCommands(program);
  registerLocalCommands(program);
  registerVerifyCommand(program);
  program.addHelpText(
    'after',
    `
Examples:
  notifyd start                                   # API on 127.0.0.1:8080, ledger ./notifyd.db, inline delivery
  notifyd start -c notifyd.json --role api         # ledger node of a BullMQ deployment
  notifyd enqueue --url https://shop.example/notify --body '{"order":"42"}' --key order-42
  notifyd status ntf_0196...                       # one notification with its attempt history
  notifyd dlq list                                 # the dead-letter queue
  notifyd dlq replay --all --since 2h              # replay what died in the last two hours (progress bar on a terminal)
  notifyd dlq export --format csv -o dlq.csv       # the dead letters, for a spreadsheet
  notifyd stats                                    # pending, in flight, delivered and dead (last hour too)

Client commands read NOTIFYD_SERVER (default http://127.0.0.1:8080) and NOTIFYD_TOKEN.`,
  );
  return program;
}
