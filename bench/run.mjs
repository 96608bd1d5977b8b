// npm run bench [-- NAME…] [--quick]
// Runs the benchmarks (each in a process of its own, one after another), then
// writes bench/results/latest.json and bench/results/latest.md. Naming
// benchmarks runs only those and merges them into the latest results. A
// --quick smoke run (reduced sizes) writes to the OS temp dir instead, so it
// never replaces the full-size figures.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './lib/stats.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(BENCH, 'results');
/** Run order: cheap and short first. scale-out belongs to the bullmq executor and runs when present. */
const ORDER = ['enqueue', 'got-configs', 'deliver', 'latency', 'timing', 'isolation', 'scale', 'peer', 'scale-out'];
const TIME_LIMIT_MS = 20 * 60_000;

function available() {
  const files = new Set(readdirSync(BENCH).filter((f) => f.endsWith('.mjs')));
  return ORDER.filter((name) => files.has(`${name}.mjs`));
}

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd: BENCH, encoding: 'utf8' }).trim() !== '';
    if (dirty) commit += ' (src modified)';
  } catch {
    // not a git checkout
  }
  return { nproc, cpuModel: model, node: process.version, memoryGB: Math.round(totalmem() / 2 ** 30), commit };
}

function runOne(name, quick) {
  const out = join(tmpdir(), `notifyd-bench-${process.pid}-${name}.json`);
  rmSync(out, { force: true });
  const args = [join(BENCH, `${name}.mjs`), '--out', out, ...(quick ? ['--quick'] : [])];
  const load = loadavg()[0];
  const started = performance.now();
  process.stderr.write(`\n▶ ${name}${quick ? ' (quick)' : ''}  [load average ${load.toFixed(2)}]\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code === 0 && existsSync(out)) {
        const result = JSON.parse(readFileSync(out, 'utf8'));
        rmSync(out, { force: true });
        result.loadAverageAtStart = load;
        process.stderr.write(`✔ ${name} in ${fmt(seconds)} s\n`);
        resolve(result);
      } else {
        process.stderr.write(`✘ ${name} failed (${code ?? signal}) after ${fmt(seconds)} s\n`);
        resolve({ name, failed: true, error: `exit ${code ?? signal}`, startedAt: new Date().toISOString() });
      }
    });
  });
}

function fmtValue(value, unit) {
  if (unit === '×') return `${fmt(value, 2)}×`;
  if (unit === '%') return `${fmt(value, 2)} %`;
  return `${fmt(value)} ${unit}`;
}

export function markdown(report) {
  const m = report.machine;
  const lines = [];
  lines.push(`Measured ${report.finishedAt.slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} × ${m.cpuModel}, ${m.memoryGB} GB, Node ${m.node}${m.commit ? `, commit ${m.commit}` : ''}.`);
  lines.push(`Command: \`${report.command}\`${report.quick ? ' (quick smoke run: reduced sizes, not the reported figures)' : ''}.`);
  lines.push('');
  lines.push('| benchmark | target | median (min – max) | |');
  lines.push('| --- | --- | --- | --- |');
  for (const r of report.results) {
    if (r.failed) continue;
    for (const t of r.targets) {
      const metric = r.metrics.find((x) => x.key === t.metric);
      const range = metric && metric.values.length > 1 ? ` (${fmtValue(metric.min, metric.unit)} – ${fmtValue(metric.max, metric.unit)})` : '';
      lines.push(`| ${r.name} | ${t.text} | ${metric ? fmtValue(metric.median, metric.unit) : '—'}${range} | ${t.met ? '✔ met' : '✘ not met'} |`);
    }
  }
  lines.push('');
  lines.push('| benchmark | measure | min | median | max | target | |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const r of report.results) {
    if (r.failed) {
      lines.push(`| ${r.name} | **failed** (${r.error}) | | | | | ✘ |`);
      continue;
    }
    for (const metric of r.metrics) {
      const target = r.targets.find((t) => t.metric === metric.key);
      const single = metric.values.length === 1;
      lines.push(
        `| ${r.name} | ${metric.label} | ${single ? '' : fmtValue(metric.min, metric.unit)} | ${fmtValue(metric.median, metric.unit)} | ${single ? '' : fmtValue(metric.max, metric.unit)} | ${target ? target.text : ''} | ${target ? (target.met ? '✔ met' : '✘ not met') : ''} |`,
      );
    }
  }
  lines.push('');
  for (const r of report.results) {
    if (r.failed) continue;
    const when = r.startedAt ? ` (run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${fmt(r.durationMs / 1000)} s, load average at start ${fmt(r.loadAverageAtStart ?? NaN, 2)})` : '';
    lines.push(`- **${r.name}**${when}: ${r.title}. ${r.notes.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const all = available();
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
    process.exit(2);
  }
  try {
    await import('../dist/daemon.js');
  } catch (error) {
    console.error(`cannot load dist/daemon.js (${error.message}): run \`npm run build\` first`);
    process.exit(2);
  }
  const selected = names.length > 0 ? all.filter((n) => names.includes(n)) : all;
  const started = Date.now();
  const results = [];
  for (const name of selected) results.push(await runOne(name, quick));

  const dir = quick ? join(tmpdir(), 'notifyd-bench-quick') : RESULTS;
  mkdirSync(dir, { recursive: true });
  const base = quick ? 'quick' : 'latest';
  const jsonPath = join(dir, `${base}.json`);
  // A partial run replaces its benchmarks in the previous results and keeps the rest.
  let previous = [];
  if (names.length > 0 && existsSync(jsonPath)) {
    try {
      previous = JSON.parse(readFileSync(jsonPath, 'utf8')).results ?? [];
    } catch {
      previous = [];
    }
  }
  const merged = all
    .map((name) => results.find((r) => r.name === name) ?? previous.find((r) => r.name === name))
    .filter(Boolean);
  const report = {
    machine: machine(),
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    quick,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    results: merged,
  };
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), markdown(report));
  process.stderr.write(`\n${markdown({ ...report, results })}\nwrote ${jsonPath} and ${base}.md in ${fmt((Date.now() - started) / 1000)} s\n`);
  const missed = results.flatMap((r) => (r.failed ? [`${r.name}: failed`] : r.targets.filter((t) => !t.met).map((t) => `${r.name}: ${t.text}`)));
  if (missed.length > 0) process.stderr.write(`targets not met: ${missed.join('; ')}\n`);
  if (results.some((r) => r.failed)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
