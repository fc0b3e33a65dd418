// Impersonation through HTTP (auth-and-users §5.11, DECISIONS 2 and Roles, §12.3): administrators only, never
// onto an administrator, recorded in enlaight_impersonation_log (readable by administrators) and in the log.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createKnex } from '../../src/db/connection.js'
import { createSeeder } from '../helpers/seed.js'
import { startServer } from '../helpers/server.js'
import { buildIdentityApp, decodeJwt, snapshot } from './helpers.js'

const uuid = (hex: string) => hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')

t.test('an administrator impersonates a non-administrator; the use is recorded and readable', async t => {
  const { app, seed, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const bob = await seed.user({ name: 'bob', role: 'MANAGER', client })
  const headers = await auth(admin)

  const res = await app.inject({ method: 'GET', url: `/api/login-as/${uuid(bob.id).toUpperCase()}/`, headers: { ...headers, 'x-forwarded-for': '198.51.100.9' } })
  t.equal(res.statusCode, 200)
  const { access, refresh } = res.json()
  t.same(Object.keys(res.json()), ['access', 'refresh'])
  const claims = decodeJwt(access)
  t.same(Object.keys(claims), ['token_type', 'exp', 'iat', 'jti', 'user_id', 'impersonator'], 'a bare pair plus the impersonator')
  t.equal(claims.user_id, uuid(bob.id))
  t.equal(claims.impersonator, uuid(admin.id), 'the tokens say who is impersonating')
  t.equal(decodeJwt(refresh).impersonator, uuid(admin.id))

  const me = await app.inject({ method: 'GET', url: '/api/me/', headers: { authorization: `Bearer ${access}` } })
  t.equal(me.json().email, bob.email, 'the tokens act as the target')
  const rotated = await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh } })
  t.equal(decodeJwt(rotated.json().refresh).impersonator, uuid(admin.id), 'the claim survives a refresh')

  const rows = await knex('enlaight_impersonation_log').select()
  t.equal(rows.length, 1, 'one audit row')
  t.match(rows[0], { actor_id: admin.id, target_id: bob.id, ip: '127.0.0.1' })
  t.ok(await knex('token_blacklist_outstandingtoken').where({ user_id: bob.id }).first(), 'the refresh token is recorded for the target')

  const log = await app.inject({ method: 'GET', url: '/api/login-as/log/', headers })
  t.equal(log.statusCode, 200)
  const page = log.json()
  t.equal(page.count, 1)
  t.same(page.results[0], {
    id: uuid(rows[0].id),
    created_at: page.results[0].created_at,
    ip: '127.0.0.1',
    actor: { id: uuid(admin.id), email: admin.email, username: admin.username },
    target: { id: uuid(bob.id), email: bob.email, username: bob.username },
  })
  t.match(page.results[0].created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?-03:00$/)

  for (let i = 0; i < 11; i++) await app.inject({ method: 'GET', url: `/api/login-as/${bob.id}/`, headers })
  const first = (await app.inject({ method: 'GET', url: '/api/login-as/log/?page_size=5', headers })).json()
  t.equal(first.count, 12)
  t.equal(first.results.length, 5)
  t.match(first.next, /\/api\/login-as\/log\/\?page=2&page_size=5$/)
  t.equal(first.previous, null)
  const last = await app.inject({ method: 'GET', url: '/api/login-as/log/?page=3&page_size=5', headers })
  t.equal(last.json().results.length, 2)
  t.equal((await app.inject({ method: 'GET', url: '/api/login-as/log/?page=4&page_size=5', headers })).statusCode, 404)
})

t.test('impersonation is refused to non-administrators and onto administrators, with nothing written', async t => {
  const { app, seed, knex, auth } = await buildIdentityApp(t)
  const client = await seed.client()
  const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR' })
  const legacyAdmin = await seed.user({ name: 'old', role: 'admin' })
  const manager = await seed.user({ name: 'mgr', role: 'MANAGER', client })
  const user = await seed.user({ name: 'usr', role: 'USER', client })
  const guest = await seed.user({ name: 'gst', role: 'GUEST', client })
  const target = await seed.user({ name: 'target', role: 'USER', client })
  const headers = {
    admin: await auth(admin), manager: await auth(manager), user: await auth(user), guest: await auth(guest),
  }
  const before = await snapshot(knex)
  const cases: Array<[string, Record<string, string>, string, number, unknown]> = [
    ['anonymous', {}, target.id, 401, undefined],
    ['manager', headers.manager, target.id, 403, { detail: 'Permission denied.' }],
    ['user', headers.user, target.id, 403, { detail: 'Permission denied.' }],
    ['guest', headers.guest, target.id, 403, { detail: 'Permission denied.' }],
    ['admin onto an admin', headers.admin, admin.id, 403, { detail: 'Permission denied.' }],
    ['admin onto a legacy "admin"', headers.admin, legacyAdmin.id, 403, { detail: 'Permission denied.' }],
    ['unknown target', headers.admin, randomUUID(), 404, { detail: 'User not found.' }],
    ['malformed id', headers.admin, 'nope', 404, undefined],
  ]
  for (const [label, h, id, status, body] of cases) {
    const res = await app.inject({ method: 'GET', url: `/api/login-as/${id}/`, headers: h })
    t.equal(res.statusCode, status, label)
    if (body) t.same(res.json(), body, label)
  }
  const post = await app.inject({ method: 'POST', url: `/api/login-as/${target.id}/`, headers: headers.admin })
  t.equal(post.statusCode, 405, 'GET only')
  for (const [label, h] of Object.entries(headers).filter(([k]) => k !== 'admin')) {
    const res = await app.inject({ method: 'GET', url: '/api/login-as/log/', headers: h })
    t.equal(res.statusCode, 403, `${label} cannot read the audit log`)
  }
  t.same(await snapshot(knex), before, 'no token, no audit row')
})

t.test('every impersonation appears in the server log', async t => {
  // A real server process (npm start) writing pino JSON to stdout, on its own SQLite file.
  const dir = mkdtempSync(join(tmpdir(), 'enlaight-impersonation-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite3')}`
  const server = await startServer({
    DATABASE_URL: databaseUrl, SECRET_KEY: 'impersonation-log-test-secret-0123456789', RATE_LIMIT: 'off',
    LOG_LEVEL: 'warn', ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: 'Boss-pass-2026',
  })
  t.teardown(() => server.stop())
  const knex = createKnex(databaseUrl)
  t.teardown(() => knex.destroy())
  const target = await createSeeder(knex).user({ name: 'target', email: 'target@example.com' })

  const login = await fetch(`${server.url}/api/login/`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'boss@example.com', password: 'Boss-pass-2026' }),
  })
  t.equal(login.status, 200)
  const { access } = await login.json() as { access: string }
  const res = await fetch(`${server.url}/api/login-as/${target.id}/`, { headers: { authorization: `Bearer ${access}` } })
  t.equal(res.status, 200)

  const deadline = Date.now() + 5000
  let line: Record<string, unknown> | undefined
  while (!line && Date.now() < deadline) {
    line = server.output().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)).find(l => l.event === 'impersonation')
    if (!line) await new Promise(r => setTimeout(r, 100))
  }
  t.ok(line, 'an impersonation line was logged (at warn, so the usual production levels keep it)')
  t.match(line, {
    level: 40, event: 'impersonation', actor_email: 'boss@example.com', target: uuid(target.id), target_email: 'target@example.com', ip: '127.0.0.1',
    msg: 'administrator impersonated a user',
  })
  const row = await knex('enlaight_impersonation_log').first()
  t.equal(line!.impersonation_id, uuid(row.id), 'the log line and the audit row name each other')
  t.notMatch(server.output(), access, 'no token in the log')
})
