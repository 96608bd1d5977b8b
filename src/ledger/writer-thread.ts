/**
 * The ledger's writer thread: its own connection to the ledger file, running
 * the writes the store sends by name through a group committer. SQLite's
 * statements, commits and fsyncs cost the store's event loop nothing: it only
 * posts the writes and settles their promises when the replies come back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, type SqliteDatabase } from './database.js';
import { InlineLedgerWriter } from './ledger-writer.js';
import { prepareLedgerStatements } from './statements.js';
import type { WriterThreadOptions } from './thread-ledger-writer.js';
import { addDone, addFailed, forEachWrite, hasReplies, noReplies, toWireError, type FromWriter, type ToWriter } from './writer-wire.js';

const port = parentPort;
if (port === null) throw new Error('writer-thread runs as a worker thread');
const options = workerData as WriterThreadOptions;

let db: SqliteDatabase | null = null;
let writer: InlineLedgerWriter | null = null;
try {
  db = openDatabase(options);
  writer = new InlineLedgerWriter(db, prepareLedgerStatements(db), options);
} catch (error) {
  db?.close();
  db = null;
  post({ kind: 'failed', error: toWireError(error) });
  port.close(); // the thread ends; the store fails what it sent and starts another on the next write
}

let replies = noReplies();

function post(message: FromWriter): void {
  port!.postMessage(message);
}

// A batch's promises all settle in one microtask run after its COMMIT: the
// first reply queues one flush (FIFO, after them) that sends them all back in
// a single message.
function reply(add: () => void): void {
  if (!hasReplies(replies)) queueMicrotask(flushReplies);
  add();
}

function flushReplies(): void {
  if (!hasReplies(replies) || writer === null) return;
  const message: FromWriter = { kind: 'replies', stats: { ...writer.stats }, ...replies };
  replies = noReplies();
  post(message);
}

port.on('message', (message: ToWriter) => {
  if (writer === null) return; // opening failed, and the store was told
  if (message.kind === 'writes') {
    const open = writer;
    forEachWrite(message.writes, (seq, op, args) => {
      open.run(op, args as never).then(
        (value) => reply(() => addDone(replies, seq, value)),
        (error: unknown) => reply(() => addFailed(replies, seq, toWireError(error))),
      );
    });
    return;
  }
  void close(writer);
});

async function close(open: InlineLedgerWriter): Promise<void> {
  await open.close(); // commits what is queued; its promises settle before this resumes
  flushReplies();
  const stats = { ...open.stats };
  writer = null;
  db?.close();
  post({ kind: 'closed', stats });
  port!.close();
}
