// DECISIONS.md's role x resource matrix, row by row: each persona sees and may change exactly its rows.
import t from 'tap'
import { loadPolicies } from '../../src/engine/policy/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { PERSONAS, seedWorld, type Persona } from './world.js'

const db = await createTestDatabase()
t.teardown(() => db.destroy())
const world = await seedWorld(db.knex)
const policies = loadPolicies('policies', world.models)

type Who = Persona | 'anonymous'
const ALL_USERS = ['admin', 'legacyAdmin', 'managerA', 'userA', 'guestA', 'weird', 'userB', 'managerB', 'loner']

/** Names of the rows the list scope returns, sorted. */
async function visible(who: Who, action: string, subject: string): Promise<string[]> {
  const user = who === 'anonymous' ? null : world.users[who]
  const ids = new Set((await policies.scope((world.models as any)[subject].query(), user, action, subject)).map((r: any) => r.id))
  return Object.entries(world.ids[subject]).filter(([, id]) => ids.has(id)).map(([name]) => name).sort()
}

function expectRows(subject: string, action: string, expected: Partial<Record<Who, string[]>>) {
  t.test(`${action} ${subject}`, async (t) => {
    for (const who of [...PERSONAS, 'anonymous'] as Who[]) {
      t.same(await visible(who, action, subject), [...(expected[who] ?? [])].sort(), `${who}`)
    }
  })
}

const allOf = (subject: string) => Object.keys(world.ids[subject])
const admins = (rows: string[]) => ({ admin: rows, legacyAdmin: rows })

t.test('roles come from the stored role value', async (t) => {
  const roles = Object.fromEntries(PERSONAS.map((p) => [p, policies.roleOf(world.users[p])]))
  t.same(roles, {
    admin: 'ADMINISTRATOR', legacyAdmin: 'ADMINISTRATOR', managerA: 'MANAGER', userA: 'USER', guestA: 'GUEST',
    weird: 'GUEST', userB: 'USER', managerB: 'MANAGER', loner: 'USER',
  }, 'ADMIN/admin = ADMINISTRATOR; case ignored; unknown SUPERVISOR = GUEST')
  t.equal(policies.roleOf(null), 'ANONYMOUS')
  t.equal(policies.roleOf({ id: 'x', role: null }), 'GUEST', 'a missing role counts as GUEST')
  t.equal(policies.roleOf({ id: 'x', role: ' Administrator ' }), 'ADMINISTRATOR')
})

// projects: read all / mem; write and attach (update) admin only
expectRows('Project', 'read', {
  ...admins(allOf('Project')), managerA: ['pA1'], userA: ['pA1', 'pA2'], guestA: ['pA1'], weird: ['pB1'], userB: ['pB1'], managerB: ['pB1'],
})
for (const action of ['create', 'update', 'delete']) expectRows('Project', action, admins(allOf('Project')))

// bots: read all / bots of member projects; write admin only
expectRows('Bot', 'read', {
  ...admins(allOf('Bot')), managerA: ['botA'], userA: ['botA', 'botShared'], guestA: ['botA'],
  weird: ['botB', 'botShared'], userB: ['botB', 'botShared'], managerB: ['botB', 'botShared'],
})
for (const action of ['create', 'update', 'delete']) expectRows('Bot', action, admins(allOf('Bot')))

// clients: read all / own; write admin only
expectRows('Client', 'read', {
  ...admins(['cA', 'cB']), managerA: ['cA'], userA: ['cA'], guestA: ['cA'], weird: ['cB'], userB: ['cB'], managerB: ['cB'],
})
for (const action of ['update', 'delete']) expectRows('Client', action, admins(['cA', 'cB']))

// expertise areas: every signed-in user reads; admins write
expectRows('ExpertiseArea', 'read', Object.fromEntries(ALL_USERS.map((u) => [u, ['e1', 'e2']])))
expectRows('ExpertiseArea', 'update', admins(['e1', 'e2']))

// boards: read mem (admins by id: all); save: admin all, MANAGER/USER mem, GUEST none
const board = (p: string) => `{"board":"${p}"}`
expectRows('Board', 'read', {
  ...admins(allOf('Board')), managerA: [board('pA1')], userA: [board('pA1')], guestA: [board('pA1')],
  weird: [board('pB1')], userB: [board('pB1')], managerB: [board('pB1')],
})
expectRows('Board', 'update', { ...admins(allOf('Board')), managerA: [board('pA1')], userA: [board('pA1')], userB: [board('pB1')], managerB: [board('pB1')] })

// knowledge bases: read all / mem; write all / MANAGER, USER mem
const kbA = ['kA1', 'kSharedA']
expectRows('KbLink', 'read', {
  ...admins(allOf('KbLink')), managerA: kbA, userA: [...kbA, 'kA2'], guestA: kbA,
  weird: ['kB1', 'kSharedB'], userB: ['kB1', 'kSharedB'], managerB: ['kB1', 'kSharedB'],
})
for (const action of ['update', 'delete']) {
  expectRows('KbLink', action, { ...admins(allOf('KbLink')), managerA: kbA, userA: [...kbA, 'kA2'], userB: ['kB1', 'kSharedB'], managerB: ['kB1', 'kSharedB'] })
}

// chat sessions and favorites: own rows only, admins included
for (const action of ['read', 'delete']) {
  expectRows('ChatSession', action, { admin: ['sAdmin'], userA: ['sUserA', 'sUserA2'], guestA: ['sGuest'], userB: ['sUserB'] })
  expectRows('ChatFavorite', action, { admin: ['fAdmin'], userA: ['fUserA'], userB: ['fUserB'] })
}

// users, groups, invites: admins only (the user list answers [] to everyone else)
expectRows('User', 'read', admins(allOf('User')))
expectRows('Group', 'read', admins(['Admins']))
expectRows('Invite', 'read', admins(allOf('Invite')))

t.test('creates: rows that do not exist yet (canWith)', async (t) => {
  const { users, projects, bots, clients } = world
  const may = (who: Persona, action: string, subject: string, values: Record<string, unknown>) =>
    policies.canWith(world.users[who], action, subject, values)

  // DECISIONS 17: a chat session only with a visible bot, and only for oneself
  t.equal(await may('userA', 'create', 'ChatSession', { user_id: users.userA.id, agent_id: bots.botShared.id }), true, 'member bot')
  t.equal(await may('userA', 'create', 'ChatSession', { user_id: users.userA.id, agent_id: bots.botB.id }), false, 'bot of another tenant')
  t.equal(await may('userA', 'create', 'ChatSession', { user_id: users.userB.id, agent_id: bots.botA.id }), false, 'for someone else')
  t.equal(await may('guestA', 'create', 'ChatSession', { user_id: users.guestA.id, agent_id: bots.botA.id }), true, 'guests keep their chats')
  t.equal(await may('admin', 'create', 'ChatSession', { user_id: users.admin.id, agent_id: bots.botOrphan.id }), true, 'admins: any bot')
  t.equal(await may('admin', 'create', 'ChatSession', { user_id: users.userA.id, agent_id: bots.botA.id }), false, 'admins: not for others')

  // invite: admin all; manager into member projects, never as ADMINISTRATOR; others never
  t.equal(await may('managerA', 'create', 'Invite', { project_id: projects.pA1.id, client_id: clients.cA.id, role: 'USER' }), true)
  t.equal(await may('managerA', 'create', 'Invite', { project_id: projects.pA1.id, client_id: clients.cA.id, role: 'MANAGER' }), true)
  t.equal(await may('managerA', 'create', 'Invite', { project_id: projects.pA1.id, client_id: clients.cA.id, role: 'ADMINISTRATOR' }), false)
  t.equal(await may('managerA', 'create', 'Invite', { project_id: projects.pB1.id, client_id: clients.cB.id, role: 'USER' }), false)
  t.equal(await may('userA', 'create', 'Invite', { project_id: projects.pA1.id, client_id: clients.cA.id, role: 'USER' }), false)
  t.equal(await may('admin', 'create', 'Invite', { project_id: projects.pB1.id, client_id: clients.cB.id, role: 'ADMINISTRATOR' }), true)

  // boards and KB links: into member projects (MANAGER, USER), never for guests
  t.equal(await may('userA', 'create', 'Board', { project_id: projects.pA2.id, config: '{}' }), true)
  t.equal(await may('userA', 'create', 'Board', { project_id: projects.pB1.id, config: '{}' }), false)
  t.equal(await may('guestA', 'create', 'Board', { project_id: projects.pA1.id, config: '{}' }), false)
  t.equal(await may('userA', 'update', 'KbLink', { id: 'x', project_id: projects.pA2.id }), true, 'moving a link into a member project')
  t.equal(await may('userA', 'update', 'KbLink', { id: 'x', project_id: projects.pB1.id }), false, 'moving a link out to another tenant')
  t.equal(await may('guestA', 'create', 'KbLink', { project_id: projects.pA1.id }), false)

  // favorites: only in one's own session
  const sUserA = world.ids.ChatSession.sUserA
  const sUserB = world.ids.ChatSession.sUserB
  t.equal(await may('userA', 'create', 'ChatFavorite', { user_id: users.userA.id, session_id: sUserA, agent_id: bots.botA.id }), true)
  t.equal(await may('userA', 'create', 'ChatFavorite', { user_id: users.userA.id, session_id: sUserB, agent_id: bots.botB.id }), false)

  // admin-only creations
  for (const subject of ['Project', 'Bot', 'Client', 'ExpertiseArea', 'User', 'Group']) {
    t.equal(await may('admin', 'create', subject, { client_id: clients.cA.id }), true, `admin creates ${subject}`)
    t.equal(await may('managerA', 'create', subject, { client_id: clients.cA.id }), false, `manager does not create ${subject}`)
  }
})

t.test('type-level checks (may I ever?)', async (t) => {
  const can = (who: Who, action: string, subject: string) => policies.can(who === 'anonymous' ? null : world.users[who], action, subject)
  t.equal(can('admin', 'manage', 'User'), true, 'login-as: admins')
  t.equal(can('managerA', 'manage', 'User'), false)
  t.equal(can('admin', 'read', 'OutstandingToken'), true, 'check-token: admins')
  t.equal(can('userA', 'read', 'OutstandingToken'), false)
  t.equal(can('managerA', 'create', 'Invite'), true, 'managers may invite (into member projects)')
  t.equal(can('userA', 'create', 'Invite'), false)
  t.equal(can('guestA', 'update', 'Board'), false, 'guests are read-only')
  t.equal(can('userA', 'read', 'User'), false, 'the user list is [] for non-admins')
  for (const subject of ['Project', 'Bot', 'Client', 'ExpertiseArea', 'Board', 'KbLink', 'ChatSession', 'ChatFavorite', 'User']) {
    t.equal(can('anonymous', 'read', subject), false, `anonymous reads no ${subject}`)
  }
})
