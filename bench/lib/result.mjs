import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { summary } from './stats.mjs';

/**
 * One benchmark's figures: metrics (one value per repetition), targets judged
 * on a metric's median, and notes. Serialised into bench/results/latest.json.
 */
export class Result {
  constructor(name, title) {
    this.name = name;
    this.title = title;
    this.params = {};
    this.metrics = [];
    this.targets = [];
    this.notes = [];
    this.startedAt = new Date().toISOString();
  }

  metric(key, label, unit, values, extra = {}) {
    const clean = values.map((v) => (Number.isFinite(v) ? v : NaN));
    this.metrics.push({ key, label, unit, values: clean, ...summary(clean), ...extra });
    return this;
  }

  /** Per-repetition ratio a/b (same repetition index), e.g. notifyd / baseline. */
  ratio(key, label, a, b, extra = {}) {
    return this.metric(key, label, '×', a.map((v, i) => v / b[i]), extra);
  }

  /** `op` is '>=' or '<='; judged on the metric's median. */
  target(metricKey, text, op, threshold) {
    const m = this.metrics.find((x) => x.key === metricKey);
    const value = m ? m.median : NaN;
    const met = op === '>=' ? value >= threshold : value <= threshold;
    this.targets.push({ metric: metricKey, text, op, threshold, value, met });
    return this;
  }

  note(text) {
    this.notes.push(text);
    return this;
  }
}

/** Runs `main({quick, log, args})` when the module is the entry point; writes the Result to --out (or prints it). */
export async function runIfMain(metaUrl, main) {
  if (metaUrl !== pathToFileURL(process.argv[1]).href) return;
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? args[outIndex + 1] : null;
  const quick = args.includes('--quick');
  const log = (line) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  let result;
  try {
    result = await main({ quick, log, args });
  } catch (error) {
    log(`benchmark failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
    return;
  }
  result.durationMs = Math.round(performance.now() - started);
  result.quick = quick;
  const json = JSON.stringify(result, null, 2);
  if (out) writeFileSync(out, json);
  else process.stdout.write(`${json}\n`);
}
