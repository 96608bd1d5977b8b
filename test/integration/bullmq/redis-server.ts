import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../helpers/free-port.js';

/**
 * A private `redis-server` for tests that kill, flush or restart Redis (the
 * machine's shared Redis on 6379 is never touched that way). No persistence:
 * a restart comes back empty, the worst case notifyd must survive.
 */
export class RedisServer {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  /** Starts on `port`, or on a free one. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.launch();
    return server;
  }

  /** A port with nothing listening (for "Redis unreachable at start"). */
  static freePort(): Promise<number> {
    return freePort();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGKILL: Redis dies as a crashed server does, without saving anything. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Killed and started again, empty, on the same port. */
  async restartEmpty(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  /** Starts the server (again) on this instance's port. */
  async launch(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} did not start:\n${output}`)), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on ${this.port} exited with ${code}:\n${output}`));
      });
    });
  }
}
