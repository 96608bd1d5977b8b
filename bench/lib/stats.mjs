/** Small statistics helpers: every figure is reported as min / median / max over the repetitions. */

export function sorted(values) {
  return Float64Array.from(values).sort();
}

/** Nearest-rank percentile of an already sorted array (p in 0..100). */
export function percentileOf(sortedValues, p) {
  if (sortedValues.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sortedValues.length);
  return sortedValues[Math.min(sortedValues.length - 1, Math.max(0, rank - 1))];
}

export function percentiles(values, ps = [50, 90, 99]) {
  const s = sorted(values);
  return Object.fromEntries(ps.map((p) => [`p${p}`, percentileOf(s, p)]));
}

export function median(values) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summary(values) {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** 12345.6 → "12,346"; 1.234 → "1.23"; small values keep two significant decimals. */
export function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (digits !== undefined) return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fns` (an object of label → async fn returning a number) `reps` times, alternating and swapping the order each repetition. */
export async function alternate(reps, fns, log = () => {}) {
  const labels = Object.keys(fns);
  const values = Object.fromEntries(labels.map((l) => [l, []]));
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? labels : [...labels].reverse();
    for (const label of order) {
      const value = await fns[label](r);
      values[label].push(value);
      log(`  rep ${r + 1}/${reps} ${label}: ${typeof value === 'number' ? fmt(value) : JSON.stringify(value)}`);
    }
  }
  return values;
}
