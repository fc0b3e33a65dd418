// A fresh, migrated database per test file: a temp SQLite file, or a new MariaDB database when
// DATABASE_URL names a MySQL server (the suite then runs against MySQL, each file isolated).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { createKnex } from '../../src/db/connection.js'
import { migrateToLatest } from '../../src/db/migrate.js'

export interface TestDatabase {
  url: string
  knex: Knex
  destroy(): Promise<void>
}

const silentLog = { info() {}, warn() {}, error() {}, debug() {} }

export function isMysqlRun(): boolean {
  return (process.env.DATABASE_URL ?? '').startsWith('mysql://')
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const db = isMysqlRun() ? await freshMysqlDatabase(process.env.DATABASE_URL!) : freshSqliteFile()
  const knex = createKnex(db.url)
  if (options.migrate !== false) await migrateToLatest(knex, silentLog as any)
  return {
    url: db.url,
    knex,
    async destroy() {
      await knex.destroy()
      await db.drop()
    },
  }
}

function freshSqliteFile() {
  const dir = mkdtempSync(join(tmpdir(), 'enlaight-test-'))
  return { url: `sqlite:${join(dir, 'db.sqlite3')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
}

async function freshMysqlDatabase(serverUrl: string) {
  const url = new URL(serverUrl)
  const name = `enl_t_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = knexFactory({
    client: 'mysql2',
    connection: { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) },
    pool: { min: 0, max: 1 },
  })
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``)
      await admin.destroy()
    },
  }
}
