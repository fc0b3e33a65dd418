// Additive indexes of database.md §13 (and DECISIONS 39): created only when absent, harmless to
// Django, tolerant of the schema variants of database.md §5.4. Never alters or drops a column.
import type { Knex } from 'knex'
import { dialectOf } from '../src/db/connection.js'
import { hasTable, listIndexes } from '../src/db/introspect.js'
import { noteMigrationWarning } from '../src/db/migration-notes.js'
import { ensureIndex } from '../src/db/schema-helpers.js'

export async function up(knex: Knex): Promise<void> {
  // §13.2 chat sessions: "newest 6 of a user" and the (user, agent, session_key) lookup.
  await ensureIndex(knex, { table: 'authentication_chatsession', name: 'enl_chatsession_user_created_idx', columns: ['user_id', 'created_at'] })
  await ensureIndex(knex, {
    table: 'authentication_chatsession', name: 'enl_chatsession_user_agent_key_idx',
    columns: ['user_id', 'agent_id', 'session_key'], prefix: { session_key: 191 },
  })

  // §13.3 favorites listed per user, newest first.
  await ensureIndex(knex, { table: 'authentication_chatfavorite', name: 'enl_chatfavorite_user_created_idx', columns: ['user_id', 'created_at'] })

  // §13.5 token pruning.
  await ensureIndex(knex, { table: 'token_blacklist_outstandingtoken', name: 'enl_outstandingtoken_expires_at_idx', columns: ['expires_at'] })

  // Membership joins from the user side ("my projects"): (userprofile_id, projects_id) keeps list
  // queries index-only whatever the table size. The project side is served by Django's unique key.
  await ensureIndex(knex, { table: 'authentication_projects_users', name: 'enl_apu_user_project_idx', columns: ['userprofile_id', 'projects_id'] })

  // §13.1 the agents through table: de-duplicate, then the keys Django's migration state already
  // believes exist (uq_projects_agents, authenticat_project_f20c07_idx, authenticat_bots_id_f2cf4d_idx).
  const through = 'authentication_projects_bots'
  if (await hasTable(knex, through)) {
    const indexes = await listIndexes(knex, through)
    const hasUnique = indexes.some((i) => i.unique && i.columns.length === 2 &&
      i.columns.map((c) => c.toLowerCase()).sort().join(',') === 'bots_id,projects_id')
    if (!hasUnique) {
      const removed = await removeDuplicatePairs(knex)
      if (removed > 0) {
        noteMigrationWarning(`removed ${removed} duplicate (projects_id, bots_id) rows from ${through} before adding uq_projects_agents`, { removed })
      }
      await ensureIndex(knex, { table: through, name: 'uq_projects_agents', columns: ['projects_id', 'bots_id'], unique: true })
    }
    await ensureIndex(knex, { table: through, name: 'authenticat_project_f20c07_idx', columns: ['projects_id'] })
    await ensureIndex(knex, { table: through, name: 'authenticat_bots_id_f2cf4d_idx', columns: ['bots_id'] })
  }
}

/** Keep the lowest id of each (projects_id, bots_id) pair. Returns the number of rows deleted. */
async function removeDuplicatePairs(knex: Knex): Promise<number> {
  if (dialectOf(knex) === 'mysql') {
    const res = await knex.raw(
      `DELETE t1 FROM authentication_projects_bots t1
         JOIN authentication_projects_bots t2
           ON t1.projects_id = t2.projects_id AND t1.bots_id = t2.bots_id AND t1.id > t2.id`)
    return Number((res as Array<{ affectedRows?: number }>)[0]?.affectedRows ?? 0)
  }
  const res = await knex.raw(
    `DELETE FROM authentication_projects_bots
      WHERE id NOT IN (SELECT MIN(id) FROM authentication_projects_bots GROUP BY projects_id, bots_id)`)
  return Number((res as { changes?: number })?.changes ?? 0)
}

export async function down(): Promise<void> {
  // Additive and harmless; never removed automatically.
}
