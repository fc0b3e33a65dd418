// A new table (issue 6): who impersonated whom, when, from where. Not a Django table; no foreign
// keys, so the audit trail survives the deletion of either user.
import type { Knex } from 'knex'
import { dialectOf } from '../src/db/connection.js'
import { hasTable } from '../src/db/introspect.js'

export const IMPERSONATION_TABLE = 'enlaight_impersonation_log'

export async function up(knex: Knex): Promise<void> {
  if (await hasTable(knex, IMPERSONATION_TABLE)) return
  if (dialectOf(knex) === 'mysql') {
    await knex.raw(`CREATE TABLE \`${IMPERSONATION_TABLE}\` (
  \`id\` char(32) NOT NULL,
  \`actor_id\` char(32) NOT NULL,
  \`target_id\` char(32) NOT NULL,
  \`created_at\` datetime(6) NOT NULL,
  \`ip\` varchar(64) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`enl_impersonation_actor_idx\` (\`actor_id\`,\`created_at\`),
  KEY \`enl_impersonation_target_idx\` (\`target_id\`,\`created_at\`),
  KEY \`enl_impersonation_created_idx\` (\`created_at\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
    return
  }
  await knex.raw(`CREATE TABLE "${IMPERSONATION_TABLE}" (
  "id" char(32) COLLATE NOCASE NOT NULL PRIMARY KEY,
  "actor_id" char(32) COLLATE NOCASE NOT NULL,
  "target_id" char(32) COLLATE NOCASE NOT NULL,
  "created_at" datetime(6) NOT NULL,
  "ip" varchar(64) COLLATE NOCASE NULL
)`)
  await knex.raw(`CREATE INDEX "enl_impersonation_actor_idx" ON "${IMPERSONATION_TABLE}" ("actor_id", "created_at")`)
  await knex.raw(`CREATE INDEX "enl_impersonation_target_idx" ON "${IMPERSONATION_TABLE}" ("target_id", "created_at")`)
  await knex.raw(`CREATE INDEX "enl_impersonation_created_idx" ON "${IMPERSONATION_TABLE}" ("created_at")`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(IMPERSONATION_TABLE)
}
