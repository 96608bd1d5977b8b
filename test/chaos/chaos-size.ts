/**
 * How big a chaos run is. `npm test` runs the short size (each scenario in
 * well under a minute); `npm run chaos` sets NOTIFYD_CHAOS=full, the sizes the
 * README's Reliability table reports.
 */
export const FULL = process.env.NOTIFYD_CHAOS === 'full';

export function size<T>(short: T, full: T): T {
  return FULL ? full : short;
}

/** The seed of a run's random choices: NOTIFYD_CHAOS_SEED reproduces a run, otherwise one is drawn and printed. */
export function chaosSeed(): number {
  const given = process.env.NOTIFYD_CHAOS_SEED;
  return given !== undefined ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
