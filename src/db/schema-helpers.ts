// Guarded, additive schema changes for migrations: create an index only when nothing equivalent exists.
import type { Knex } from 'knex'
import { dialectOf } from './connection.js'
import { hasTable, listIndexes, quoteMysql as qm, quoteSqlite as qs, rawRows } from './introspect.js'
import { noteMigrationInfo } from './migration-notes.js'

export interface IndexSpec {
  table: string
  name: string
  columns: string[]
  unique?: boolean
  /** MySQL prefix lengths for text columns, e.g. { session_key: 191 } (longtext cannot be indexed whole). */
  prefix?: Record<string, number>
}

/**
 * Create the index unless the table is missing, an index of that name exists, or an index on exactly
 * the same columns exists (a unique one when a unique index is wanted). Returns true when created.
 */
export async function ensureIndex(knex: Knex, spec: IndexSpec): Promise<boolean> {
  if (!(await hasTable(knex, spec.table))) return false
  const existing = await listIndexes(knex, spec.table)
  if (existing.some((i) => i.name.toLowerCase() === spec.name.toLowerCase())) return false
  const same = (cols: string[]) => cols.length === spec.columns.length && cols.every((c, i) => c.toLowerCase() === spec.columns[i].toLowerCase())
  if (existing.some((i) => same(i.columns) && (!spec.unique || i.unique))) return false

  const dialect = dialectOf(knex)
  if (dialect === 'sqlite') {
    // Index names are global in SQLite.
    const clash = await rawRows(knex, "SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = ?", [spec.name])
    const name = clash.length ? `${spec.table}__${spec.name}` : spec.name
    await knex.raw(`CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${qs(name)} ON ${qs(spec.table)} (${spec.columns.map(qs).join(', ')})`)
  } else {
    const cols = spec.columns.map((c) => (spec.prefix?.[c] ? `${qm(c)}(${spec.prefix[c]})` : qm(c))).join(', ')
    await knex.raw(`ALTER TABLE ${qm(spec.table)} ADD ${spec.unique ? 'UNIQUE ' : ''}INDEX ${qm(spec.name)} (${cols})`)
  }
  noteMigrationInfo(`created index ${spec.name} on ${spec.table}`, { table: spec.table, index: spec.name, columns: spec.columns })
  return true
}
