// Deletes as Django runs them (database.md §6): the FKs are RESTRICT in the database, Django emulates
// CASCADE/SET_NULL in Python, children first, in one transaction. Each plan takes a knex instance or a
// transaction (a plain knex instance gets its own transaction) and an id in any accepted UUID
// spelling, and returns the number of main rows deleted (0 = not found, or not a UUID).
//
// Set-based: every step is one statement per chunk of 500 ids, whatever the number of children.
import type { Knex } from 'knex'
import { toHex, toUuid } from './ids.js'

type Db = Knex | Knex.Transaction
export type DeletePlan = (db: Db, id: unknown) => Promise<number>

function inTransaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if ((db as Knex.Transaction).isTransaction) return fn(db as Knex.Transaction)
  return (db as Knex).transaction(fn)
}

/** The char(36) through table may hold hyphenated spellings (database.md §14.2): match both. */
function throughValues(hex: string): string[] {
  return [hex, toUuid(hex)]
}

// ---- building blocks on lists of ids (chunked; MySQL forbids a subquery on the table it deletes from)

const CHUNK = 500
function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK))
  return out
}

async function deleteUsers(trx: Knex.Transaction, ids: string[]): Promise<number> {
  let n = 0
  for (const users of chunks(ids)) {
    const sessions = (qb: Knex.QueryBuilder) => qb.select('id').from('authentication_chatsession').whereIn('user_id', users)
    await trx('authentication_chatfavorite').whereIn('session_id', sessions).delete()
    await trx('django_admin_log').whereIn('user_id', users).delete()
    await trx('authentication_projects_users').whereIn('userprofile_id', users).delete()
    await trx('authentication_userprofile_groups').whereIn('userprofile_id', users).delete()
    await trx('authentication_userprofile_user_permissions').whereIn('userprofile_id', users).delete()
    await trx('authentication_chatfavorite').whereIn('user_id', users).delete()
    await trx('authentication_invite').whereIn('sender_id', users).delete()
    await trx('authentication_userinvites').whereIn('user_id', users).delete()
    await trx('token_blacklist_outstandingtoken').whereIn('user_id', users).update({ user_id: null }) // SET_NULL
    await trx('authentication_chatsession').whereIn('user_id', users).delete()
    n += await trx('authentication_userprofile').whereIn('id', users).delete()
  }
  return n
}

async function deleteProjects(trx: Knex.Transaction, ids: string[]): Promise<number> {
  let n = 0
  const legacy = await legacyAgentsTable(trx)
  for (const projects of chunks(ids)) {
    await trx('authentication_projects_users').whereIn('projects_id', projects).delete()
    await trx('authentication_projects_bots').whereIn('projects_id', projects.flatMap(throughValues)).delete()
    await trx('authentication_boards').whereIn('project_id', projects).delete()
    await trx('authentication_invite').whereIn('project_id', projects).delete()
    await trx('kb_links').whereIn('project_id', projects).delete()
    // Legacy M2M (database.md §3.8): empty on fresh installs, but its RESTRICT FK would block.
    if (legacy) await trx('authentication_projects_agents').whereIn('projects_id', projects).delete()
    n += await trx('authentication_projects').whereIn('id', projects).delete()
  }
  return n
}

const legacyCache = new WeakMap<object, boolean>()
async function legacyAgentsTable(trx: Knex.Transaction): Promise<boolean> {
  const key = trx.client.config as object
  const hit = legacyCache.get(key)
  if (hit !== undefined) return hit
  const has = await trx.schema.hasTable('authentication_projects_agents')
  legacyCache.set(key, has)
  return has
}

// ---- the plans -----------------------------------------------------------------------------------

export const deleteUser: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, (trx) => deleteUsers(trx, [hex]))
}

export const deleteProject: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, (trx) => deleteProjects(trx, [hex]))
}

/**
 * Client C: its projects (as deleteProject), its users (as deleteUser: yes, Django deletes a client's
 * users), then boards and invites pointing at C, then C. DECISIONS 14 answers 409 before calling this
 * when users or projects remain; the full plan stays here for completeness.
 */
export const deleteClient: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, async (trx) => {
    const projectIds = (await trx('authentication_projects').where('client_id', hex).pluck('id')) as string[]
    await deleteProjects(trx, projectIds)
    const userIds = (await trx('authentication_userprofile').where('client_id', hex).pluck('id')) as string[]
    await deleteUsers(trx, userIds)
    await trx('authentication_boards').where('client_id', hex).delete()
    await trx('authentication_invite').where('client_id', hex).delete()
    return trx('authentication_clients').where('id', hex).delete()
  })
}

export const deleteBot: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, async (trx) => {
    const sessions = (qb: Knex.QueryBuilder) => qb.select('id').from('authentication_chatsession').where('agent_id', hex)
    await trx('authentication_chatfavorite').whereIn('session_id', sessions).delete()
    await trx('authentication_projects_bots').whereIn('bots_id', throughValues(hex)).delete()
    await trx('authentication_chatfavorite').where('agent_id', hex).delete()
    await trx('authentication_chatsession').where('agent_id', hex).delete()
    if (await legacyAgentsTable(trx)) await trx('authentication_projects_agents').where('agents_id', hex).delete()
    return trx('agents').where('id', hex).delete()
  })
}

export const deleteExpertiseArea: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, async (trx) => {
    // SET_NULL via QuerySet.update(): agents.updated_at is not touched.
    await trx('agents').where('expertise_area_id', hex).update({ expertise_area_id: null })
    return trx('expertise_areas').where('id', hex).delete()
  })
}

export const deleteChatSession: DeletePlan = (db, id) => {
  const hex = toHex(id)
  if (!hex) return Promise.resolve(0)
  return inTransaction(db, async (trx) => {
    await trx('authentication_chatfavorite').where('session_id', hex).delete()
    return trx('authentication_chatsession').where('id', hex).delete()
  })
}

export const deleteOutstandingToken: DeletePlan = (db, id) => {
  const n = Number(id)
  if (!Number.isSafeInteger(n)) return Promise.resolve(0)
  return inTransaction(db, async (trx) => {
    await trx('token_blacklist_blacklistedtoken').where('token_id', n).delete()
    return trx('token_blacklist_outstandingtoken').where('id', n).delete()
  })
}

/** Plans by model name (src/models/index.ts), for the CRUD engine's `x-crud` delete action. */
export const deletePlans: Record<string, DeletePlan> = {
  User: deleteUser,
  Project: deleteProject,
  Client: deleteClient,
  Bot: deleteBot,
  ExpertiseArea: deleteExpertiseArea,
  ChatSession: deleteChatSession,
  OutstandingToken: deleteOutstandingToken,
}
