// MariaDB/MySQL helpers for the db tests: server discovery, throwaway databases, fixture loading.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import knexFactory, { type Knex } from 'knex'

export const FIXTURE = new URL('../../../shared/fixtures/original-mysql.sql', import.meta.url).pathname

/** The server to use: DATABASE_URL when it is mysql://, else MYSQL_TEST_URL, else root@127.0.0.1:3306. */
export function serverUrl(): URL {
  const env = process.env.DATABASE_URL?.startsWith('mysql://') ? process.env.DATABASE_URL : process.env.MYSQL_TEST_URL
  return new URL(env ?? 'mysql://root@127.0.0.1:3306/')
}

function adminKnex(): Knex {
  const u = serverUrl()
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password), connectTimeout: 3000,
    },
    pool: { min: 0, max: 1 },
  })
}

/** null when reachable, else the reason (the MariaDB part of a test is then skipped). */
export async function mysqlUnavailable(): Promise<string | null> {
  const k = adminKnex()
  try {
    await k.raw('SELECT 1')
    return null
  } catch (err) {
    return `MariaDB/MySQL unreachable at ${serverUrl().host}: ${(err as Error).message}`
  } finally {
    await k.destroy()
  }
}

export interface MysqlDb {
  name: string
  url: string
  drop(): Promise<void>
}

export async function createMysqlDb(prefix = 'enl_t_'): Promise<MysqlDb> {
  const name = `${prefix}${randomBytes(5).toString('hex')}`
  const k = adminKnex()
  try {
    await k.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await k.destroy()
  }
  const u = serverUrl()
  u.pathname = `/${name}`
  return {
    name,
    url: u.toString(),
    async drop() {
      const k2 = adminKnex()
      try {
        await k2.raw(`DROP DATABASE IF EXISTS \`${name}\``)
      } finally {
        await k2.destroy()
      }
    },
  }
}

function cliArgs(): string[] {
  const u = serverUrl()
  const args = [`-h${u.hostname}`, `-P${u.port || 3306}`, `-u${decodeURIComponent(u.username || 'root')}`]
  if (u.password) args.push(`-p${decodeURIComponent(u.password)}`)
  return args
}

export function mysqlCliAvailable(): boolean {
  return spawnSync('mysql', ['--version'], { encoding: 'utf8' }).status === 0
}

/** Load the original backend's dump with the mysql client (it needs DELIMITER handling). */
export function loadFixture(db: MysqlDb, file = FIXTURE): void {
  const res = spawnSync('mysql', [...cliArgs(), db.name], { input: readFileSync(file), encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`loading ${file} failed: ${res.stderr}`)
}

/** SHOW CREATE TABLE of every table, AUTO_INCREMENT counters removed. */
export async function showCreateTables(knex: Knex, tables?: string[]): Promise<Map<string, string>> {
  const names = tables ?? ((await knex.raw(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  ))[0] as Array<{ t: string }>).map((r) => r.t)
  const out = new Map<string, string>()
  for (const t of names) {
    const [rows] = await knex.raw(`SHOW CREATE TABLE \`${t}\``)
    out.set(t, String(rows[0]['Create Table']).replace(/ AUTO_INCREMENT=\d+/, ''))
  }
  return out
}

/** information_schema.COLUMNS rows of every table, as comparable strings. */
export async function columnSnapshot(knex: Knex): Promise<Map<string, string>> {
  const [rows] = await knex.raw(
    `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH,
            NUMERIC_PRECISION, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_TYPE, COLUMN_KEY, EXTRA
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`)
  const out = new Map<string, string>()
  for (const r of rows as Array<Record<string, unknown>>) {
    const { COLUMN_KEY: _key, ...rest } = r // COLUMN_KEY reflects indexes (MUL/UNI), which additive indexes may change
    out.set(`${r.TABLE_NAME}.${r.COLUMN_NAME}`, JSON.stringify(rest))
  }
  return out
}

export async function triggerSnapshot(knex: Knex): Promise<string[]> {
  const [rows] = await knex.raw(
    `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME`)
  return (rows as Array<Record<string, unknown>>).map((r) => JSON.stringify(r))
}
