import type { Command } from 'commander';
import { ApiError, NotifydClient } from './client.js';
import { fail } from './output.js';

/** The flags every command that talks to a running daemon takes (see withClientOptions). */
export interface ClientFlags {
  server: string;
  token?: string;
  json?: boolean;
}

/**
 * Wraps a client command's action: builds the API client from the flags, and
 * turns an API error into one line on stderr and a non-zero exit (3: the
 * daemon was unreachable, so scripts can tell "down" from "refused").
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes positional arguments untyped
export function runClientCommand<T extends ClientFlags>(action: (client: NotifydClient, flags: T, ...args: any[]) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const flags = command.optsWithGlobals() as T;
    try {
      await action(new NotifydClient({ server: flags.server, token: flags.token }), flags, ...args.slice(0, -2));
    } catch (error) {
      if (error instanceof ApiError) fail(`${error.code}: ${error.message}`, error.status === 0 ? 3 : 1);
      fail((error as Error).message);
    }
  };
}
