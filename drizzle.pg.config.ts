import { defineConfig } from 'drizzle-kit'

/** PostgreSQL migrations (`npm run db:generate:pg`); the SQLite ones stay in `migrations/`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/store/pg/schema.ts',
  out: './migrations/pg',
})
