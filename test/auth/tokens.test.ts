// Refresh rotation, logout, verify-token and bearer authentication (auth-and-users §1.4, §2, §5.3–§5.5, DECISIONS 1).
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { issuePair } from '../../src/auth/tokens.js'
import { bindModels } from '../../src/models/index.js'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'
import { claimsFor, decodeJwt, form, hexId, now, pyjwt } from './support.js'

const INVALID_ACCESS = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
})

t.test('tokens', async t => {
  const ctx = await buildTestApp(t)
  const { app, knex, seed } = ctx
  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers })
  const me = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/api/me/', headers: authorization === undefined ? {} : { authorization } })
  const loginAs = async (username: string) => (await post('/api/login/', { username, password: SEED_PASSWORD })).json()
  // The pair login would return, without spending a 1M-iteration hash: login itself is covered by login.test.ts.
  const models = bindModels(knex)
  const pairFor = async (username: string) => issuePair((await models.User.query().findOne({ username }))!, ctx)

  const alice = await seed.user({ name: 'alice' })

  t.test('refresh rotates: new pair from the old claims, old token blacklisted', async t => {
    const pair = await loginAs('alice') // end to end once: the pair really comes from POST /api/login/
    const old = decodeJwt(pair.refresh).payload
    await new Promise(r => setTimeout(r, 1100)) // a new second, so iat copying is visible
    const res = await post('/api/refresh/', { refresh: pair.refresh })
    t.equal(res.statusCode, 200)
    const next = res.json()
    t.same(Object.keys(next), ['access', 'refresh'])
    const access = decodeJwt(next.access).payload
    const refresh = decodeJwt(next.refresh).payload
    t.same(Object.keys(access), Object.keys(old), 'same claims, same order')
    t.equal(access.token_type, 'access')
    t.equal(access.iat, old.iat, 'a refreshed access token keeps the refresh token iat (§2.2)')
    t.ok((access.exp as number) >= now() + 7190)
    t.ok((refresh.iat as number) > (old.iat as number), 'the new refresh token has a fresh iat')
    t.equal((refresh.exp as number) - (refresh.iat as number), 86400)
    t.not(refresh.jti, old.jti)
    for (const claim of ['user_id', 'id', 'email', 'username', 'role', 'is_active', 'joined_at']) t.same(refresh[claim], old[claim], claim)

    const again = await post('/api/refresh/', { refresh: pair.refresh })
    t.equal(again.statusCode, 400)
    t.same(again.json(), { detail: 'Invalid refresh token.', error: 'Token is blacklisted' })
    const row = await knex('token_blacklist_blacklistedtoken')
      .join('token_blacklist_outstandingtoken', 'token_blacklist_outstandingtoken.id', 'token_blacklist_blacklistedtoken.token_id')
      .where('token_blacklist_outstandingtoken.jti', String(old.jti)).first('token_blacklist_outstandingtoken.user_id')
    t.equal(row?.user_id, alice.id, 'blacklisted row recorded for the presented jti')

    t.equal((await me(`Bearer ${next.access}`)).statusCode, 200, 'the new access token authenticates')
    t.equal((await post('/api/refresh/', { refresh: next.refresh })).statusCode, 200, 'the rotated refresh token rotates in turn')
  })

  t.test('refresh errors are 400 with the reason (§2.4)', async t => {
    const pair = await pairFor('alice')
    const cases: Array<[unknown, unknown]> = [
      [{}, { detail: "Field 'refresh' is required." }],
      [{ refresh: '' }, { detail: "Field 'refresh' is required." }],
      [{ refresh: 'garbage' }, { detail: 'Invalid refresh token.', error: 'Token is invalid' }],
      [{ refresh: pair.access }, { detail: 'Invalid refresh token.', error: 'Token has wrong type' }],
      [{ refresh: pyjwt(claimsFor(alice.id, 'refresh', { exp: now() - 60 })) }, { detail: 'Invalid refresh token.', error: 'Token is expired' }],
      [{ refresh: pyjwt(claimsFor(alice.id, 'refresh'), { key: 'another-key' }) }, { detail: 'Invalid refresh token.', error: 'Token is invalid' }],
    ]
    for (const [payload, expected] of cases) {
      const res = await post('/api/refresh/', payload, { authorization: 'Bearer not-even-a-token' })
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.same(res.json(), expected)
    }
    const f = form({ refresh: pair.refresh })
    t.equal((await app.inject({ method: 'POST', url: '/api/refresh/', ...f })).statusCode, 200, 'form body')
  })

  t.test('refresh refuses inactive and deleted users (DECISIONS 1)', async t => {
    const bob = await seed.user({ name: 'bob' })
    const pair = await pairFor('bob')
    await knex('authentication_userprofile').where({ id: bob.id }).update({ is_active: false })
    const res = await post('/api/refresh/', { refresh: pair.refresh })
    t.equal(res.statusCode, 400)
    t.same(res.json(), { detail: 'Invalid refresh token.', error: 'User is inactive' })
    const ghost = pyjwt(claimsFor(hexId(), 'refresh'))
    t.same((await post('/api/refresh/', { refresh: ghost })).json(), { detail: 'Invalid refresh token.', error: 'User not found' })
  })

  t.test('two concurrent rotations of one token: exactly one wins', async t => {
    const pair = await pairFor('alice')
    const results = await Promise.all([1, 2, 3].map(() => post('/api/refresh/', { refresh: pair.refresh })))
    t.same(results.map(r => r.statusCode).sort(), [200, 400, 400])
  })

  t.test('a second server instance on the same database sees the blacklist', async t => {
    const other = await buildApp({ config: ctx.config, knex, logger: false })
    t.teardown(() => other.close())
    const pair = await pairFor('alice')
    t.equal((await post('/api/refresh/', { refresh: pair.refresh })).statusCode, 200)
    const res = await other.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh: pair.refresh } })
    t.same(res.json(), { detail: 'Invalid refresh token.', error: 'Token is blacklisted' })
  })

  t.test('logout blacklists the refresh token (body or cookie) and expires two cookies', async t => {
    const pair = await pairFor('alice')
    const res = await post('/api/logout/', { refresh: pair.refresh })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { detail: 'Logout realizado.' })
    t.same(res.headers['set-cookie'], [
      'access=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
      'refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
    ])
    t.same((await post('/api/refresh/', { refresh: pair.refresh })).json(), { detail: 'Invalid refresh token.', error: 'Token is blacklisted' })
    const twice = await post('/api/logout/', { refresh: pair.refresh })
    t.equal(twice.statusCode, 400)
    t.same(twice.json(), { error: 'Token inválido ou já invalidado.' })
    t.equal((await me(`Bearer ${pair.access}`)).statusCode, 200, 'the access token stays valid until it expires (§2.5)')

    const viaCookie = await pairFor('alice')
    const c = await app.inject({ method: 'POST', url: '/api/logout/', headers: { cookie: `access=x; refresh=${viaCookie.refresh}` } })
    t.equal(c.statusCode, 200, 'refresh cookie as fallback')
    t.same((await post('/api/refresh/', { refresh: viaCookie.refresh })).json().error, 'Token is blacklisted')

    const none = await app.inject({ method: 'POST', url: '/api/logout/' })
    t.equal(none.statusCode, 400)
    t.same(none.json(), { error: "Campo 'refresh' obrigatório ou cookie ausente." })
    t.same((await post('/api/logout/', { refresh: pair.access })).json(), { error: 'Token inválido ou já invalidado.' }, 'an access token')
  })

  t.test('verify-token accepts access and refresh tokens; errors per §5.5', async t => {
    const pair = await pairFor('alice')
    for (const token of [pair.access, pair.refresh]) {
      const res = await post('/api/verify-token/', { token })
      t.equal(res.statusCode, 200)
      t.same(res.json(), {})
    }
    const bad = await post('/api/verify-token/', { token: 'garbage' })
    t.equal(bad.statusCode, 401)
    t.same(bad.json(), { detail: 'Token is invalid', code: 'token_not_valid' })
    t.equal(bad.headers['www-authenticate'], 'Bearer realm="api"')
    const expired = await post('/api/verify-token/', { token: pyjwt(claimsFor(alice.id, 'access', { exp: now() - 31 })) })
    t.same(expired.json(), { detail: 'Token is expired', code: 'token_not_valid' })
    const untyped = pyjwt({ exp: now() + 60, jti: hexId(), user_id: 'x' })
    t.equal((await post('/api/verify-token/', { token: untyped })).statusCode, 200, 'the type is not checked')
    t.same((await post('/api/verify-token/', {})).json(), { token: ['This field is required.'] })
    t.same((await post('/api/verify-token/', { token: '  ' })).json(), { token: ['This field may not be blank.'] })
    await post('/api/logout/', { refresh: pair.refresh })
    const listed = await post('/api/verify-token/', { token: pair.refresh })
    t.equal(listed.statusCode, 400)
    t.same(listed.json(), { non_field_errors: ['Token is blacklisted'] })
  })

  t.test('bearer header parsing and the 401 bodies of §1.4', async t => {
    const pair = await pairFor('alice')
    const noCredentials = { detail: 'Authentication credentials were not provided.' }
    for (const header of [undefined, `bearer ${pair.access}`, `Token ${pair.access}`, '']) {
      const res = await me(header)
      t.equal(res.statusCode, 401, String(header))
      t.same(res.json(), noCredentials, String(header))
      t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
    }
    for (const header of ['Bearer', `Bearer ${pair.access} extra`]) {
      const res = await me(header)
      t.equal(res.statusCode, 401)
      t.same(res.json(), { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' })
    }
    t.equal((await me(`Bearer   ${pair.access}`)).statusCode, 200, 'runs of spaces separate like Python split()')
    t.same((await me('Bearer garbage')).json(), INVALID_ACCESS('Token is invalid'))
    t.same((await me(`Bearer ${pair.refresh}`)).json(), INVALID_ACCESS('Token has wrong type'))
    const sign = (claims: Record<string, unknown>, alg?: string) => me(`Bearer ${pyjwt(claims, { alg })}`)
    const base = claimsFor(alice.id, 'access')
    t.same((await sign({ ...base, exp: now() - 40 })).json(), INVALID_ACCESS('Token is expired'))
    t.equal((await sign({ ...base, exp: now() - 20 })).statusCode, 200, '30 s leeway on exp')
    t.same((await sign({ ...base, iat: now() + 60 })).json(), INVALID_ACCESS('Token is invalid'), 'iat in the future')
    t.same((await sign({ ...base, nbf: now() + 60 })).json(), INVALID_ACCESS('Token is invalid'), 'nbf in the future')
    t.same((await sign(base, 'HS512')).json(), INVALID_ACCESS('Token is invalid'), 'another algorithm')
    t.same((await sign(base, 'none')).json(), INVALID_ACCESS('Token is invalid'), 'unsigned')
    const { exp: _e, ...noExp } = base
    t.same((await sign(noExp)).json(), INVALID_ACCESS("Token has no 'exp' claim"))
    const { jti: _j, ...noJti } = base
    t.same((await sign(noJti)).json(), INVALID_ACCESS('Token has no id'))
    const { token_type: _t, ...noType } = base
    t.same((await sign(noType)).json(), INVALID_ACCESS('Token has no type'))
    const { user_id: _u, ...noUser } = base
    t.same((await sign(noUser)).json(), { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' })
    t.same((await sign({ ...base, user_id: hexId() })).json(), { detail: 'User not found', code: 'user_not_found' })
    t.same((await sign({ ...base, user_id: 'not-a-uuid' })).json(), { detail: 'User not found', code: 'user_not_found' }, 'no 500 for a forged id')
  })

  t.test('tokens minted like the original (PyJWT encoding, same key) authenticate; claims never decide the role', async t => {
    const carol = await seed.user({ name: 'carol', role: 'USER' })
    const token = pyjwt(claimsFor(carol.id, 'access', { id: carol.id, full_name: 'Carolína', role: 'ADMINISTRATOR', is_superuser: true }))
    const res = await me(`Bearer ${token}`)
    t.equal(res.statusCode, 200)
    t.equal(res.json().role, 'USER', 'role from the database')
    const unhyphenated = pyjwt({ ...claimsFor(carol.id, 'access'), user_id: carol.id.toUpperCase() })
    t.equal((await me(`Bearer ${unhyphenated}`)).statusCode, 200, 'any UUID spelling Python accepts')
  })

  t.test('inactive or deleted users get 401 with a valid token, no e-mail fallback (§12.5)', async t => {
    const dave = await seed.user({ name: 'dave' })
    const pair = await pairFor('dave')
    await knex('authentication_userprofile').where({ id: dave.id }).update({ is_active: false })
    const inactive = await me(`Bearer ${pair.access}`)
    t.equal(inactive.statusCode, 401)
    t.same(inactive.json(), { detail: 'User is inactive', code: 'user_inactive' })
    t.equal(inactive.headers['www-authenticate'], 'Bearer realm="api"')
    const upd = await app.inject({ method: 'PATCH', url: '/api/me/update/', ...form({ first_name: 'X' }), headers: { ...form({}).headers, authorization: `Bearer ${pair.access}` } })
    t.equal(upd.statusCode, 401, 'me/update too')

    // A deleted user's token must not resolve to whoever holds the e-mail now.
    const erin = await seed.user({ name: 'erin', email: 'erin@example.com' })
    const erinPair = await pairFor('erin')
    await knex('token_blacklist_outstandingtoken').where({ user_id: erin.id }).update({ user_id: null })
    await knex('authentication_userprofile').where({ id: erin.id }).delete()
    await seed.user({ name: 'erin2', email: 'erin@example.com' })
    const gone = await me(`Bearer ${erinPair.access}`)
    t.equal(gone.statusCode, 401)
    t.same(gone.json(), { detail: 'User not found', code: 'user_not_found' })
  })
})
