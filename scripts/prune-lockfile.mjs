// The npm registry reachable here lacks msgpackr-extract's macOS, Windows and
// 32-bit ARM binaries (optional dependencies of BullMQ's msgpackr), so
// `npm install` leaves them out of package-lock.json while still listing them
// as edges — and `npm ci` then refuses the lock ("Missing: … from lock file").
// This drops the edges to packages the lock does not hold. Run it after any
// `npm install` that rewrites the lock: `npm run lockfile:prune`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let pruned = 0;
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  const optional = entry.optionalDependencies;
  if (!optional || where === '') continue;
  for (const name of Object.keys(optional)) {
    const nested = `${where}/node_modules/${name}`;
    if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) {
      delete optional[name];
      pruned += 1;
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: pruned ${pruned} optional edge(s) to packages not in the lock`);
