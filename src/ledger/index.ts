export { openSqliteNotificationStore, type LedgerOptions } from './open-ledger.js';
export { migrateLedger } from './migrate.js';
export { newNotificationId } from './notification-id.js';
export {
  SqliteNotificationStore,
  MAX_PAGE_SIZE,
  DEFAULT_BULK_REPLAY_LIMIT,
  MAX_BULK_REPLAY_LIMIT,
} from './sqlite-notification-store.js';
export type { GroupCommitStats } from './group-commit.js';
export type { SynchronousMode } from './database.js';
export type { LedgerWriter } from './ledger-writer.js';
