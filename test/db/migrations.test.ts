// Fresh databases: the baseline creates database.md §2–§4 exactly, migrations are idempotent and safe
// when two processes start at once; models, triggers, FKs and the admin seed behave the same on both
// dialects.
import t from 'tap'
import { createKnex, dialectOf } from '../../src/db/connection.js'
import { DJANGO_TABLES, DJANGO_MIGRATION_LEDGER } from '../../src/db/django-schema.js'
import { classifyDbError } from '../../src/db/errors.js'
import { toUuid } from '../../src/db/ids.js'
import { hasTable, listColumns, listForeignKeys, listIndexes, listTriggers, rawRows } from '../../src/db/introspect.js'
import { MIGRATIONS, migrateToLatest } from '../../src/db/migrate.js'
import { ensureAdmin } from '../../src/db/seed-admin.js'
import { bindModels } from '../../src/models/index.js'
import { forEachDialect, recordingLog, silentLog } from './dialects.js'

const stripWidth = (type: string) => type.replace(/^(tinyint|smallint|int|bigint)\((\d+)\)/, (m, base: string, w: string) => (base === 'tinyint' && w === '1' ? m : base))

await forEachDialect(t, async (t, db) => {
  const knex = createKnex(db.url)
  t.teardown(() => knex.destroy())
  t.equal(dialectOf(knex), db.dialect)

  await t.test('migrate twice: everything applied once, second run is a no-op', async (t) => {
    const log = recordingLog()
    await migrateToLatest(knex, log)
    const first = await knex('knex_migrations').orderBy('id').pluck('name')
    t.same(first, MIGRATIONS.map(([n]) => n))
    await migrateToLatest(knex, log)
    t.same(await knex('knex_migrations').orderBy('id').pluck('name'), first, 'nothing re-run')
    t.ok(log.lines.some((l) => l.msg === 'database variant'), 'variant facts logged')
    t.ok(log.lines.some((l) => (l.obj as { hyphenatedIds?: unknown }).hyphenatedIds === 0), 'hyphenated id count logged')
  })

  await t.test('every table and column of the Django schema, in order, with nullability', async (t) => {
    for (const def of DJANGO_TABLES) {
      t.ok(await hasTable(knex, def.name), def.name)
      const cols = await listColumns(knex, def.name)
      t.same(cols.map((c) => c.name), def.columns.map((c) => c.name), `${def.name} columns in order`)
      t.same(cols.map((c) => c.nullable), def.columns.map((c) => c.nullable), `${def.name} nullability`)
      if (db.dialect === 'mysql') {
        t.same(cols.map((c) => stripWidth(c.type)), def.columns.map((c) => c.type), `${def.name} types`)
      }
      const fks = await listForeignKeys(knex, def.name)
      t.same(fks.map((f) => `${f.column}->${f.refTable}.${f.refColumn}`).sort(),
        def.foreignKeys.map((f) => `${f.column}->${f.refTable}.${f.refColumn}`).sort(), `${def.name} foreign keys`)
      const cascade = fks.filter((f) => f.onDelete === 'CASCADE').map((f) => `${def.name}.${f.column}`)
      t.same(cascade, def.name === 'authentication_projects_bots' ? ['authentication_projects_bots.bots_id'] : [], 'the only DB cascade')
      const indexes = await listIndexes(knex, def.name)
      for (const want of def.indexes) {
        const found = indexes.find((i) => i.unique === !!want.unique && i.columns.join(',') === want.columns.join(','))
        t.ok(found, `${def.name}: ${want.unique ? 'unique ' : ''}(${want.columns.join(',')})`)
      }
    }
    t.same(await listTriggers(knex, 'authentication_projects_users'),
      ['trg_apu_bi_enforce_client_userprofile', 'trg_apu_bu_enforce_client_userprofile'])
    const ledger = await knex('django_migrations').orderBy('id').select('app', 'name')
    t.same(ledger.map((r) => [r.app, r.name]), DJANGO_MIGRATION_LEDGER, "Django's ledger of a fresh install")
    if (db.dialect === 'mysql') {
      const rows = await rawRows(knex,
        "SELECT TABLE_NAME AS t, TABLE_COLLATION AS c, ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'knex%'")
      t.same(rows.filter((r) => r.c !== 'utf8mb4_unicode_ci' || r.e !== 'InnoDB'), [], 'InnoDB, utf8mb4_unicode_ci everywhere')
    } else {
      t.same(await rawRows(knex, 'PRAGMA foreign_keys'), [{ foreign_keys: 1 }])
      t.same(await rawRows(knex, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }])
    }
  })

  await t.test('the additive indexes of §13 exist', async (t) => {
    const has = async (table: string, cols: string[], unique = false) =>
      (await listIndexes(knex, table)).some((i) => i.columns.join(',') === cols.join(',') && (!unique || i.unique))
    t.ok(await has('authentication_chatsession', ['user_id', 'created_at']))
    t.ok(await has('authentication_chatsession', ['user_id', 'agent_id', 'session_key']))
    t.ok(await has('authentication_chatfavorite', ['user_id', 'created_at']))
    t.ok(await has('token_blacklist_outstandingtoken', ['expires_at']))
    t.ok(await has('authentication_projects_users', ['userprofile_id', 'projects_id']))
    t.ok(await has('authentication_projects_bots', ['projects_id', 'bots_id'], true))
    t.ok(await has('authentication_projects_bots', ['projects_id']))
    t.ok(await hasTable(knex, 'enlaight_impersonation_log'))
  })

  await t.test('two processes migrating one fresh database at once', async (t) => {
    const fresh = db.dialect === 'sqlite' ? `${db.url}.concurrent` : null
    let url = fresh
    let drop: (() => Promise<void>) | null = null
    if (!url) {
      const { createMysqlDb } = await import('./mysql-helpers.js')
      const other = await createMysqlDb()
      url = other.url
      drop = other.drop
    }
    const a = createKnex(url)
    const b = createKnex(url)
    try {
      await Promise.all([migrateToLatest(a, silentLog), migrateToLatest(b, silentLog)])
      t.equal(Number((await a('knex_migrations').count({ n: '*' }))[0].n), MIGRATIONS.length, 'each migration recorded once')
      t.equal(Number((await a('django_migrations').count({ n: '*' }))[0].n), DJANGO_MIGRATION_LEDGER.length, 'ledger written once')
      t.same(await a('knex_migrations_lock').pluck('is_locked'), [0], 'lock released')
    } finally {
      await a.destroy()
      await b.destroy()
      if (drop) await drop()
    }
  })

  await t.test('models: 32-hex ids, text datetimes, booleans, Base timestamps, Django defaults', async (t) => {
    const m = bindModels(knex)
    const client = await m.Client.query().insert({ name: 'Acme' })
    t.match(client.id, /^[0-9a-f]{32}$/)
    // Any accepted spelling on write is stored as 32-hex.
    const user = await m.User.query().insert({ email: 'ann@example.com', username: 'ann', client_id: toUuid(client.id).toUpperCase() })
    const raw = await knex('authentication_userprofile').where('id', user.id).first()
    t.equal(raw.client_id, client.id)
    const got = (await m.User.query().findById(user.id))!
    t.equal(got.is_active, true)
    t.equal(got.is_superuser, false)
    t.equal(got.active, true)
    t.equal(got.role, 'USER')
    t.equal(got.first_name, '')
    t.equal(got.avatar, '')
    t.equal(got.updated_at, null, 'updated_at NULL on insert')
    t.match(got.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
    t.match(got.joined_at, /^\d{4}-\d\d-\d\d$/)
    t.match(got.password, /^![A-Za-z0-9]{40}$/, 'unusable password by default')
    t.ok(got.password_reset_token_expires_at! > got.created_at, 'reset expiry defaults to now + 1 h')
    const patched = await m.User.query().patchAndFetchById(user.id, { first_name: 'Ann' })
    t.match(patched.updated_at, /^\d{4}-/, 'updated_at set by an update')
    await m.User.query().context({ skipUpdatedAt: true }).patch({ last_name: 'X' }).where('id', user.id)
    t.equal((await m.User.query().findById(user.id))!.updated_at, patched.updated_at, 'skipUpdatedAt leaves it')
    // Microseconds survive a round trip.
    await knex('authentication_clients').where('id', client.id).update({ created_at: '2026-11-24 08:20:57.242406' })
    t.equal((await m.Client.query().findById(client.id))!.created_at, '2026-11-24 08:20:57.242406')
    // A Date bound in a raw query compares correctly against the text column.
    t.equal((await knex('authentication_clients').where('created_at', '<', new Date('2026-11-24T08:20:58Z')).pluck('id')).length, 1)
    // Garbage ids and over-long strings never reach SQL.
    await t.rejects(async () => m.Board.query().insert({ config: '', project_id: 'nope' }), { name: 'ValidationError', statusCode: 400 })
    await t.rejects(async () => m.User.query().insert({ email: 'x@example.com', username: 'u'.repeat(151) }), { name: 'ValidationError' })
    // Case-insensitive uniqueness like utf8mb4_unicode_ci.
    const dup = await m.User.query().insert({ email: 'ANN@example.com', username: 'ann2' }).catch((e) => e)
    t.equal(classifyDbError(dup)?.kind, 'unique')
    await m.ExpertiseArea.query().insert({ name: 'Finance' })
    t.equal(classifyDbError(await m.ExpertiseArea.query().insert({ name: 'FINANCE' }).catch((e) => e))?.kind, 'unique')
    // The orphan `active` columns are never mapped.
    const bot = await m.Bot.query().insert({ name: 'B', url_n8n: 'http://127.0.0.1/x' })
    t.notOk('active' in (await m.Bot.query().findById(bot.id))!, 'agents.active not mapped')
    t.equal((await knex('agents').where('id', bot.id).first()).active, null, 'agents.active left NULL')
    // Relations.
    const project = await m.Project.query().insert({ name: 'P', client_id: client.id })
    await project.$relatedQuery('members').relate(user.id)
    await project.$relatedQuery('bots').relate(bot.id)
    const full = await m.Project.query().findById(project.id).withGraphFetched('[client, members, bots.[projects, expertiseArea]]')
    t.equal(full!.client!.name, 'Acme')
    t.same(full!.members!.map((u) => u.id), [user.id])
    t.same(full!.bots!.map((b) => b.projects!.map((p) => p.id)), [[project.id]])
    t.same((await m.User.relatedQuery('projects').for(user.id)).map((p) => p.id), [project.id])
  })

  await t.test('client-scope triggers (database.md §4)', async (t) => {
    const m = bindModels(knex)
    const c1 = await m.Client.query().insert({ name: 'C1' })
    const c2 = await m.Client.query().insert({ name: 'C2' })
    const p1 = await m.Project.query().insert({ name: 'P1', client_id: c1.id })
    const own = await m.User.query().insert({ email: 'own@example.com', username: 'own', client_id: c1.id })
    const foreign = await m.User.query().insert({ email: 'for@example.com', username: 'for', client_id: c2.id })
    const noClient = await m.User.query().insert({ email: 'none@example.com', username: 'none' })
    const admin = await m.User.query().insert({ email: 'adm@example.com', username: 'adm', role: 'ADMINISTRATOR' })
    await m.ProjectMember.query().insert({ projects_id: p1.id, userprofile_id: own.id })
    await m.ProjectMember.query().insert({ projects_id: p1.id, userprofile_id: admin.id })
    for (const u of [foreign, noClient]) {
      const err = await m.ProjectMember.query().insert({ projects_id: p1.id, userprofile_id: u.id }).catch((e) => e)
      t.equal(classifyDbError(err)?.kind, 'client_scope', `${u.username} refused by the trigger`)
    }
    const upd = await knex('authentication_projects_users').where('userprofile_id', own.id).update({ userprofile_id: foreign.id }).catch((e) => e)
    t.equal(classifyDbError(upd)?.kind, 'client_scope', 'BEFORE UPDATE trigger too')
    t.equal(Number((await knex('authentication_projects_users').where('projects_id', p1.id).count({ n: '*' }))[0].n), 2)
  })

  await t.test('RESTRICT foreign keys are enforced', async (t) => {
    const m = bindModels(knex)
    const c = await m.Client.query().insert({ name: 'Keep' })
    await m.Project.query().insert({ name: 'child', client_id: c.id })
    const err = await knex('authentication_clients').where('id', c.id).delete().catch((e) => e)
    t.equal(classifyDbError(err)?.kind, 'foreign_key')
  })

  await t.test('ensureAdmin creates the §8.1 administrator once', async (t) => {
    const hashPassword = async (p: string) => `pbkdf2_sha256$1000$saltsaltsaltsaltsalt12$${Buffer.from(p).toString('base64')}`
    const r1 = await ensureAdmin(knex, { email: 'root@example.com', password: 'pw-1', hashPassword })
    t.equal(r1.created, true)
    const r2 = await ensureAdmin(knex, { email: 'ROOT@example.com', password: 'pw-2', hashPassword })
    t.same([r2.created, r2.id, r2.reason], [false, r1.id, 'email_exists'])
    const m = bindModels(knex)
    const admin = (await m.User.query().findById(r1.id!).withGraphFetched('groups'))!
    t.match(admin, {
      email: 'root@example.com', username: 'Admin', role: 'ADMINISTRATOR', is_superuser: true, is_staff: true, is_active: true,
      active: true, first_name: 'Admin', last_name: 'Account', full_name: 'Admin Account', job_title: 'Default Admin Account',
      department: 'Administration', client_id: null, avatar: null, password_reset_token: null, password_reset_token_expires_at: null,
      updated_at: null,
    })
    t.equal(admin.password, await hashPassword('pw-1'))
    t.same(admin.groups!.map((g) => g.name), ['Admins'])
    const r3 = await ensureAdmin(knex, { email: 'second@example.com', password: 'x', hashPassword, onlyIfNoAdmin: true })
    t.same([r3.created, r3.reason], [false, 'admin_exists'])
    const r4 = await ensureAdmin(knex, { email: 'second@example.com', password: 'x', hashPassword })
    t.equal(r4.created, true)
    t.equal((await m.User.query().findById(r4.id!))!.username, 'second', "username from the e-mail when 'Admin' is taken")
  })

  await t.test('adoption path, then refusal when a needed table or column is missing', async (t) => {
    // Looks like a database Django made: its ledger is there, knex's history is not.
    await knex.schema.dropTable('knex_migrations')
    await knex.schema.dropTable('knex_migrations_lock')
    await knex.raw(db.dialect === 'mysql'
      ? 'ALTER TABLE token_blacklist_outstandingtoken DROP INDEX enl_outstandingtoken_expires_at_idx'
      : 'DROP INDEX enl_outstandingtoken_expires_at_idx')
    const log = recordingLog()
    await migrateToLatest(knex, log)
    t.ok(log.lines.some((l) => /adopting/.test(l.msg ?? '')), 'adopted')
    t.same(await knex('knex_migrations').orderBy('id').pluck('name'), MIGRATIONS.map(([n]) => n))
    t.ok((await listIndexes(knex, 'token_blacklist_outstandingtoken')).some((i) => i.columns.join() === 'expires_at'), 'additive index re-created')

    await knex.schema.dropTable('authentication_chatfavorite')
    await knex.schema.dropTable('authentication_chatsession')
    await t.rejects(migrateToLatest(knex, silentLog), /missing what the API needs: .*table authentication_chatsession/)
    await knex.schema.alterTable('kb_links', (tb) => tb.dropColumn('name'))
    await t.rejects(migrateToLatest(knex, silentLog), /column kb_links\.name/)
  })
})
