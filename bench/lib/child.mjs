import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * A Node child process speaking JSON over IPC: the system under test runs in
 * its own process, so its CPU and memory are its own and the driver (load
 * generator, receiver) does not share its event loop.
 */
export class Child {
  constructor(script, { args = [], env = {}, execArgv = [], silent = true } = {}) {
    this.proc = fork(script, args, {
      env: { ...process.env, ...env },
      execArgv,
      stdio: silent ? ['ignore', 'ignore', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.proc.on('message', (msg) => {
      if (msg && msg.replyTo !== undefined && this.pending.has(msg.replyTo)) {
        const { resolve, reject } = this.pending.get(msg.replyTo);
        this.pending.delete(msg.replyTo);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg.value);
        return;
      }
      for (const listener of [...this.listeners]) listener(msg);
    });
    this.exited.then(({ code, signal }) => {
      for (const { reject } of this.pending.values()) reject(new Error(`child ${script} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid() {
    return this.proc.pid;
  }

  /** Resolves with the first message whose `type` is `type`. */
  waitFor(type, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`child: no "${type}" message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (msg) => {
        if (msg?.type === 'error') {
          clearTimeout(timer);
          this.listeners.delete(listener);
          reject(new Error(`child failed: ${msg.message}`));
        } else if (msg?.type === type) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(msg);
        }
      };
      this.listeners.add(listener);
      this.exited.then(({ code, signal }) => {
        if (!this.listeners.has(listener)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        reject(new Error(`child exited (${code ?? signal}) before "${type}"`));
      });
    });
  }

  on(type, fn) {
    const listener = (msg) => msg?.type === type && fn(msg);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  request(cmd, payload = {}, timeoutMs = 120_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`child: "${cmd}" not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.proc.send({ cmd, id, ...payload });
    });
  }

  /** Asks the child to close; kills it (its own pid) if it does not exit in time. */
  async stop(timeoutMs = 20_000) {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    try {
      this.proc.send({ cmd: 'close', id: 0 });
    } catch {
      // IPC already gone
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** CPU seconds (user + system: all threads, and the event loop's alone) and RSS bytes, read from /proc. */
  usage() {
    return procUsage(this.pid);
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds of the whole process (all threads) and of its main thread (the
 * event loop: its task id is the pid), RSS and peak RSS.
 */
export function procUsage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return {
    cpuSeconds: cpuSecondsOf(`/proc/${pid}/stat`),
    eventLoopCpuSeconds: cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`),
    rssBytes: kb('VmRSS') * 1024,
    hwmBytes: kb('VmHWM') * 1024,
  };
}

function cpuSecondsOf(statFile) {
  const { user, system } = cpuTimesOf(statFile);
  return user + system;
}

/** User and kernel CPU seconds from a /proc …/stat file. */
function cpuTimesOf(statFile) {
  const stat = readFileSync(statFile, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * CPU seconds (user, system) and voluntary context switches (the times a
 * thread went to sleep), of the event loop (the main thread) and of all the
 * other threads together (a writer thread, V8's and libuv's helpers).
 */
export function threadUsage(pid) {
  const usage = { eventLoop: { user: 0, system: 0, sleeps: 0 }, others: { user: 0, system: 0, sleeps: 0 } };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let times, status;
    try {
      times = cpuTimesOf(`/proc/${pid}/task/${tid}/stat`);
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const into = tid === String(pid) ? usage.eventLoop : usage.others;
    into.user += times.user;
    into.system += times.system;
    into.sleeps += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return usage;
}

/** The child side: answers requests from the parent with `handlers[cmd](payload)`. */
export function serveParent(handlers) {
  process.on('message', async (msg) => {
    if (!msg || typeof msg.cmd !== 'string') return;
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const value = await handler(msg);
      if (msg.id) process.send?.({ replyTo: msg.id, value: value ?? null });
    } catch (error) {
      if (msg.id) process.send?.({ replyTo: msg.id, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
