// A writer thread whose first incarnation dies on the first writes it gets
// (as a thread would on a bug or out of memory); the next one, started after
// it, is the real writer thread from the build. workerData.diedMarker says
// which incarnation this is.
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

if (existsSync(workerData.diedMarker)) {
  await import(new URL('../../dist/ledger/writer-thread.js', import.meta.url).href);
} else {
  parentPort.once('message', () => {
    writeFileSync(workerData.diedMarker, 'died');
    throw new Error('writer thread fault injected by the test');
  });
}
