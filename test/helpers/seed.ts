// Seeds rows straight through knex (no policy, no HTTP), with every NOT NULL column the original writes.
import { pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto'
import type { Knex } from 'knex'

export const SEED_PASSWORD = 'Seed-pass-2026'
// A cheap hash in Django's format (1,000 iterations): verifies like any stored hash, keeps seeding fast.
const SALT = 'seedsaltseedsaltseed12'
const SEED_HASH = `pbkdf2_sha256$1000$${SALT}$${pbkdf2Sync(SEED_PASSWORD, SALT, 1000, 32, 'sha256').toString('base64')}`

export interface SeedUser { id: string, email: string, username: string, role: string, client_id: string | null }
export interface SeedRow { id: string, name: string }

const hex = () => randomUUID().replaceAll('-', '')
const now = () => new Date()
const today = () => new Date().toISOString().slice(0, 10)

export function createSeeder(knex: Knex) {
  return {
    async client(name = `Client ${hex().slice(0, 6)}`): Promise<SeedRow> {
      const row = { id: hex(), name, created_at: now(), updated_at: null }
      await knex('authentication_clients').insert(row)
      return { id: row.id, name }
    },

    async user(spec: { name?: string, email?: string, role?: string, client?: SeedRow | null, isActive?: boolean } = {}): Promise<SeedUser> {
      const username = spec.name ?? `user_${randomBytes(3).toString('hex')}`
      const row = {
        id: hex(), password: SEED_HASH, last_login: null, is_superuser: false, username,
        first_name: username.slice(0, 30), last_name: 'Test', is_staff: false, is_active: spec.isActive ?? true,
        date_joined: now(), created_at: now(), updated_at: null, email: spec.email ?? `${username}@example.com`,
        role: spec.role ?? 'USER', password_reset_token: null, password_reset_token_expires_at: null, active: true,
        avatar: null, client_id: spec.client?.id ?? null, department: '', full_name: '', job_title: '', joined_at: today(),
      }
      await knex('authentication_userprofile').insert(row)
      return { id: row.id, email: row.email, username, role: row.role, client_id: row.client_id }
    },

    async project(spec: { name?: string, client: SeedRow, members?: SeedUser[], bots?: SeedRow[] }): Promise<SeedRow & { client_id: string }> {
      const row = { id: hex(), name: spec.name ?? `Project ${hex().slice(0, 6)}`, client_id: spec.client.id, created_at: now(), updated_at: null }
      await knex('authentication_projects').insert(row)
      for (const member of spec.members ?? []) {
        await knex('authentication_projects_users').insert({ projects_id: row.id, userprofile_id: member.id })
      }
      for (const bot of spec.bots ?? []) {
        await knex('authentication_projects_bots').insert({ projects_id: row.id, bots_id: bot.id })
      }
      return { id: row.id, name: row.name, client_id: row.client_id }
    },

    async bot(spec: { name?: string, url?: string } = {}): Promise<SeedRow> {
      const row = {
        id: hex(), name: spec.name ?? `Bot ${hex().slice(0, 6)}`, description: null, avatar: null,
        url_n8n: spec.url ?? 'http://127.0.0.1:5678/webhook/x/chat', expertise_area_id: null, created_at: now(), updated_at: null,
      }
      await knex('agents').insert(row)
      return { id: row.id, name: row.name }
    },
  }
}

export type Seeder = ReturnType<typeof createSeeder>
