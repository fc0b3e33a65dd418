// Run pending knex migrations; adopt a database that the original Django backend created.
//
// Adoption: a database with Django's tables and ledger but no knex history gets the baseline
// recorded as applied without any change (the baseline migration is a no-op there), then only the
// additive migrations run. Nothing of Django's is ever altered or dropped.
//
// Safe when several processes start at once: knex's migration lock serialises them; a process that
// finds the lock taken waits and retries, then finds nothing pending.
import type { Knex } from 'knex'
import * as baseline from '../../migrations/20250101000000_baseline.js'
import * as additiveIndexes from '../../migrations/20250101000100_additive_indexes.js'
import * as impersonationLog from '../../migrations/20250101000200_impersonation_log.js'
import { dialectOf } from './connection.js'
import { DJANGO_TABLES } from './django-schema.js'
import {
  hasTable, isDjangoDatabase, listColumns, listForeignKeys, listIndexes, listTriggers, quoteMysql, quoteSqlite, rawRows, serverVersion,
} from './introspect.js'
import { takeMigrationNotes } from './migration-notes.js'

export interface MigrateLogger {
  info: (obj: unknown, msg?: string) => void
  warn: (obj: unknown, msg?: string) => void
}

interface MigrationModule {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/** The ordered list of migrations. Names are what knex_migrations records; never rename one. */
export const MIGRATIONS: ReadonlyArray<readonly [string, MigrationModule]> = [
  ['20250101000000_baseline.ts', baseline],
  ['20250101000100_additive_indexes.ts', additiveIndexes],
  ['20250101000200_impersonation_log.ts', impersonationLog],
]

export const BASELINE_NAME = MIGRATIONS[0][0]
export const MIGRATIONS_TABLE = 'knex_migrations'

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = MIGRATIONS.find(([n]) => n === name)
    if (!found) throw new Error(`unknown migration ${name}`)
    return found[1]
  },
}

export function migratorConfig(knex: Knex): Knex.MigratorConfig {
  return {
    migrationSource,
    tableName: MIGRATIONS_TABLE,
    // MySQL commits DDL implicitly, so a wrapping transaction only pretends; the lock still applies.
    disableTransactions: dialectOf(knex) === 'mysql',
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; errno?: number; message?: string }
  if (e?.name === 'MigrationLocked') return true
  if (e?.code === 'ER_TABLE_EXISTS_ERROR' || e?.errno === 1050) return true // two processes creating knex's tables
  if (e?.code === 'ER_LOCK_DEADLOCK' || e?.code === 'ER_LOCK_WAIT_TIMEOUT') return true
  if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') return true
  if (/already exists/i.test(e?.message ?? '') && /knex_migrations/.test(e?.message ?? '')) return true
  return false
}

export interface MigrateOptions {
  /** How long to wait for another process holding the migration lock (default 120 s). */
  lockTimeoutMs?: number
}

export async function migrateToLatest(knex: Knex, log: MigrateLogger, opts: MigrateOptions = {}): Promise<void> {
  const dialect = dialectOf(knex)
  const version = await serverVersion(knex)
  const hadHistory = await hasTable(knex, MIGRATIONS_TABLE)
  const adopting = !hadHistory && (await isDjangoDatabase(knex))
  if (adopting) {
    log.info({ dialect, version }, 'database created by the original backend: adopting it (baseline recorded as applied, nothing altered)')
  }

  const deadline = Date.now() + (opts.lockTimeoutMs ?? 120_000)
  let waited = false
  for (;;) {
    try {
      const [batch, ran] = (await knex.migrate.latest(migratorConfig(knex))) as [number, string[]]
      if (ran.length) log.info({ batch, migrations: ran, dialect }, 'migrations applied')
      else log.info({ dialect, version }, 'database schema up to date')
      break
    } catch (err) {
      if (!isRetryable(err)) throw err
      if (Date.now() > deadline) {
        throw new Error(`migrations: gave up waiting for the knex migration lock (${(err as Error).message}). ` +
          'If no other instance is migrating, a crashed run left it set: ' +
          'UPDATE knex_migrations_lock SET is_locked = 0', { cause: err })
      }
      if (!waited) log.info({}, 'another process is migrating this database; waiting for it')
      waited = true
      await removeDuplicateLockRows(knex)
      await sleep(250 + Math.floor(Math.random() * 250))
    }
  }
  for (const note of takeMigrationNotes()) {
    if (note.level === 'warn') log.warn(note.data ?? {}, note.message)
    else log.info(note.data ?? {}, note.message)
  }

  await logVariant(knex, log)
  await logHyphenatedIds(knex, log)
  await verifySchema(knex)
}

/**
 * knex creates its lock table racily: two processes starting on a fresh database can both find it empty and each
 * insert a row. With two rows the lock can never be taken (knex wants exactly one row updated), so both processes
 * would wait until the lock timeout. Extra rows are never locked (taking the lock fails and rolls back), so
 * keeping only the first one is safe, even when several processes do it at once.
 */
async function removeDuplicateLockRows(knex: Knex): Promise<void> {
  const lockTable = `${MIGRATIONS_TABLE}_lock`
  const rows: Array<{ index: number }> = await knex(lockTable).select('index').orderBy('index').catch(() => [])
  if (rows.length > 1) await knex(lockTable).where('index', '>', rows[0].index).delete()
}

/** database.md §14.1 / DECISIONS 35: the facts that tell which schema variant this is. */
export async function describeVariant(knex: Knex): Promise<Record<string, unknown>> {
  const facts: Record<string, unknown> = { dialect: dialectOf(knex), version: await serverVersion(knex) }
  facts.projectsAgentsLegacyTable = await hasTable(knex, 'authentication_projects_agents')
  if (facts.projectsAgentsLegacyTable) {
    const rows = await rawRows(knex, 'SELECT COUNT(*) AS n FROM authentication_projects_agents')
    facts.projectsAgentsLegacyRows = Number(rows[0].n)
  }
  if (await hasTable(knex, 'authentication_projects_bots')) {
    facts.projectsBotsIndexes = (await listIndexes(knex, 'authentication_projects_bots'))
      .map((i) => `${i.unique ? 'UNIQUE ' : ''}${i.name}(${i.columns.join(',')})`)
    facts.projectsBotsForeignKeys = (await listForeignKeys(knex, 'authentication_projects_bots'))
      .map((f) => `${f.name}: ${f.column} -> ${f.refTable}.${f.refColumn} ON DELETE ${f.onDelete}`)
  }
  facts.membershipTriggers = await hasTable(knex, 'authentication_projects_users') ? await listTriggers(knex, 'authentication_projects_users') : []
  for (const t of ['agents', 'expertise_areas']) {
    facts[`${t}.active`] = (await hasTable(knex, t)) && (await listColumns(knex, t)).some((c) => c.name === 'active')
  }
  if (await hasTable(knex, 'expertise_areas')) {
    facts.expertiseAreaNameUnique = (await listIndexes(knex, 'expertise_areas')).filter((i) => i.unique && i.name !== 'PRIMARY' && !i.name.startsWith('sqlite_autoindex'))
      .map((i) => `${i.name}(${i.columns.join(',')})`)
  }
  if (await hasTable(knex, 'django_migrations')) {
    const rows = await rawRows(knex, "SELECT name, applied FROM django_migrations WHERE app = 'authentication' ORDER BY id DESC LIMIT 1")
    facts.lastDjangoAuthenticationMigration = rows[0]?.name ?? null
  } else {
    facts.lastDjangoAuthenticationMigration = null
  }
  return facts
}

async function logVariant(knex: Knex, log: MigrateLogger): Promise<void> {
  log.info({ dbVariant: await describeVariant(knex) }, 'database variant')
}

/** Columns holding UUIDs (char(32)/char(36)) per table, from the Django schema. */
function uuidColumns(): Array<[string, string[]]> {
  return DJANGO_TABLES
    .map((t) => [t.name, t.columns.filter((c) => /^char\((32|36)\)$/.test(c.type)).map((c) => c.name)] as [string, string[]])
    .filter(([, cols]) => cols.length > 0)
}

/** database.md §14.2 / DECISIONS 36: count ids that are not in 32-hex form (e.g. hyphenated). */
export async function countHyphenatedIds(knex: Knex): Promise<Record<string, number>> {
  const q = dialectOf(knex) === 'mysql' ? quoteMysql : quoteSqlite
  const out: Record<string, number> = {}
  for (const [table, cols] of uuidColumns()) {
    if (!(await hasTable(knex, table))) continue
    const present = new Set((await listColumns(knex, table)).map((c) => c.name))
    const use = cols.filter((c) => present.has(c))
    if (!use.length) continue
    const sums = use.map((c, i) => `SUM(CASE WHEN ${q(c)} LIKE '%-%' THEN 1 ELSE 0 END) AS c${i}`).join(', ')
    const rows = await rawRows(knex, `SELECT ${sums} FROM ${q(table)}`)
    use.forEach((c, i) => {
      const n = Number(rows[0]?.[`c${i}`] ?? 0)
      if (n > 0) out[`${table}.${c}`] = n
    })
  }
  return out
}

async function logHyphenatedIds(knex: Knex, log: MigrateLogger): Promise<void> {
  const counts = await countHyphenatedIds(knex)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  if (total > 0) {
    log.warn({ hyphenatedIds: counts, total }, 'rows hold hyphenated UUIDs; they are normalised on read, joins on them will not match')
  } else {
    log.info({ hyphenatedIds: 0 }, 'all stored UUIDs are 32-hex')
  }
}

/** Refuse to start when a table or column the API needs is missing (DECISIONS 35). */
export async function verifySchema(knex: Knex): Promise<void> {
  const missing: string[] = []
  const required: Array<[string, string[]]> = DJANGO_TABLES.filter((t) => t.required)
    .map((t) => [t.name, t.columns.map((c) => c.name).filter((c) => !(t.orphanColumns ?? []).includes(c))])
  required.push(['enlaight_impersonation_log', ['id', 'actor_id', 'target_id', 'created_at', 'ip']])
  for (const [table, cols] of required) {
    if (!(await hasTable(knex, table))) {
      missing.push(`table ${table}`)
      continue
    }
    const present = new Set((await listColumns(knex, table)).map((c) => c.name.toLowerCase()))
    for (const c of cols) if (!present.has(c.toLowerCase())) missing.push(`column ${table}.${c}`)
  }
  if (missing.length) {
    throw new Error(`database schema is missing what the API needs: ${missing.join(', ')}. ` +
      'This database does not look like an Enlaight database; refusing to start.')
  }
}
