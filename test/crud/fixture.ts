// Two tenants with fixed ids, reseedable in place (so a test can run many writes on one database), and a
// snapshot of every table the resource operations touch (to prove a refused request changed nothing).
import type { Knex } from 'knex'
import { toUuid } from '../../src/db/ids.js'
import { nowDb } from '../../src/db/time.js'
import type { SeedUser } from '../helpers/seed.js'

const id = (tenant: 'a' | 'b' | 'c', kind: number, n = 1) => `${tenant === 'a' ? 'aa' : tenant === 'b' ? 'bb' : 'cc'}${String(kind).padStart(2, '0')}${'0'.repeat(24)}${String(n).padStart(4, '0')}`

export const F = {
  clientA: id('a', 1), clientB: id('b', 1), clientEmpty: id('c', 1),
  projectA: id('a', 2), projectB: id('b', 2),
  botA: id('a', 3), botB: id('b', 3), botShared: id('c', 3),
  areaA: id('c', 4),
  admin: id('c', 5), mgr: id('a', 5, 1), ua: id('a', 5, 2), guest: id('a', 5, 3), ub: id('b', 5),
  boardA: id('a', 6), boardB: id('b', 6),
  sessionA: id('a', 7), sessionB: id('b', 7),
  favA: 101, favB: 102,
  keyA: 'key-alpha-session', keyB: 'key-beta-session',
  msgA: 'msg-alpha-1', msgB: 'msg-beta-1',
} as const

/** Strings that identify tenant A's rows: none may ever appear in an answer to tenant B. */
export const TENANT_A_MARKERS = [
  F.clientA, F.projectA, F.botA, F.mgr, F.ua, F.guest, F.boardA, F.sessionA,
  toUuid(F.clientA), toUuid(F.projectA), toUuid(F.botA), toUuid(F.mgr), toUuid(F.ua), toUuid(F.guest), toUuid(F.boardA), toUuid(F.sessionA),
  'Alpha Corp', 'Alpha Project', 'Alpha Bot', F.keyA, F.msgA, 'alpha secret layout', 'alpha favourite text',
]

export type Persona = 'admin' | 'mgr' | 'ua' | 'ub' | 'guest' | 'anon'
export const PERSONAS: Persona[] = ['admin', 'mgr', 'ua', 'ub', 'guest', 'anon']

export const SEED_USERS: Record<Exclude<Persona, 'anon'>, SeedUser> = {
  admin: { id: F.admin, email: 'admin@example.com', username: 'admin', role: 'ADMINISTRATOR', client_id: null },
  mgr: { id: F.mgr, email: 'mgr@alpha.example', username: 'mgr', role: 'MANAGER', client_id: F.clientA },
  ua: { id: F.ua, email: 'ua@alpha.example', username: 'ua', role: 'USER', client_id: F.clientA },
  guest: { id: F.guest, email: 'guest@alpha.example', username: 'guest', role: 'GUEST', client_id: F.clientA },
  ub: { id: F.ub, email: 'ub@beta.example', username: 'ub', role: 'USER', client_id: F.clientB },
}

export const TABLES = [
  'authentication_chatfavorite', 'authentication_chatsession', 'authentication_boards', 'authentication_projects_bots',
  'authentication_projects_users', 'authentication_invite', 'kb_links', 'agents', 'expertise_areas', 'authentication_projects',
  'authentication_userprofile', 'authentication_clients',
]

function user(u: SeedUser, t: string) {
  return {
    id: u.id, password: '!unusable', last_login: null, is_superuser: false, username: u.username, first_name: '', last_name: '',
    is_staff: false, is_active: true, date_joined: t, created_at: t, updated_at: null, email: u.email, role: u.role,
    password_reset_token: null, password_reset_token_expires_at: null, active: true, avatar: null, client_id: u.client_id,
    department: '', full_name: `${u.username} Person`, job_title: '', joined_at: '2026-11-24',
  }
}

/** Deletes every row of TABLES and inserts the two-tenant fixture again, with the same ids. */
export async function reseed(knex: Knex): Promise<void> {
  const t = '2026-11-24 12:00:00.000001'
  await knex.transaction(async trx => {
    await trx('token_blacklist_blacklistedtoken').delete()
    await trx('token_blacklist_outstandingtoken').delete()
    for (const table of TABLES) await trx(table).delete()
    await trx('authentication_clients').insert([
      { id: F.clientA, name: 'Alpha Corp', created_at: t, updated_at: null },
      { id: F.clientB, name: 'Beta Corp', created_at: t, updated_at: null },
      { id: F.clientEmpty, name: 'Empty Corp', created_at: t, updated_at: null },
    ])
    await trx('authentication_userprofile').insert(Object.values(SEED_USERS).map(u => user(u, t)))
    await trx('authentication_projects').insert([
      { id: F.projectA, name: 'Alpha Project', client_id: F.clientA, created_at: t, updated_at: null },
      { id: F.projectB, name: 'Beta Project', client_id: F.clientB, created_at: t, updated_at: null },
    ])
    await trx('authentication_projects_users').insert([
      { projects_id: F.projectA, userprofile_id: F.mgr },
      { projects_id: F.projectA, userprofile_id: F.ua },
      { projects_id: F.projectA, userprofile_id: F.guest },
      { projects_id: F.projectB, userprofile_id: F.ub },
    ])
    await trx('expertise_areas').insert({ id: F.areaA, name: 'Finance', description: null, created_at: t, updated_at: null })
    const bot = (botId: string, name: string) => ({
      id: botId, name, description: `${name} description`, avatar: null, url_n8n: 'https://n8n.example.com/webhook/x/chat',
      expertise_area_id: botId === F.botA ? F.areaA : null, created_at: t, updated_at: null,
    })
    await trx('agents').insert([bot(F.botA, 'Alpha Bot'), bot(F.botB, 'Beta Bot'), bot(F.botShared, 'Shared Bot')])
    await trx('authentication_projects_bots').insert([
      { projects_id: F.projectA, bots_id: F.botA },
      { projects_id: F.projectB, bots_id: F.botB },
      // linked to both tenants: B sees it, but never project A inside it (DECISIONS 16)
      { projects_id: F.projectA, bots_id: F.botShared },
      { projects_id: F.projectB, bots_id: F.botShared },
    ])
    await trx('authentication_boards').insert([
      { id: F.boardA, config: 'alpha secret layout', project_id: F.projectA, client_id: F.clientA, created_at: t, updated_at: null },
      { id: F.boardB, config: 'beta layout', project_id: F.projectB, client_id: F.clientB, created_at: t, updated_at: null },
    ])
    await trx('authentication_chatsession').insert([
      { id: F.sessionA, session_key: F.keyA, data: 'hello alpha', agent_id: F.botA, user_id: F.ua, created_at: t, updated_at: null },
      { id: F.sessionB, session_key: F.keyB, data: 'hello beta', agent_id: F.botB, user_id: F.ub, created_at: t, updated_at: null },
    ])
    await trx('authentication_chatfavorite').insert([
      { id: F.favA, message_id: F.msgA, text: 'alpha favourite text', created_at: t, agent_id: F.botA, session_id: F.sessionA, user_id: F.ua },
      { id: F.favB, message_id: F.msgB, text: 'beta favourite text', created_at: t, agent_id: F.botB, session_id: F.sessionB, user_id: F.ub },
    ])
  })
}

/** Every row of every resource table, in a stable order: equal snapshots = nothing changed. */
export async function snapshot(knex: Knex): Promise<string> {
  const out: Record<string, unknown[]> = {}
  for (const table of TABLES) {
    const rows = await knex(table).select('*')
    out[table] = rows.map(r => JSON.stringify(r, Object.keys(r).sort())).sort()
  }
  return JSON.stringify(out)
}

export const now = nowDb
