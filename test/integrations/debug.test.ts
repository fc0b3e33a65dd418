// Debug endpoints (auth-and-users §5.16, §12.9; DECISIONS Roles): off unless ENABLE_DEBUG_ENDPOINTS=1, never in
// production, admin-only when on; /debug/token/ is not served at all.
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'

async function setup(t: Test, env: Record<string, string> = {}) {
  const test = await buildTestApp(t, { env })
  const admin = await test.seed.user({ role: 'ADMINISTRATOR' })
  const member = await test.seed.user({ role: 'USER' })
  const check = (payload: unknown, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'POST', url: '/api/debug/check-token/', payload: payload as object, headers })
  return { ...test, admin, member, check }
}

t.test('off by default: 404 JSON for everyone, before authentication', async t => {
  const { check, auth, admin } = await setup(t)

  for (const headers of [await auth(admin), {}, { authorization: 'Bearer garbage' }]) {
    const res = await check({ token: 'x' }, headers)
    t.equal(res.statusCode, 404)
    t.same(res.json(), { detail: 'Not found.' })
    t.match(res.headers['content-type'], /^application\/json/)
  }
  const mint = await (await setup(t)).app.inject({ method: 'POST', url: '/api/debug/token/', payload: {} })
  t.equal(mint.statusCode, 404, '/debug/token/ is never served')
})

t.test('never in production: the configuration refuses the combination', async t => {
  t.throws(
    () => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(32), ENABLE_DEBUG_ENDPOINTS: '1' }, () => {}),
    /ENABLE_DEBUG_ENDPOINTS cannot be on with NODE_ENV=production/,
  )
  t.equal(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'x'.repeat(32) }, () => {}).debugEndpoints, false)
})

t.test('on: administrators decode access and refresh tokens; others are refused', async t => {
  const { check, auth, admin, member, app } = await setup(t, { ENABLE_DEBUG_ENDPOINTS: '1' })
  const adminHeaders = await auth(admin)

  t.equal((await check({ token: 'x' })).statusCode, 401, 'anonymous')
  const asMember = await check({ token: 'x' }, await auth(member))
  t.equal(asMember.statusCode, 403, 'a non-admin')
  t.same(asMember.json(), { detail: 'You do not have permission to perform this action.' })

  const login = await app.inject({ method: 'POST', url: '/api/login/', payload: { email: member.email, password: SEED_PASSWORD } })
  t.equal(login.statusCode, 200)
  const { access, refresh } = login.json()

  const a = await check({ token: access }, adminHeaders)
  t.equal(a.statusCode, 200)
  t.equal(a.json().type, 'access')
  t.match(a.json().payload, { token_type: 'access', email: member.email, role: 'USER' })

  const r = await check({ token: refresh }, adminHeaders)
  t.equal(r.statusCode, 200)
  t.equal(r.json().type, 'refresh')
  t.equal(r.json().payload.token_type, 'refresh')

  const missing = await check({}, adminHeaders)
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { detail: 'token required' })

  const garbage = await check({ token: 'not.a.jwt' }, adminHeaders)
  t.equal(garbage.statusCode, 400)
  t.same(garbage.json(), { detail: 'invalid', access_error: 'Token is invalid', refresh_error: 'Token is invalid' })

  const logout = await app.inject({ method: 'POST', url: '/api/logout/', payload: { refresh }, headers: { authorization: `Bearer ${access}` } })
  t.ok(logout.statusCode < 300, `logout answered ${logout.statusCode}`)
  const blacklisted = await check({ token: refresh }, adminHeaders)
  t.equal(blacklisted.statusCode, 400)
  t.same(blacklisted.json(), { detail: 'invalid', access_error: 'Token has wrong type', refresh_error: 'Token is blacklisted' })
})
