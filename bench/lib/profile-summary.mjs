// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by
// package/module, so a benchmark's cost can be stated precisely.
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [topN]
import { readFileSync } from 'node:fs';

export function summariseProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = dt.reduce((a, b) => a + b, 0);
  const fn = new Map();
  const mod = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const where = moduleOf(cf.url);
    const key = `${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const m = cf.url ? where : cf.functionName; // (idle), (garbage collector), (program)
    mod.set(m, (mod.get(m) ?? 0) + us);
  }
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ what: k, ms: us / 1000, pct: (100 * us) / total }));
  return { totalMs: total / 1000, functions: rows(fn), modules: rows(mod) };
}

function moduleOf(url) {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return path;
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return `notifyd:${path.slice(dist + 6)}`;
  return path.split('/').slice(-2).join('/');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summariseProfile(process.argv[2], Number(process.argv[3] ?? 30));
  console.log(`total ${s.totalMs.toFixed(0)} ms`);
  console.log('\nby module (self):');
  for (const r of s.modules) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.what}`);
  console.log('\nby function (self):');
  for (const r of s.functions) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.what}`);
}
