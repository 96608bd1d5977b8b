import { InvalidArgumentError, Option, type Command } from 'commander';

/** Option parsers and option sets shared by several commands. */
export function parseInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

/** --server, --token and --json, shared by every command that talks to a running daemon. */
export function withClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', 'daemon base URL').env('NOTIFYD_SERVER').default('http://127.0.0.1:8080'))
    .addOption(new Option('--token <token>', 'API bearer token').env('NOTIFYD_TOKEN'))
    .option('--json', 'print JSON for scripts');
}
