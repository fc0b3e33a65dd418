// The delete plans of database.md §6, in one transaction, on both dialects.
import t from 'tap'
import type { Knex } from 'knex'
import { createKnex } from '../../src/db/connection.js'
import { deleteBot, deleteChatSession, deleteClient, deleteExpertiseArea, deleteOutstandingToken, deleteProject, deleteUser } from '../../src/db/delete-plans.js'
import { toUuid } from '../../src/db/ids.js'
import { countHyphenatedIds, migrateToLatest } from '../../src/db/migrate.js'
import { nowDb } from '../../src/db/time.js'
import { bindModels } from '../../src/models/index.js'
import { forEachDialect, silentLog } from './dialects.js'

async function world(knex: Knex) {
  const m = bindModels(knex)
  const c1 = await m.Client.query().insert({ name: 'C1' })
  const c2 = await m.Client.query().insert({ name: 'C2' })
  const p1 = await m.Project.query().insert({ name: 'P1', client_id: c1.id })
  const p2 = await m.Project.query().insert({ name: 'P2', client_id: c1.id })
  const q1 = await m.Project.query().insert({ name: 'Q1', client_id: c2.id })
  const admin = await m.User.query().insert({ email: 'a@x.io', username: 'a', role: 'ADMINISTRATOR' })
  const u1 = await m.User.query().insert({ email: 'u1@x.io', username: 'u1', client_id: c1.id })
  const u2 = await m.User.query().insert({ email: 'u2@x.io', username: 'u2', client_id: c1.id })
  const v1 = await m.User.query().insert({ email: 'v1@x.io', username: 'v1', client_id: c2.id })
  const area = await m.ExpertiseArea.query().insert({ name: 'Area' })
  const bot = await m.Bot.query().insert({ name: 'Bot', url_n8n: 'http://127.0.0.1/b', expertise_area_id: area.id })
  const other = await m.Bot.query().insert({ name: 'Other', url_n8n: 'http://127.0.0.1/o' })
  for (const [projects_id, userprofile_id] of [[p1.id, u1.id], [p2.id, u2.id], [q1.id, v1.id], [q1.id, admin.id]]) {
    await m.ProjectMember.query().insert({ projects_id, userprofile_id })
  }
  await knex('authentication_projects_bots').insert([
    { projects_id: p1.id, bots_id: bot.id }, { projects_id: p2.id, bots_id: bot.id }, { projects_id: q1.id, bots_id: bot.id },
    { projects_id: q1.id, bots_id: other.id },
    { projects_id: toUuid(p2.id), bots_id: other.id }, // a hyphenated projects_id (no FK there; database.md §14.2)
  ])
  await knex('authentication_projects_agents').insert({ projects_id: p2.id, agents_id: other.id })
  const s1 = await m.ChatSession.query().insert({ session_key: 'k1', agent_id: bot.id, user_id: u1.id })
  const s2 = await m.ChatSession.query().insert({ session_key: 'k2', agent_id: other.id, user_id: u1.id })
  const sv = await m.ChatSession.query().insert({ session_key: 'kv', agent_id: bot.id, user_id: v1.id })
  for (const fav of [
    { message_id: 'm1', text: 't', agent_id: bot.id, session_id: s1.id, user_id: u1.id },
    { message_id: 'm2', text: 't', agent_id: other.id, session_id: s2.id, user_id: u1.id },
    { message_id: 'mv', text: 't', agent_id: bot.id, session_id: sv.id, user_id: v1.id },
    // a favorite in u1's session but owned by someone else (only the session-based step reaches it)
    { message_id: 'mx', text: 't', agent_id: other.id, session_id: s1.id, user_id: v1.id },
  ]) await m.ChatFavorite.query().insert(fav)
  await m.Board.query().insert({ config: '{}', project_id: p1.id, client_id: c1.id })
  await m.Board.query().insert({ config: '{}', project_id: q1.id, client_id: c2.id })
  await m.Invite.query().insert({ email: 'i1@x.io', sender_id: admin.id, client_id: c1.id, project_id: p1.id })
  await m.Invite.query().insert({ email: 'i2@x.io', sender_id: u1.id, client_id: c2.id })
  await m.Invite.query().insert({ email: 'i3@x.io', sender_id: admin.id, client_id: c2.id, project_id: q1.id })
  await m.KbLink.query().insert({ external_id: 'kb-1', project_id: p1.id })
  await m.UserInvite.query().insert({ invitation_link: 'http://x', user_id: u1.id })
  const tok = await m.OutstandingToken.query().insert({ token: 'jwt', created_at: nowDb(), expires_at: nowDb(), user_id: u1.id, jti: 'j1' })
  await m.BlacklistedToken.query().insert({ token_id: tok.id })
  const group = await m.Group.query().insert({ name: 'G' })
  await knex('authentication_userprofile_groups').insert({ userprofile_id: u1.id, group_id: group.id })
  await knex('django_admin_log').insert({
    action_time: nowDb(), object_id: null, object_repr: 'x', action_flag: 1, change_message: '', content_type_id: null, user_id: u1.id,
  })
  return { m, c1, c2, p1, p2, q1, admin, u1, u2, v1, area, bot, other, s1, s2, sv, tok }
}

const count = async (knex: Knex, table: string, where: Record<string, unknown> = {}) =>
  Number((await knex(table).where(where).count({ n: '*' }))[0].n)

await forEachDialect(t, async (t, db) => {
  const knex = createKnex(db.url)
  t.teardown(() => knex.destroy())
  await migrateToLatest(knex, silentLog)

  const fresh = async () => {
    for (const table of ['token_blacklist_blacklistedtoken', 'token_blacklist_outstandingtoken', 'django_admin_log', 'authentication_chatfavorite',
      'authentication_chatsession', 'authentication_projects_bots', 'authentication_projects_agents', 'authentication_projects_users',
      'authentication_userprofile_groups', 'auth_group', 'authentication_userinvites', 'authentication_invite', 'authentication_boards', 'kb_links',
      'authentication_projects', 'authentication_userprofile', 'agents', 'expertise_areas', 'authentication_clients']) {
      await knex(table).delete()
    }
    return world(knex)
  }

  await t.test('bot', async (t) => {
    const w = await fresh()
    const before = (await w.m.ExpertiseArea.query().findById(w.area.id))!
    t.equal(await deleteBot(knex, toUuid(w.bot.id)), 1)
    t.equal(await count(knex, 'agents', { id: w.bot.id }), 0)
    t.equal(await count(knex, 'authentication_chatsession', { agent_id: w.bot.id }), 0)
    t.equal(await count(knex, 'authentication_chatfavorite', { agent_id: w.bot.id }), 0)
    t.equal(await count(knex, 'authentication_chatfavorite', { message_id: 'mx' }), 0, "favorites of the bot's sessions")
    t.equal(await count(knex, 'authentication_projects_bots', { bots_id: w.bot.id }), 0)
    t.equal(await count(knex, 'authentication_chatfavorite', { message_id: 'm2' }), 1, "the other bot's favorite stays")
    t.equal(await count(knex, 'authentication_projects'), 3, 'projects stay')
    t.same((await w.m.ExpertiseArea.query().findById(w.area.id))!, before, 'area untouched')
  })

  await t.test('expertise area: SET NULL without touching updated_at', async (t) => {
    const w = await fresh()
    t.equal(await deleteExpertiseArea(knex, w.area.id), 1)
    const bot = (await w.m.Bot.query().findById(w.bot.id))!
    t.equal(bot.expertise_area_id, null)
    t.equal(bot.updated_at, null)
  })

  await t.test('user', async (t) => {
    const w = await fresh()
    t.equal(await deleteUser(knex, w.u1.id), 1)
    t.equal(await count(knex, 'authentication_userprofile', { id: w.u1.id }), 0)
    for (const [table, col] of [['authentication_chatsession', 'user_id'], ['authentication_chatfavorite', 'user_id'],
      ['authentication_projects_users', 'userprofile_id'], ['authentication_userprofile_groups', 'userprofile_id'],
      ['authentication_userinvites', 'user_id'], ['authentication_invite', 'sender_id'], ['django_admin_log', 'user_id']]) {
      t.equal(await count(knex, table, { [col]: w.u1.id }), 0, `${table} rows of the user`)
    }
    t.equal(await count(knex, 'authentication_chatfavorite', { message_id: 'mx' }), 0, "others' favorites in the user's sessions")
    const tok = await knex('token_blacklist_outstandingtoken').where('id', w.tok.id).first()
    t.equal(tok.user_id, null, 'outstanding token kept with user_id NULL')
    t.equal(await count(knex, 'token_blacklist_blacklistedtoken', { token_id: w.tok.id }), 1, 'blacklist kept')
    t.equal(await count(knex, 'authentication_projects', { id: w.p1.id }), 1)
    t.equal(await count(knex, 'authentication_userprofile'), 3)
  })

  await t.test('project (legacy M2M and hyphenated through rows included)', async (t) => {
    const w = await fresh()
    t.same(await countHyphenatedIds(knex), { 'authentication_projects_bots.projects_id': 1 }, 'the startup count sees it')
    t.equal(await deleteProject(knex, `{${toUuid(w.p2.id)}}`), 1)
    t.equal(await count(knex, 'authentication_projects', { id: w.p2.id }), 0)
    t.equal(await count(knex, 'authentication_projects_agents'), 0)
    t.equal(await count(knex, 'authentication_projects_bots', { projects_id: toUuid(w.p2.id) }), 0)
    t.equal(await count(knex, 'authentication_projects_users', { projects_id: w.p2.id }), 0)
    t.equal(await count(knex, 'authentication_userprofile', { id: w.u2.id }), 1, 'members are not deleted')
    t.equal(await deleteProject(knex, w.p1.id), 1)
    for (const table of ['authentication_boards', 'authentication_invite', 'kb_links']) {
      t.equal(await count(knex, table, { project_id: w.p1.id }), 0, table)
    }
  })

  await t.test('client: its projects and users go, the other tenant stays', async (t) => {
    const w = await fresh()
    t.equal(await deleteClient(knex, w.c1.id), 1)
    t.equal(await count(knex, 'authentication_projects', { client_id: w.c1.id }), 0)
    t.equal(await count(knex, 'authentication_userprofile', { client_id: w.c1.id }), 0)
    t.equal(await count(knex, 'authentication_boards', { client_id: w.c1.id }), 0)
    t.equal(await count(knex, 'authentication_invite', { client_id: w.c1.id }), 0)
    t.equal(await count(knex, 'authentication_projects', { id: w.q1.id }), 1)
    t.equal(await count(knex, 'authentication_userprofile', { id: w.v1.id }), 1)
    t.equal(await count(knex, 'authentication_userprofile', { id: w.admin.id }), 1)
    t.equal(await count(knex, 'authentication_chatsession', { id: w.sv.id }), 1)
    t.equal(await count(knex, 'authentication_invite', { email: 'i3@x.io' }), 1)
    t.equal(await count(knex, 'authentication_invite', { email: 'i2@x.io' }), 0, 'invites sent by deleted users go too')
  })

  await t.test('chat session, outstanding token, unknown and malformed ids', async (t) => {
    const w = await fresh()
    t.equal(await deleteChatSession(knex, w.s1.id), 1)
    t.equal(await count(knex, 'authentication_chatfavorite', { session_id: w.s1.id }), 0)
    t.equal(await deleteOutstandingToken(knex, w.tok.id), 1)
    t.equal(await count(knex, 'token_blacklist_blacklistedtoken'), 0)
    for (const plan of [deleteUser, deleteProject, deleteClient, deleteBot, deleteExpertiseArea, deleteChatSession]) {
      t.equal(await plan(knex, 'not-a-uuid'), 0)
      t.equal(await plan(knex, '00000000000000000000000000000000'), 0)
    }
  })

  await t.test('one transaction: a failure part-way leaves everything in place', async (t) => {
    const w = await fresh()
    await knex.raw(db.dialect === 'mysql'
      ? 'CREATE TABLE extra_ref (user_id char(32) NOT NULL, FOREIGN KEY (user_id) REFERENCES authentication_userprofile (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci'
      : 'CREATE TABLE extra_ref (user_id char(32) NOT NULL REFERENCES authentication_userprofile (id))')
    t.teardown(() => knex.schema.dropTableIfExists('extra_ref'))
    await knex('extra_ref').insert({ user_id: w.u1.id })
    await t.rejects(deleteUser(knex, w.u1.id))
    t.equal(await count(knex, 'authentication_chatsession', { user_id: w.u1.id }), 2, 'sessions still there')
    t.equal(await count(knex, 'authentication_projects_users', { userprofile_id: w.u1.id }), 1, 'membership still there')
    t.equal((await knex('token_blacklist_outstandingtoken').where('id', w.tok.id).first()).user_id, w.u1.id, 'token still linked')
    // Inside a caller's transaction the plan joins it.
    await knex('extra_ref').delete()
    await knex.transaction(async (trx) => {
      t.equal(await deleteUser(trx, w.u1.id), 1)
      await trx.rollback()
    }).catch(() => {})
    t.equal(await count(knex, 'authentication_userprofile', { id: w.u1.id }), 1, "rolled back with the caller's transaction")
  })
})
