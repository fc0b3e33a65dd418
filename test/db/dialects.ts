// Run a db test body on a fresh SQLite file and, when the server is reachable, a fresh MariaDB database.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { createMysqlDb, mysqlUnavailable } from './mysql-helpers.js'

export interface FreshDb {
  dialect: 'sqlite' | 'mysql'
  url: string
}

export async function forEachDialect(t: Test, body: (t: Test, db: FreshDb) => Promise<void>): Promise<void> {
  await t.test('sqlite', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'enl-db-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    await body(t, { dialect: 'sqlite', url: `sqlite:${join(dir, 'db.sqlite3')}` })
  })
  const why = await mysqlUnavailable()
  await t.test('mariadb', { skip: why ?? false }, async (t) => {
    const db = await createMysqlDb()
    t.teardown(() => db.drop())
    await body(t, { dialect: 'mysql', url: db.url })
  })
}

export const silentLog = {
  info: () => {},
  warn: () => {},
}

/** A logger that remembers what it was told. */
export function recordingLog() {
  const lines: Array<{ level: 'info' | 'warn'; msg?: string; obj: unknown }> = []
  return {
    lines,
    info: (obj: unknown, msg?: string) => { lines.push({ level: 'info', msg, obj }) },
    warn: (obj: unknown, msg?: string) => { lines.push({ level: 'warn', msg, obj }) },
  }
}
