import { and, eq, lt, type Column, type SQL } from 'drizzle-orm'
import type { LogStore } from './contract.ts'

/**
 * The WHERE of an audit page, the same for both dialects (drizzle builds it from either
 * dialect's `audit_log` columns): by flag, by environment, and before the previous page's last id.
 */
export function auditWhere(
  columns: { flagKey: Column; envKey: Column; id: Column },
  filter: Parameters<LogStore['audit']>[0],
): SQL | undefined {
  const where: SQL[] = []
  if (filter.flag) where.push(eq(columns.flagKey, filter.flag))
  if (filter.env) where.push(eq(columns.envKey, filter.env))
  if (filter.before) where.push(lt(columns.id, filter.before))
  return and(...where)
}
