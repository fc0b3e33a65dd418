// `npm run bench -- --sql`: the SQL statements each workload runs in the real server (built in-process on the
// benchmark database, knex's query events), so the baseline's statements can be checked against them.
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createKnex } from '../src/db/connection.js'
import type { Workload } from './workloads.js'

/** Runs each workload once in-process; returns its statements with placeholders (and prints them with values when `print`). */
export async function traceStatements(databaseUrl: string, env: Record<string, string>, list: Workload[], print = true): Promise<Record<string, string[]>> {
  const traced: Record<string, string[]> = {}
  let raw: string[] = []
  const knex = createKnex(databaseUrl)
  const config = loadConfig({ ...env, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' })
  const app = await buildApp({ config, knex, logger: false })
  let statements: string[] = []
  knex.on('query', (q: { sql: string, bindings?: readonly unknown[] }) => {
    raw.push(q.sql)
    statements.push(knex.raw(q.sql, (q.bindings ?? []) as any[]).toString())
  })
  try {
    for (const w of list) {
      statements = []
      raw = []
      const res = await app.inject({ method: w.method, url: w.path, headers: w.headers, payload: w.body?.replaceAll('[<id>]', `trace-${Date.now()}`) })
      traced[w.id] = raw
      if (!print) continue
      console.log(`\n── ${w.label}: ${res.statusCode}, ${statements.length} statements`)
      for (const sql of statements) console.log(`  ${sql}`)
    }
  } finally {
    await app.close()
    await knex.destroy()
  }
  return traced
}

/**
 * A statement's shape for the same-SQL check: placeholders lists and literal limits become one `?`, generated
 * alias numbers (`__r3`, `__o6`) and the `;` knex puts after BEGIN/COMMIT are dropped.
 */
export function shapeOf(sql: string): string {
  return sql.toLowerCase().replace(/\s+/g, ' ').trim().replace(/;$/, '')
    .replace(/\(\?(?:, \?)*\)/g, '(?)')
    .replace(/\b(limit|offset) \d+/g, '$1 ?')
    .replace(/`__([a-z]+)\d+`/g, '`__$1`')
}
