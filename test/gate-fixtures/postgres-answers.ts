import pg from 'pg'
import { expect, inject, it } from 'vitest'

// Shared by every gate fixture folder's postgres.pg.test.ts (run only by test/gate/gate.test.ts):
// the run's throwaway PostgreSQL starts and stops around it, so whatever its start and stop do
// to the exit code is part of the gate's check.
it('gate fixture: the throwaway PostgreSQL answers', async () => {
  const client = new pg.Client({ connectionString: inject('postgresUrl') })
  await client.connect()
  try {
    const { rows } = await client.query<{ answer: number }>('select 41 + 1 as answer')
    expect(rows[0]?.answer).toBe(42)
  } finally {
    await client.end()
  }
})
