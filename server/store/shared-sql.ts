import { and, eq, inArray, lt, sql, type Column, type SQL } from 'drizzle-orm'
import type { LogStore } from './contract.ts'

/*
 * SQL that both dialects build alike: drizzle renders it from either dialect's columns, and
 * SQLite and PostgreSQL read it the same way.
 */

/**
 * The WHERE of an audit page, the same for both dialects (drizzle builds it from either
 * dialect's `audit_log` columns): by flag, by environment (or a set of them), by actor, and before the previous page's last id.
 */
export function auditWhere(
  columns: { flagKey: Column; envKey: Column; id: Column; actor: Column },
  filter: Parameters<LogStore['audit']>[0],
): SQL | undefined {
  const where: SQL[] = []
  if (filter.flag) where.push(eq(columns.flagKey, filter.flag))
  if (filter.env) where.push(eq(columns.envKey, filter.env))
  // An empty list matches nothing (inArray of none is false in drizzle).
  if (filter.envs) where.push(inArray(columns.envKey, [...filter.envs]))
  if (filter.actor) where.push(eq(columns.actor, filter.actor))
  if (filter.before) where.push(lt(columns.id, filter.before))
  return and(...where)
}

/**
 * The upsert's SET that adds an inserted minute counter (`excluded`) to the stored one
 * (PostgreSQL; SQLite's metrics store writes the same SET in its prepared statement).
 */
export function addExcludedCount(columns: { count: Column }) {
  return { count: sql`${columns.count} + excluded.count` }
}
