/**
 * The command line of the side-by-side enqueue tools (enqueue-ab,
 * enqueue-threads): positional numbers, and `--rate N` for a fixed load of N
 * requests per second instead of as many as each daemon takes.
 */
export function rateAndPositional(argv = process.argv.slice(2)) {
  const flag = argv.indexOf('--rate');
  const rate = flag >= 0 ? Number(argv[flag + 1]) : undefined;
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate takes requests per second, e.g. --rate 8000');
  const positional = argv.filter((arg, i) => arg !== '--rate' && argv[i - 1] !== '--rate');
  return { rate, positional };
}
