import type { Redis } from 'ioredis';

/**
 * Lets a client be closed while Redis is down. Without this, BullMQ's
 * `Worker.close()` / `Queue.close()` hang for as long as Redis stays down:
 * - ioredis's `disconnect()` between two reconnect attempts cancels the next
 *   attempt but never reaches the 'end' status, and BullMQ waits for 'end';
 * - `quit()` on a client with an offline queue waits for a reconnect that
 *   may never come.
 * A graceful shutdown with Redis gone must still end (systemd would
 * otherwise SIGKILL it), so: `quit()` only when connected, else disconnect;
 * and a disconnect that strands the client ends it the way ioredis's own
 * close handler does.
 */
export function closableWhileDown(client: Redis): Redis {
  const internals = client as unknown as {
    manuallyClosing: boolean;
    setStatus(status: string): void;
    flushQueue(error: Error): void;
  };
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    const stranded = !reconnect && client.status === 'reconnecting';
    disconnect(reconnect);
    if (stranded) {
      internals.manuallyClosing = false;
      internals.setStatus('end');
      internals.flushQueue(new Error('Connection is closed.'));
    }
  };
  const quit = client.quit.bind(client);
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    if (client.status === 'ready') return quit(...args);
    client.disconnect();
    return Promise.resolve('OK');
  }) as Redis['quit'];
  return client;
}
