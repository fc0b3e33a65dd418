// The first administrator (database.md §8.1 values, UTC timestamps). Never truncates anything.
import type { Knex } from 'knex'
import { classifyDbError } from './errors.js'
import { newId } from './ids.js'
import { nowDb, todaySaoPaulo } from './time.js'

export interface EnsureAdminOptions {
  email: string
  password: string
  hashPassword: (plain: string) => Promise<string>
  /** DECISIONS 38 reading: also skip when any ADMINISTRATOR/ADMIN already exists. Default false. */
  onlyIfNoAdmin?: boolean
}

export interface EnsureAdminResult {
  created: boolean
  id: string | null
  reason?: 'email_exists' | 'admin_exists'
}

interface Log { info: (obj: unknown, msg?: string) => void }

/** Create an ADMINISTRATOR with that e-mail unless a user with that e-mail (any case) exists. */
export async function ensureAdmin(knex: Knex, opts: EnsureAdminOptions, log?: Log): Promise<EnsureAdminResult> {
  const email = opts.email.trim()
  const existing = await findByEmail(knex, email)
  if (existing) {
    log?.info({ email }, 'admin seed: a user with this e-mail exists; nothing created')
    return { created: false, id: existing, reason: 'email_exists' }
  }
  if (opts.onlyIfNoAdmin) {
    const admin = await knex('authentication_userprofile').whereRaw("UPPER(role) IN ('ADMINISTRATOR', 'ADMIN')").first('id')
    if (admin) {
      log?.info({}, 'admin seed: an administrator exists; nothing created')
      return { created: false, id: String(admin.id), reason: 'admin_exists' }
    }
  }
  const hash = await opts.hashPassword(opts.password) // outside the transaction: ~0.3 s of CPU
  const id = newId()
  const now = nowDb()
  try {
    await knex.transaction(async (trx) => {
      const username = await freeUsername(trx, email)
      await trx('authentication_userprofile').insert({
        password: hash, last_login: null, is_superuser: true, username,
        first_name: 'Admin', last_name: 'Account', is_staff: true, is_active: true,
        date_joined: now, id, created_at: now, updated_at: null, email,
        role: 'ADMINISTRATOR', password_reset_token: null, password_reset_token_expires_at: null,
        active: true, avatar: null, client_id: null, department: 'Administration',
        full_name: 'Admin Account', job_title: 'Default Admin Account', joined_at: todaySaoPaulo(),
      })
      // Like the seed: the admin belongs to the 'Admins' group (get-or-create).
      let group = await trx('auth_group').where('name', 'Admins').first('id')
      if (!group) {
        await trx('auth_group').insert({ name: 'Admins' })
        group = await trx('auth_group').where('name', 'Admins').first('id')
      }
      if (group) await trx('authentication_userprofile_groups').insert({ userprofile_id: id, group_id: Number(group.id) })
    })
  } catch (err) {
    // Another instance seeded the same e-mail at the same moment.
    if (classifyDbError(err)?.kind === 'unique') {
      const other = await findByEmail(knex, email)
      if (other) return { created: false, id: other, reason: 'email_exists' }
    }
    throw err
  }
  log?.info({ email, username: undefined }, 'admin seed: administrator created')
  return { created: true, id }
}

async function findByEmail(knex: Knex | Knex.Transaction, email: string): Promise<string | null> {
  const row = await knex('authentication_userprofile').whereRaw('LOWER(email) = LOWER(?)', [email]).first('id')
  return row ? String(row.id) : null
}

/** 'Admin' like the seed, else the e-mail's local part, made unique with a counter. */
async function freeUsername(trx: Knex.Transaction, email: string): Promise<string> {
  const local = (email.split('@')[0] || 'admin').slice(0, 140)
  for (const candidate of ['Admin', local]) {
    if (!(await trx('authentication_userprofile').whereRaw('LOWER(username) = LOWER(?)', [candidate]).first('id'))) return candidate
  }
  for (let i = 1; ; i++) {
    const candidate = `${local}${i}`
    if (!(await trx('authentication_userprofile').whereRaw('LOWER(username) = LOWER(?)', [candidate]).first('id'))) return candidate
  }
}
