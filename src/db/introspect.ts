// Read-only schema introspection that works on MySQL/MariaDB (information_schema) and SQLite (pragmas).
import type { Knex } from 'knex'
import { dialectOf } from './connection.js'

export interface IndexInfo {
  name: string
  unique: boolean
  columns: string[]
}

export interface ColumnInfo {
  name: string
  type: string // lowercased declared type, e.g. 'char(32)'
  nullable: boolean
}

function rowsOf(result: unknown): Array<Record<string, unknown>> {
  // knex.raw returns [rows, fields] on mysql2 and rows on better-sqlite3.
  if (Array.isArray(result) && Array.isArray(result[0])) return result[0] as Array<Record<string, unknown>>
  return result as Array<Record<string, unknown>>
}

export async function rawRows(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return rowsOf(await knex.raw(sql, bindings as Knex.RawBinding[]))
}

/** The schema (database) name on MySQL; 'main' on SQLite. */
export async function schemaName(knex: Knex): Promise<string> {
  if (dialectOf(knex) === 'sqlite') return 'main'
  const rows = await rawRows(knex, 'SELECT DATABASE() AS db')
  return String(rows[0].db)
}

export async function listTables(knex: Knex): Promise<string[]> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = await rawRows(knex, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return rows.map((r) => String(r.name))
  }
  const rows = await rawRows(knex,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
  return rows.map((r) => String(r.name))
}

export async function hasTable(knex: Knex, table: string): Promise<boolean> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = await rawRows(knex, "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    return rows.length > 0
  }
  const rows = await rawRows(knex,
    'SELECT 1 AS x FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])
  return rows.length > 0
}

export async function listColumns(knex: Knex, table: string): Promise<ColumnInfo[]> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = await rawRows(knex, `PRAGMA table_info(${quoteSqlite(table)})`)
    return rows.map((r) => ({ name: String(r.name), type: String(r.type).toLowerCase(), nullable: Number(r.notnull) === 0 && Number(r.pk) === 0 }))
  }
  const rows = await rawRows(knex,
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [table])
  return rows.map((r) => ({ name: String(r.name), type: String(r.type).toLowerCase(), nullable: r.nullable === 'YES' }))
}

export async function listIndexes(knex: Knex, table: string): Promise<IndexInfo[]> {
  if (dialectOf(knex) === 'sqlite') {
    const list = await rawRows(knex, `PRAGMA index_list(${quoteSqlite(table)})`)
    const out: IndexInfo[] = []
    for (const idx of list) {
      const cols = await rawRows(knex, `PRAGMA index_info(${quoteSqlite(String(idx.name))})`)
      out.push({
        name: String(idx.name),
        unique: Number(idx.unique) === 1,
        columns: cols.sort((a, b) => Number(a.seqno) - Number(b.seqno)).map((x) => (x.name === null ? '<expr>' : String(x.name))),
      })
    }
    return out
  }
  const rows = await rawRows(knex,
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, SEQ_IN_INDEX AS seq, COLUMN_NAME AS col
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [table])
  const map = new Map<string, IndexInfo>()
  for (const r of rows) {
    const name = String(r.name)
    let e = map.get(name)
    if (!e) {
      e = { name, unique: Number(r.non_unique) === 0, columns: [] }
      map.set(name, e)
    }
    e.columns.push(r.col === null ? '<expr>' : String(r.col))
  }
  return [...map.values()]
}

export interface ForeignKeyInfo {
  name: string
  column: string
  refTable: string
  refColumn: string
  onDelete: string
}

export async function listForeignKeys(knex: Knex, table: string): Promise<ForeignKeyInfo[]> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = await rawRows(knex, `PRAGMA foreign_key_list(${quoteSqlite(table)})`)
    return rows.map((r) => ({
      name: `fk_${table}_${String(r.from)}`, column: String(r.from), refTable: String(r.table),
      refColumn: String(r.to), onDelete: String(r.on_delete),
    }))
  }
  const rows = await rawRows(knex,
    `SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS ref_table,
            k.REFERENCED_COLUMN_NAME AS ref_col, r.DELETE_RULE AS on_delete
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.CONSTRAINT_NAME`, [table])
  return rows.map((r) => ({
    name: String(r.name), column: String(r.col), refTable: String(r.ref_table), refColumn: String(r.ref_col), onDelete: String(r.on_delete),
  }))
}

export async function listTriggers(knex: Knex, table?: string): Promise<string[]> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = table
      ? await rawRows(knex, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", [table])
      : await rawRows(knex, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    return rows.map((r) => String(r.name))
  }
  const rows = table
    ? await rawRows(knex, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? ORDER BY TRIGGER_NAME', [table])
    : await rawRows(knex, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME')
  return rows.map((r) => String(r.name))
}

export async function serverVersion(knex: Knex): Promise<string> {
  if (dialectOf(knex) === 'sqlite') {
    const rows = await rawRows(knex, 'SELECT sqlite_version() AS v')
    return `SQLite ${String(rows[0].v)}`
  }
  const rows = await rawRows(knex, 'SELECT VERSION() AS v')
  return String(rows[0].v)
}

export async function isMariaDb(knex: Knex): Promise<boolean> {
  return dialectOf(knex) === 'mysql' && /mariadb/i.test(await serverVersion(knex))
}

/** MySQL ≥ 8.0.13 (not MariaDB) supports functional key parts. */
export async function supportsFunctionalIndexes(knex: Knex): Promise<boolean> {
  if (dialectOf(knex) !== 'mysql') return false
  const v = await serverVersion(knex)
  if (/mariadb/i.test(v)) return false
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v)
  if (!m) return false
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return maj > 8 || (maj === 8 && (min > 0 || patch >= 13))
}

export function quoteSqlite(id: string): string {
  return `"${id.replace(/"/g, '""')}"`
}

export function quoteMysql(id: string): string {
  return `\`${id.replace(/`/g, '``')}\``
}

/**
 * A database made by the original Django backend: its user table exists and its migration ledger
 * has `authentication` rows. (A database this service created also has such a ledger, but it also
 * has knex's history, so it never reaches the adoption path.)
 */
export async function isDjangoDatabase(knex: Knex): Promise<boolean> {
  if (!(await hasTable(knex, 'authentication_userprofile')) || !(await hasTable(knex, 'django_migrations'))) return false
  const rows = await rawRows(knex, "SELECT COUNT(*) AS n FROM django_migrations WHERE app = 'authentication'")
  return Number(rows[0].n) > 0
}
