import { defineConfig } from 'drizzle-kit';

// `npm run migrations:generate` writes the SQL for src/ledger/schema.ts into migrations/ (committed).
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/ledger/schema.ts',
  out: './migrations',
});
