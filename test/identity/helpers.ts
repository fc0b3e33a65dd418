// Shared set-up of the identity tests: the app with a real SMTP receiver, logins, and table snapshots.
import type { Test } from 'tap'
import type { Knex } from 'knex'
import { settleBackgroundWork } from '../../src/services/mailer.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.js'

export const FRONTEND = 'https://frontend.example'

export interface IdentityApp extends TestApp {
  smtp: SmtpFake
  login(email: string, password: string): Promise<{ status: number, body: any }>
}

export async function buildIdentityApp(t: Test, env: Record<string, string> = {}): Promise<IdentityApp> {
  const smtp = await startSmtpFake()
  const base = await buildTestApp(t, { env: { ...smtp.env, FRONTEND_URL: FRONTEND, ...env } })
  // Teardowns run in reverse order: after-reply work settles before the app and the database close.
  t.teardown(() => smtp.close())
  t.teardown(() => settleBackgroundWork())
  return {
    ...base,
    smtp,
    async login(email, password) {
      const res = await base.app.inject({ method: 'POST', url: '/api/login/', payload: { email, password } })
      return { status: res.statusCode, body: res.json() }
    },
  }
}

/** The tables the identity flows write, read in a stable order: equal snapshots mean nothing was written. */
const TABLES: Array<[string, string]> = [
  ['authentication_userprofile', 'id'],
  ['authentication_invite', 'id'],
  ['auth_group', 'id'],
  ['authentication_userprofile_groups', 'id'],
  ['authentication_projects_users', 'id'],
  ['enlaight_impersonation_log', 'id'],
  ['token_blacklist_outstandingtoken', 'id'],
  ['token_blacklist_blacklistedtoken', 'id'],
]

export async function snapshot(knex: Knex): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {}
  for (const [table, key] of TABLES) out[table] = await knex(table).orderBy(key).select()
  return out
}

/** URLSearchParams of a link, or throws when the link does not start with `prefix`. */
export function linkParams(link: string, prefix: string): URLSearchParams {
  if (!link.startsWith(prefix)) throw new Error(`link ${link} does not start with ${prefix}`)
  return new URL(link).searchParams
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))
