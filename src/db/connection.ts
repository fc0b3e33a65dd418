// DATABASE_URL -> a configured knex instance (SQLite via better-sqlite3, or MySQL/MariaDB via mysql2).
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import knexModule, { type Knex } from 'knex'
import { toDbDateTime } from './time.js'

const require = createRequire(import.meta.url)
// knex's own better-sqlite3 dialect; subclassed below so bound Dates use the storage text form.
const BetterSqliteClient = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: Knex.Config) => Knex.Client
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as new (...args: unknown[]) => object
// knex's own mysql2 dialect; subclassed below to give every statement a deadline.
const Mysql2Client = require('knex/lib/dialects/mysql2/index.js') as new (config: Knex.Config) => Knex.Client

const knexFactory = ((knexModule as unknown as { knex?: typeof knexModule }).knex ?? knexModule) as typeof knexModule

export type Dialect = 'sqlite' | 'mysql'

/**
 * knex's better-sqlite3 client binds a Date as epoch milliseconds and a boolean as 0/1. We store
 * datetimes as naive-UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'), like MySQL does, so a Date bound in a
 * query (e.g. `where('expires_at', '<', new Date())`) must become that text too, or comparisons
 * against the column go wrong.
 */
/**
 * knex begins SQLite transactions DEFERRED: the write lock is taken at the first write, and when another process
 * wrote in between, SQLite answers SQLITE_BUSY at once (the busy timeout cannot help a reader that must upgrade).
 * With two processes on one file (a second instance, a CLI) that made concurrent writes fail. IMMEDIATE takes the
 * write lock at BEGIN, where busy_timeout waits for it. One process has one connection, so nothing changes there.
 */
class ImmediateTransaction extends (SqliteTransaction as unknown as new (...args: unknown[]) => { query(conn: unknown, sql: string): Promise<unknown> }) {
  begin(conn: unknown) {
    return this.query(conn, 'BEGIN IMMEDIATE;')
  }
}

class EnlaightSqliteClient extends (BetterSqliteClient as unknown as new (config: Knex.Config) => Knex.Client & { _formatBindings(b: unknown[]): unknown[] }) {
  override transaction(...args: unknown[]) {
    return new ImmediateTransaction(this, ...args) as unknown as ReturnType<Knex.Client['transaction']>
  }

  override _formatBindings(bindings: unknown[] | undefined): unknown[] {
    if (!bindings) return []
    return bindings.map((b) => {
      if (b instanceof Date) return toDbDateTime(b)
      if (typeof b === 'boolean') return b ? 1 : 0
      return b
    })
  }
}

/**
 * How long the server waits on MariaDB before answering 503 (issue 7: a lost database must not hang requests).
 * A reset or refused connection fails at once; these bound the silent cases (a partition, a dead host).
 */
export interface DbTimeouts {
  /** TCP connect + handshake of a new connection. */
  connectTimeoutMs: number
  /** Waiting for a pooled connection (all busy, or new ones failing). */
  acquireTimeoutMs: number
  /**
   * No answer to a statement within this long: the connection is destroyed (so it never returns to the pool
   * with a query still pending) and the statement fails as 'unavailable'. DDL is exempt (migrations may run
   * long on big tables). 0 disables.
   */
  statementTimeoutMs: number
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { connectTimeoutMs: 3000, acquireTimeoutMs: 4000, statementTimeoutMs: 5000 }

const DDL = /^\s*(create|alter|drop|rename|truncate|optimize|analyze)\b/i

interface Mysql2Connection {
  threadId?: number
  stream?: { destroy(): void }
  destroy(): void
}
type QueryObject = { sql?: string } & Record<string, unknown>

/**
 * mysql2 has no statement deadline that frees the connection (its `timeout` query option leaves the command
 * queued on the connection, which knex then hands to the next request). Here a statement that gets no answer
 * in time rejects with PROTOCOL_SEQUENCE_TIMEOUT (classified 'unavailable' → 503) and its connection is
 * destroyed; knex's validateConnection then drops it from the pool, and new connections are made on demand.
 */
class EnlaightMysqlClient extends (Mysql2Client as unknown as new (config: Knex.Config) => Knex.Client & {
  _query(connection: Mysql2Connection, obj: QueryObject | string): Promise<unknown>
}) {
  override _query(connection: Mysql2Connection, obj: QueryObject | string): Promise<unknown> {
    const deadline = (this.config as { statementTimeoutMs?: number }).statementTimeoutMs ?? 0
    const sql = typeof obj === 'string' ? obj : obj?.sql ?? ''
    const query = super._query(connection, obj)
    if (!deadline || DDL.test(sql)) return query
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        connection.destroy()
        connection.stream?.destroy()
        const err = Object.assign(new Error(`No answer from the database within ${deadline} ms`), {
          code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true,
        })
        reject(err)
      }, deadline)
    })
    return Promise.race([query, expired]).finally(() => clearTimeout(timer))
  }
}

interface ParsedUrl {
  dialect: Dialect
  sqlitePath?: string
  mysql?: { host: string; port: number; user: string; password: string; database: string }
}

export function parseDatabaseUrl(databaseUrl: string): ParsedUrl {
  if (databaseUrl.startsWith('sqlite:')) {
    let path = databaseUrl.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2) // sqlite:///abs/path or sqlite://./rel
    if (!path) throw new Error('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/enlaight.sqlite3')
    return { dialect: 'sqlite', sqlitePath: path }
  }
  if (databaseUrl.startsWith('mysql://') || databaseUrl.startsWith('mariadb://')) {
    let u: URL
    try {
      u = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'))
    } catch {
      throw new Error('DATABASE_URL: malformed mysql:// URL (expected mysql://user:pass@host:port/db)')
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
    if (!database) throw new Error('DATABASE_URL: the mysql:// URL must name a database (mysql://user:pass@host:port/db)')
    return {
      dialect: 'mysql',
      mysql: {
        host: u.hostname || '127.0.0.1',
        port: u.port ? Number(u.port) : 3306,
        user: decodeURIComponent(u.username || 'root'),
        password: decodeURIComponent(u.password || ''),
        database,
      },
    }
  }
  throw new Error('DATABASE_URL must start with sqlite: or mysql://')
}

interface MysqlField {
  type: string
  length: number
  string(): string | null
}

/** mysql2 typeCast: TINYINT(1) -> boolean (NULL stays null). Everything else as mysql2 decides. */
function mysqlTypeCast(field: MysqlField, next: () => unknown): unknown {
  if (field.type === 'TINY' && field.length === 1) {
    const v = field.string()
    return v === null ? null : v !== '0'
  }
  return next()
}

// knex prints the migration-lock contention of a second instance as a warning; migrateToLatest waits
// and retries in that case, so that message is noise. Everything else goes to stderr as before.
const knexLog = {
  warn(message: unknown) {
    const text = String(message)
    if (/already locked|migrate:unlock/.test(text)) return
    console.warn(text)
  },
}

export function createKnex(databaseUrl: string, timeouts: Partial<DbTimeouts> = {}): Knex {
  const parsed = parseDatabaseUrl(databaseUrl)
  if (parsed.dialect === 'sqlite') {
    const file = parsed.sqlitePath!
    const inMemory = file === ':memory:'
    if (!inMemory) mkdirSync(dirname(resolve(file)), { recursive: true })
    return knexFactory({
      client: EnlaightSqliteClient as unknown as typeof Knex.Client,
      connection: { filename: file },
      useNullAsDefault: true,
      log: knexLog,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('foreign_keys = ON')
            if (!inMemory) conn.pragma('journal_mode = WAL')
            conn.pragma('busy_timeout = 10000')
            conn.pragma('synchronous = NORMAL')
            done(null, conn)
          } catch (err) {
            done(err as Error, conn)
          }
        },
      },
    })
  }
  const m = parsed.mysql!
  const t = { ...DEFAULT_DB_TIMEOUTS, ...timeouts }
  return knexFactory({
    client: EnlaightMysqlClient as unknown as typeof Knex.Client,
    log: knexLog,
    statementTimeoutMs: t.statementTimeoutMs,
    connection: {
      host: m.host,
      port: m.port,
      user: m.user,
      password: m.password,
      database: m.database,
      // knex also uses `charset` as the table charset of its own tables, so it must be a charset name;
      // the connection collation is set to utf8mb4_unicode_ci in afterCreate.
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      // Datetimes come back as text, not Date: a Date would drop the microseconds that Django stores
      // and the API prints. Models normalise the text (src/db/time.ts).
      dateStrings: true,
      typeCast: mysqlTypeCast,
      connectTimeout: t.connectTimeoutMs,
    } as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: 10,
      acquireTimeoutMillis: t.acquireTimeoutMs,
      idleTimeoutMillis: 30000,
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        // utf8mb4_unicode_ci like the tables; UTC text in and out; READ COMMITTED like Django.
        conn.query("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00'", (err) => {
          if (err) return done(err, conn)
          conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err2) => done(err2, conn))
        })
      },
    },
    acquireConnectionTimeout: t.acquireTimeoutMs,
  } as Knex.Config)
}

export function dialectOf(knex: Knex): Dialect {
  const client = (knex.client as { config?: { client?: unknown }; dialect?: string })
  const d = client.dialect ?? ''
  if (d === 'mysql' || d === 'mysql2') return 'mysql'
  if (d === 'sqlite3' || d === 'better-sqlite3') return 'sqlite'
  const name = String(typeof client.config?.client === 'string' ? client.config.client : '')
  if (name.startsWith('mysql')) return 'mysql'
  return 'sqlite'
}
