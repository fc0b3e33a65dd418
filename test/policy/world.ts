// A small multi-tenant world for the policy tests: two clients, every role, shared and private rows.
// Seeded straight through knex/models (no policy involved).
import type { Knex } from 'knex'
import { bindModels, type Models, type User } from '../../src/models/index.js'
import { createSeeder, type SeedRow, type SeedUser } from '../helpers/seed.js'

export const PERSONAS = ['admin', 'legacyAdmin', 'managerA', 'userA', 'guestA', 'weird', 'userB', 'managerB', 'loner'] as const
export type Persona = (typeof PERSONAS)[number]

export interface World {
  models: Models
  users: Record<Persona, User>
  clients: Record<'cA' | 'cB', SeedRow>
  projects: Record<'pA1' | 'pA2' | 'pB1' | 'pEmpty', SeedRow>
  bots: Record<'botA' | 'botShared' | 'botB' | 'botOrphan', SeedRow>
  /** name -> id for every seeded row of each subject (names are unique per subject). */
  ids: Record<string, Record<string, string | number>>
}

export async function seedWorld(knex: Knex): Promise<World> {
  const seed = createSeeder(knex)
  const models = bindModels(knex)
  const cA = await seed.client('cA')
  const cB = await seed.client('cB')
  const u: Record<string, SeedUser> = {
    admin: await seed.user({ name: 'admin', role: 'ADMINISTRATOR', client: cA }),
    legacyAdmin: await seed.user({ name: 'legacyAdmin', role: 'admin' }),
    managerA: await seed.user({ name: 'managerA', role: 'MANAGER', client: cA }),
    userA: await seed.user({ name: 'userA', role: 'USER', client: cA }),
    guestA: await seed.user({ name: 'guestA', role: 'GUEST', client: cA }),
    weird: await seed.user({ name: 'weird', role: 'SUPERVISOR', client: cB }),
    userB: await seed.user({ name: 'userB', role: 'USER', client: cB }),
    managerB: await seed.user({ name: 'managerB', role: 'manager', client: cB }),
    loner: await seed.user({ name: 'loner', role: 'USER' }),
  }
  const botA = await seed.bot({ name: 'botA' })
  const botShared = await seed.bot({ name: 'botShared' })
  const botB = await seed.bot({ name: 'botB' })
  const botOrphan = await seed.bot({ name: 'botOrphan' })
  const pA1 = await seed.project({ name: 'pA1', client: cA, members: [u.managerA, u.userA, u.guestA], bots: [botA] })
  const pA2 = await seed.project({ name: 'pA2', client: cA, members: [u.userA], bots: [botShared] })
  const pB1 = await seed.project({ name: 'pB1', client: cB, members: [u.userB, u.managerB, u.weird], bots: [botShared, botB] })
  const pEmpty = await seed.project({ name: 'pEmpty', client: cA })

  const e1 = await models.ExpertiseArea.query().insert({ name: 'e1', description: null })
  await models.ExpertiseArea.query().insert({ name: 'e2', description: 'second' })
  await models.Bot.query().patch({ expertise_area_id: e1.id } as any).where('id', botA.id)

  for (const p of [pA1, pB1, pEmpty]) {
    await models.Board.query().insert({ config: `{"board":"${p.name}"}`, project_id: p.id, client_id: p.client_id } as any)
  }
  const kb = [['kA1', pA1, 'ext-a1'], ['kA2', pA2, 'ext-a2'], ['kB1', pB1, 'ext-b1'], ['kSharedA', pA1, 'ext-shared'], ['kSharedB', pB1, 'ext-shared']] as const
  for (const [name, p, ext] of kb) await models.KbLink.query().insert({ name, external_id: ext, project_id: p.id } as any)

  const sessions = [['sUserA', u.userA, botA], ['sUserA2', u.userA, botShared], ['sUserB', u.userB, botB], ['sAdmin', u.admin, botOrphan], ['sGuest', u.guestA, botA]] as const
  const sessionIds: Record<string, string> = {}
  for (const [key, user, bot] of sessions) {
    const s = await models.ChatSession.query().insert({ session_key: key, data: null, agent_id: bot.id, user_id: user.id } as any)
    sessionIds[key] = s.id
  }
  const favs = [['fUserA', u.userA, botA, 'sUserA'], ['fUserB', u.userB, botB, 'sUserB'], ['fAdmin', u.admin, botOrphan, 'sAdmin']] as const
  for (const [msg, user, bot, session] of favs) {
    await models.ChatFavorite.query().insert({ message_id: msg, text: msg, agent_id: bot.id, session_id: sessionIds[session], user_id: user.id } as any)
  }
  const invites = [['inv1@example.com', u.managerA, cA, pA1, 'USER'], ['inv2@example.com', u.admin, cB, pB1, 'ADMINISTRATOR'], ['inv3@example.com', u.admin, cA, pA2, 'MANAGER']] as const
  for (const [email, sender, client, project, role] of invites) {
    await models.Invite.query().insert({ email, sender_id: sender.id, client_id: client.id, project_id: project.id, role } as any)
  }
  await models.Group.query().insert({ name: 'Admins' } as any)

  const users = {} as Record<Persona, User>
  for (const p of PERSONAS) users[p] = (await models.User.query().findById(u[p].id))!

  const ids: World['ids'] = {}
  const label: Record<string, string> = { User: 'username', ChatSession: 'session_key', ChatFavorite: 'message_id', Invite: 'email', Board: 'config' }
  for (const subject of SUBJECTS) {
    const rows = await (models as any)[subject].query()
    ids[subject] = Object.fromEntries(rows.map((r: any) => [r[label[subject] ?? 'name'], r.id]))
  }
  return {
    models, users, clients: { cA, cB },
    projects: { pA1, pA2, pB1, pEmpty }, bots: { botA, botShared, botB, botOrphan }, ids,
  }
}

export const SUBJECTS = ['Project', 'Bot', 'Client', 'ExpertiseArea', 'Board', 'KbLink', 'ChatSession', 'ChatFavorite', 'Invite', 'User', 'Group'] as const
export const ACTIONS = ['read', 'create', 'update', 'delete', 'manage'] as const
