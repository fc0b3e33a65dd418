// `npm run bench -- --sql`: the SQL statements each workload runs in the real server (built in-process on the
// benchmark database, knex's query events), so the baseline's statements can be checked against them.
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createKnex } from '../src/db/connection.js'
import type { Workload } from './workloads.js'

export async function traceStatements(databaseUrl: string, env: Record<string, string>, list: Workload[]): Promise<void> {
  const knex = createKnex(databaseUrl)
  const config = loadConfig({ ...env, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' })
  const app = await buildApp({ config, knex, logger: false })
  let statements: string[] = []
  knex.on('query', (q: { sql: string, bindings?: readonly unknown[] }) => {
    statements.push(knex.raw(q.sql, (q.bindings ?? []) as any[]).toString())
  })
  try {
    for (const w of list) {
      statements = []
      const res = await app.inject({ method: w.method, url: w.path, headers: w.headers, payload: w.body?.replaceAll('[<id>]', `trace-${Date.now()}`) })
      console.log(`\n── ${w.label}: ${res.statusCode}, ${statements.length} statements`)
      for (const sql of statements) console.log(`  ${sql}`)
    }
  } finally {
    await app.close()
    await knex.destroy()
  }
}
