// A database the original Django backend made (shared/fixtures/original-mysql.sql) is adopted without
// loss: baseline recorded as applied, only additive indexes and the new table added, every original
// column unchanged, data untouched. And a fresh baseline equals the fixture's schema.
import t from 'tap'
import { createKnex } from '../../src/db/connection.js'
import { BASELINE_NAME, MIGRATIONS, migrateToLatest } from '../../src/db/migrate.js'
import { bindModels } from '../../src/models/index.js'
import * as baseline from '../../migrations/20250101000000_baseline.js'
import { recordingLog } from './dialects.js'
import {
  columnSnapshot, createMysqlDb, loadFixture, mysqlCliAvailable, mysqlUnavailable, showCreateTables, triggerSnapshot,
} from './mysql-helpers.js'

const why = (await mysqlUnavailable()) ?? (mysqlCliAvailable() ? null : 'the mysql client is not installed')
if (why) t.plan(0, why)

/** The indexes the additive migration adds to a fresh install, as SHOW CREATE TABLE prints them. */
const ADDITIVE_KEY_LINES: Record<string, string[]> = {
  authentication_chatfavorite: ['KEY `enl_chatfavorite_user_created_idx` (`user_id`,`created_at`)'],
  authentication_chatsession: [
    'KEY `enl_chatsession_user_created_idx` (`user_id`,`created_at`)',
    'KEY `enl_chatsession_user_agent_key_idx` (`user_id`,`agent_id`,`session_key`(191))',
  ],
  authentication_projects_bots: [
    'UNIQUE KEY `uq_projects_agents` (`projects_id`,`bots_id`)',
    'KEY `authenticat_project_f20c07_idx` (`projects_id`)',
  ],
  authentication_projects_users: ['KEY `enl_apu_user_project_idx` (`userprofile_id`,`projects_id`)'],
  token_blacklist_outstandingtoken: ['KEY `enl_outstandingtoken_expires_at_idx` (`expires_at`)'],
}

const normalizeDdl = (ddl: string) => ddl.split('\n').map((l) => l.trim().replace(/,$/, ''))

t.test('adopting the original database', async (t) => {
  const db = await createMysqlDb('enl_t_adopt_')
  t.teardown(() => db.drop())
  loadFixture(db)
  const knex = createKnex(db.url)
  t.teardown(() => knex.destroy())

  const tablesBefore = await showCreateTables(knex)
  const columnsBefore = await columnSnapshot(knex)
  const triggersBefore = await triggerSnapshot(knex)
  const ledgerBefore = await knex('django_migrations').orderBy('id').select()
  const countsBefore: Record<string, number> = {}
  for (const table of tablesBefore.keys()) countsBefore[table] = Number((await knex(table).count({ n: '*' }))[0].n)
  const usersBefore = await knex('authentication_userprofile').orderBy('id').select()
  t.equal(tablesBefore.size, 26, 'the fixture has the 26 tables of a fresh install')

  const log = recordingLog()
  await migrateToLatest(knex, log)
  await migrateToLatest(knex, log)

  t.ok(log.lines.some((l) => /adopting/.test(l.msg ?? '')), 'adoption announced')
  const variant = log.lines.find((l) => l.msg === 'database variant')?.obj as { dbVariant: Record<string, unknown> }
  t.match(variant.dbVariant, {
    projectsAgentsLegacyTable: true,
    membershipTriggers: ['trg_apu_bi_enforce_client_userprofile', 'trg_apu_bu_enforce_client_userprofile'],
    'agents.active': true,
    'expertise_areas.active': true,
    lastDjangoAuthenticationMigration: '0034_add_favorite_columns',
  }, 'database.md §14.1 facts logged')
  t.same(await knex('knex_migrations').orderBy('id').pluck('name'), MIGRATIONS.map(([n]) => n), 'baseline recorded, additive ones run, once')

  const columnsAfter = await columnSnapshot(knex)
  for (const [key, before] of columnsBefore) t.equal(columnsAfter.get(key), before, `column ${key} unchanged`)
  const newColumns = [...columnsAfter.keys()].filter((k) => !columnsBefore.has(k))
  t.ok(newColumns.every((k) => k.startsWith('enlaight_impersonation_log.') || k.startsWith('knex_migrations')), 'only new tables add columns')

  t.same(await triggerSnapshot(knex), triggersBefore, 'triggers untouched')
  t.same(await knex('django_migrations').orderBy('id').select(), ledgerBefore, 'django_migrations untouched')
  for (const [table, n] of Object.entries(countsBefore)) {
    t.equal(Number((await knex(table).count({ n: '*' }))[0].n), n, `${table}: ${n} rows kept`)
  }
  t.same(await knex('authentication_userprofile').orderBy('id').select(), usersBefore, 'user rows byte-for-byte the same')

  // Every original table differs from before only by the additive keys.
  const tablesAfter = await showCreateTables(knex, [...tablesBefore.keys()])
  for (const [table, before] of tablesBefore) {
    const added = normalizeDdl(tablesAfter.get(table)!).filter((l) => !normalizeDdl(before).includes(l))
    const removed = normalizeDdl(before).filter((l) => !normalizeDdl(tablesAfter.get(table)!).includes(l))
    t.same(removed, [], `${table}: nothing removed or altered`)
    t.same(added.sort(), (ADDITIVE_KEY_LINES[table] ?? []).slice().sort(), `${table}: only the additive indexes added`)
  }

  // The fixture's data reads through the models.
  const m = bindModels(knex)
  const member = (await m.User.query().findOne({ email: 'member@example.com' }).withGraphFetched('[projects.bots, client]'))!
  t.equal(member.is_active, true)
  t.equal(member.client!.name, 'Acme Fixtures')
  t.same(member.projects!.map((p) => p.name), ['Fixture Project'], 'the member sees exactly its project')
  t.same(member.projects![0].bots!.map((b) => b.name), ['Fixture Bot'])
  const session = (await m.ChatSession.query().findOne({ session_key: 'fixture-session-1' }).withGraphFetched('[favorites, bot]'))!
  t.equal(session.created_at, '2026-11-24 08:20:57.525630', 'microseconds as Django wrote them')
  t.same(session.favorites!.map((f) => f.message_id), ['msg-1'])
  const admin = (await m.User.query().findOne({ email: 'admin@localhost.ai' }))!
  t.equal(admin.avatar, null)
  t.equal(admin.is_superuser, true)
})

t.test('a fresh baseline has exactly the schema of the original', async (t) => {
  const fixture = await createMysqlDb('enl_t_fix_')
  const fresh = await createMysqlDb('enl_t_base_')
  t.teardown(async () => { await fixture.drop(); await fresh.drop() })
  loadFixture(fixture)
  const kf = createKnex(fixture.url)
  const kb = createKnex(fresh.url)
  t.teardown(async () => { await kf.destroy(); await kb.destroy() })

  await baseline.up(kb) // the baseline alone, without the additive migrations
  const want = await showCreateTables(kf)
  const got = await showCreateTables(kb)
  t.same([...got.keys()], [...want.keys()], 'same 26 tables')
  for (const [table, ddl] of want) t.equal(got.get(table), ddl, `SHOW CREATE TABLE ${table} identical`)

  const trig = async (k: typeof kf) => ((await k.raw(
    'SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1',
  ))[0] as Array<Record<string, string>>).map((r) => ({ ...r, ACTION_STATEMENT: r.ACTION_STATEMENT.replace(/\s+/g, ' ').trim() }))
  t.same(await trig(kb), await trig(kf), 'the same two triggers, bodies equal modulo whitespace')
  t.equal(BASELINE_NAME, '20250101000000_baseline.ts')
})
