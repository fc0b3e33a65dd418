// Script (not a test): compare the schema our migrations create on a fresh MariaDB/MySQL database
// with the schema in shared/fixtures/original-mysql.sql, by SHOW CREATE TABLE (AUTO_INCREMENT counters
// removed) plus trigger names/events. Prints every difference; exit 1 when the baseline alone differs.
//   npx tsx test/db/compare-fixture-schema.ts
import { createKnex } from '../../src/db/connection.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import * as baseline from '../../migrations/20250101000000_baseline.js'
import { createMysqlDb, loadFixture, showCreateTables } from './mysql-helpers.js'

const quiet = { info: () => {}, warn: () => {} }

function diffTables(want: Map<string, string>, got: Map<string, string>): string[] {
  const out: string[] = []
  for (const t of want.keys()) if (!got.has(t)) out.push(`- table ${t} missing`)
  for (const t of got.keys()) if (!want.has(t)) out.push(`+ table ${t} extra`)
  for (const [t, ddl] of want) {
    const g = got.get(t)
    if (g === undefined || g === ddl) continue
    const a = ddl.split('\n').map((l) => l.trim().replace(/,$/, ''))
    const b = g.split('\n').map((l) => l.trim().replace(/,$/, ''))
    for (const l of a) if (!b.includes(l)) out.push(`- ${t}: ${l}`)
    for (const l of b) if (!a.includes(l)) out.push(`+ ${t}: ${l}`)
    if (a.filter((l) => b.includes(l)).join('\n') !== b.filter((l) => a.includes(l)).join('\n')) out.push(`~ ${t}: line order differs`)
  }
  return out
}

async function triggers(k: ReturnType<typeof createKnex>): Promise<string[]> {
  const [rows] = await k.raw(
    'SELECT TRIGGER_NAME n, ACTION_TIMING t, EVENT_MANIPULATION e, EVENT_OBJECT_TABLE o, ACTION_STATEMENT s FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1')
  // Bodies compared modulo whitespace (the original's indentation differs from ours).
  return (rows as Array<Record<string, string>>).map((r) => `${r.n} ${r.t} ${r.e} ON ${r.o}: ${r.s.replace(/\s+/g, ' ').trim()}`)
}

const fixture = await createMysqlDb('enl_t_cmpfix_')
const fresh = await createMysqlDb('enl_t_cmpbase_')
const kf = createKnex(fixture.url)
const kb = createKnex(fresh.url)
let failed = false
try {
  loadFixture(fixture)
  const want = await showCreateTables(kf)
  const wantTriggers = await triggers(kf)

  await baseline.up(kb)
  const base = diffTables(want, await showCreateTables(kb))
  const trig = JSON.stringify(await triggers(kb)) === JSON.stringify(wantTriggers)
  console.log(`baseline only: ${want.size} tables compared; ${base.length} differing lines; triggers (names, events, bodies modulo whitespace) ${trig ? 'identical' : 'DIFFER'}`)
  for (const l of base) console.log(`  ${l}`)
  failed = base.length > 0 || !trig

  await migrateToLatest(kb, quiet)
  const all = diffTables(want, await showCreateTables(kb))
  console.log(`after all migrations: ${all.length} differing lines (expected: the additive indexes, knex's tables and enlaight_impersonation_log)`)
  for (const l of all) console.log(`  ${l}`)
} finally {
  await kf.destroy()
  await kb.destroy()
  await fixture.drop()
  await fresh.drop()
}
process.exit(failed ? 1 : 0)
