// Issue 7 (token attacks): every operation whose security is 'required', table-driven from the route table,
// against every way of presenting a bad credential (auth-and-users §1.4, §2.4; DECISIONS "Roles"): always a
// 401 JSON with WWW-Authenticate, never 2xx or 5xx, and nothing written (whole-database fingerprint). Then:
// a role claim minted with the right key never overrides the role stored in the database.
import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { routes } from '../../generated/routes.js'
import { issuePair } from '../../src/auth/tokens.js'
import type { RouteEntry } from '../../src/engine/route-table.js'
import { bindModels } from '../../src/models/index.js'
import { buildTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js'
import type { SeedUser } from '../helpers/seed.js'
import { requestFor, type OperationRequest } from './operation-requests.js'
import { databaseFingerprint } from './support.js'

const protectedRoutes = Object.values(routes as Record<string, RouteEntry>)
  .filter(r => r.security === 'required')
  .sort((a, b) => a.operationId.localeCompare(b.operationId))

// ── tokens built by hand (PyJWT's layout), so nothing here trusts the code under test ──
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const nowS = () => Math.floor(Date.now() / 1000)
const hex = () => randomUUID().replaceAll('-', '')
const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`

function jwt(payload: Record<string, unknown>, opts: { key?: string, alg?: string, header?: Record<string, unknown> } = {}): string {
  const alg = opts.alg ?? 'HS256'
  const head = b64(opts.header ?? { alg, typ: 'JWT' })
  const body = b64(payload)
  const hash = alg === 'HS512' ? 'sha512' : alg === 'HS384' ? 'sha384' : 'sha256'
  const signature = /^none$/i.test(alg) ? '' : createHmac(hash, opts.key ?? TEST_SECRET).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${signature}`
}

function claims(userHex: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const t = nowS()
  return { token_type: 'access', exp: t + 7200, iat: t, jti: hex(), user_id: uuid(userHex), ...extra }
}

const parts = (token: string) => token.split('.')
const payloadOf = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString('utf8'))

interface Attack {
  name: string
  /** The Authorization header, or null for none. */
  header: string | null
  /** 'none': answered as no credentials; 'token': as a rejected token. */
  kind: 'none' | 'token'
}

async function attacksFor(ctx: TestApp, users: { alice: SeedUser, admin: SeedUser, inactive: SeedUser, doomed: SeedUser }): Promise<Attack[]> {
  const models = bindModels(ctx.knex)
  const aliceRow = (await models.User.query().findById(users.alice.id))!
  const pair = await issuePair(aliceRow, { config: ctx.config, knex: ctx.knex })
  const valid = pair.access
  const [h, p, s] = parts(valid)
  const tampered = (change: Record<string, unknown>) => `${h}.${b64({ ...payloadOf(valid), ...change })}.${s}`
  const withoutClaim = (claim: string) => {
    const c = claims(users.alice.id)
    delete c[claim]
    return jwt(c)
  }
  // The deleted user: a correctly signed token for a row that is then removed.
  const doomedToken = jwt(claims(users.doomed.id, { role: 'ADMINISTRATOR' }))
  await ctx.knex('authentication_userprofile').where({ id: users.doomed.id }).delete()
  const other = jwt(claims(users.admin.id))

  const none = (name: string, header: string | null): Attack => ({ name, header, kind: 'none' })
  const bad = (name: string, token: string, scheme = 'Bearer'): Attack => ({ name, header: `${scheme} ${token}`, kind: 'token' })
  return [
    none('no Authorization header', null),
    none('empty Authorization header', ''),
    none('other scheme: Token', `Token ${valid}`),
    none('other scheme: lower-case bearer', `bearer ${valid}`),
    none('other scheme: BEARER', `BEARER ${valid}`),
    none('other scheme: Basic', `Basic ${Buffer.from('alice:Seed-pass-2026').toString('base64')}`),
    none('other scheme: JWT', `JWT ${valid}`),
    { name: 'Bearer without a token', header: 'Bearer', kind: 'token' },
    { name: 'Bearer with three parts', header: `Bearer ${valid} extra`, kind: 'token' },
    bad('malformed: not a JWT', 'not-a-jwt'),
    bad('malformed: two segments', `${h}.${p}`),
    bad('malformed: four segments', `${valid}.x`),
    bad('malformed: garbage segments', 'a.b.c'),
    bad('malformed: payload not JSON', `${h}.${b64('not json')}.${createHmac('sha256', TEST_SECRET).update(`${h}.${b64('not json')}`).digest('base64url')}`),
    bad('malformed: payload a JSON array', jwt([] as unknown as Record<string, unknown>)),
    bad('malformed: 20 KB token', `${h}.${'A'.repeat(20_000)}.${s}`),
    bad('tampered payload: role ADMINISTRATOR, signature kept', tampered({ role: 'ADMINISTRATOR', is_superuser: true, is_staff: true })),
    bad('tampered payload: user_id of the admin, signature kept', tampered({ user_id: uuid(users.admin.id), id: uuid(users.admin.id) })),
    bad('tampered payload: exp pushed a year ahead, signature kept', tampered({ exp: nowS() + 365 * 86400 })),
    bad('tampered header: alg HS512, signature kept', `${b64({ alg: 'HS512', typ: 'JWT' })}.${p}.${s}`),
    bad('signature of another valid token', `${h}.${p}.${parts(other)[2]}`),
    bad('wrong signature: signed with another key', jwt(claims(users.alice.id), { key: 'not-the-server-key-but-long-enough-0123' })),
    bad('wrong signature: empty key', jwt(claims(users.alice.id), { key: '' })),
    bad('wrong algorithm: HS512 with the right key', jwt(claims(users.alice.id), { alg: 'HS512' })),
    bad('wrong algorithm: HS384 with the right key', jwt(claims(users.alice.id), { alg: 'HS384' })),
    bad('alg none, no signature', jwt(claims(users.alice.id), { alg: 'none' })),
    bad('alg None, no signature', jwt(claims(users.alice.id), { alg: 'None' })),
    bad('alg NONE, admin claims, no signature', jwt(claims(users.admin.id, { role: 'ADMINISTRATOR' }), { alg: 'NONE' })),
    bad('alg none, original signature kept', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`),
    bad('no alg in the header', jwt(claims(users.alice.id), { header: { typ: 'JWT' } })),
    bad('refresh token used as access', pair.refresh),
    bad('token_type refresh, signed', jwt(claims(users.alice.id, { token_type: 'refresh' }))),
    bad('no token_type', withoutClaim('token_type')),
    bad('no exp', withoutClaim('exp')),
    bad('no jti', withoutClaim('jti')),
    bad('no user_id', withoutClaim('user_id')),
    bad('expired beyond the 30 s leeway', jwt(claims(users.alice.id, { exp: nowS() - 31, iat: nowS() - 7231 }))),
    bad('expired a day ago', jwt(claims(users.alice.id, { exp: nowS() - 86400, iat: nowS() - 93600 }))),
    bad('exp as a non-numeric string', jwt(claims(users.alice.id, { exp: 'tomorrow' }))),
    bad('issued in the future (iat now + 120 s)', jwt(claims(users.alice.id, { iat: nowS() + 120 }))),
    bad('not valid before the future (nbf now + 120 s)', jwt(claims(users.alice.id, { nbf: nowS() + 120 }))),
    bad('user_id not a UUID', jwt(claims(users.alice.id, { user_id: "1' OR '1'='1" }))),
    bad('user_id a number', jwt(claims(users.alice.id, { user_id: 1 }))),
    bad('user_id of nobody', jwt(claims(hex()))),
    bad('deleted user (role claim ADMINISTRATOR)', doomedToken),
    bad('deactivated user', jwt(claims(users.inactive.id))),
    bad('deactivated user, admin role claim', jwt(claims(users.inactive.id, { role: 'ADMINISTRATOR', is_active: true }))),
  ]
}

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' }
const TOKEN_CODES = ['token_not_valid', 'bad_authorization_header', 'user_not_found', 'user_inactive']

async function send(ctx: TestApp, req: OperationRequest, authorization: string | null) {
  const headers = { ...req.headers, ...(authorization === null ? {} : { authorization }) }
  return ctx.app.inject({ method: req.method, url: req.url, headers, payload: req.payload })
}

t.test(`bad credentials on all ${protectedRoutes.length} protected operations`, async t => {
  // Debug endpoints on, so that they are reached too (off, they answer 404 to everyone before authentication).
  const ctx = await buildTestApp(t, { env: { ENABLE_DEBUG_ENDPOINTS: '1' } })
  const client = await ctx.seed.client()
  const alice = await ctx.seed.user({ name: 'alice', client })
  const admin = await ctx.seed.user({ name: 'root', role: 'ADMINISTRATOR', client })
  const inactive = await ctx.seed.user({ name: 'gone_quiet', role: 'ADMINISTRATOR', isActive: false, client })
  const doomed = await ctx.seed.user({ name: 'doomed', role: 'ADMINISTRATOR', client })
  const bob = await ctx.seed.user({ name: 'bob', client })
  const bot = await ctx.seed.bot()
  const project = await ctx.seed.project({ client, members: [alice, bob], bots: [bot] })
  // Path ids address real rows, so an operation that slipped past authentication would change the fingerprint.
  const ids = { projects: project.id, bots: bot.id, clients: client.id, users: bob.id, 'login-as': bob.id }
  const attacks = await attacksFor(ctx, { alice, admin, inactive, doomed })
  t.ok(protectedRoutes.length >= 60, `the route table has ${protectedRoutes.length} protected operations`)

  for (const attack of attacks) {
    t.test(attack.name, async t => {
      const before = await databaseFingerprint(ctx.knex)
      const failures: string[] = []
      for (const route of protectedRoutes) {
        const res = await send(ctx, requestFor(route, ids), attack.header)
        const label = `${route.method} ${route.path} (${route.operationId})`
        let body: any
        try { body = res.json() } catch { body = undefined }
        if (res.statusCode !== 401) failures.push(`${label}: ${res.statusCode} ${res.body.slice(0, 120)}`)
        else if (!/^application\/json/.test(String(res.headers['content-type']))) failures.push(`${label}: content-type ${res.headers['content-type']}`)
        else if (res.headers['www-authenticate'] !== 'Bearer realm="api"') failures.push(`${label}: www-authenticate ${res.headers['www-authenticate']}`)
        else if (attack.kind === 'none' && JSON.stringify(body) !== JSON.stringify(NO_CREDENTIALS)) failures.push(`${label}: body ${res.body}`)
        else if (attack.kind === 'token' && (typeof body?.detail !== 'string' || !TOKEN_CODES.includes(body?.code))) failures.push(`${label}: body ${res.body}`)
      }
      t.same(failures, [], `401 JSON with WWW-Authenticate on all ${protectedRoutes.length} operations`)
      t.same(await databaseFingerprint(ctx.knex), before, 'nothing written')
    })
  }

  t.test('control: a valid token is accepted by every one of these operations', async t => {
    const good = await ctx.auth(alice)
    const refused: string[] = []
    for (const route of protectedRoutes) {
      const res = await send(ctx, requestFor(route, ids), good.authorization)
      if (res.statusCode === 401) refused.push(`${route.operationId}: ${res.body.slice(0, 120)}`)
    }
    t.same(refused, [], 'the requests above were refused for their credentials, not for their shape')
  })
})

t.test('a role claim never overrides the stored role', async t => {
  const ctx = await buildTestApp(t, { env: { ENABLE_DEBUG_ENDPOINTS: '1' } })
  const client = await ctx.seed.client()
  const alice = await ctx.seed.user({ name: 'alice', client })
  const admin = await ctx.seed.user({ name: 'root', role: 'ADMINISTRATOR', client })
  const bob = await ctx.seed.user({ name: 'bob', client })
  const bot = await ctx.seed.bot()
  const project = await ctx.seed.project({ client, members: [alice], bots: [bot] })
  await ctx.seed.project({ client, members: [bob] })
  const ids = { projects: project.id, bots: bot.id, clients: client.id, users: bob.id, 'login-as': bob.id }

  const models = bindModels(ctx.knex)
  const aliceRow = (await models.User.query().findById(alice.id))!
  // Minted with the right key: every claim says administrator, the database says USER.
  const forgedRow = Object.assign(Object.create(Object.getPrototypeOf(aliceRow)), aliceRow, { role: 'ADMINISTRATOR', is_superuser: true, is_staff: true })
  const forged = `Bearer ${(await issuePair(forgedRow, { config: ctx.config, knex: ctx.knex })).access}`
  t.match(payloadOf(forged.slice(7)), { role: 'ADMINISTRATOR', is_superuser: true, is_staff: true, user_id: uuid(alice.id) }, 'the token claims an administrator')
  const genuine = (await ctx.auth(alice)).authorization
  const adminAuth = (await ctx.auth(admin)).authorization

  t.test('GET /api/me/ reports the stored role', async t => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/me/', headers: { authorization: forged } })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { role: 'USER', is_staff: false })
  })

  t.test('GET /api/users/ never lists other users to a USER with an admin claim', async t => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/users/', headers: { authorization: forged } })
    t.ok(res.statusCode === 200 || res.statusCode === 403, `answered ${res.statusCode}`)
    if (res.statusCode === 200) {
      const body = res.json()
      const rows = Array.isArray(body) ? body : body.results
      t.same(rows, [], 'an empty list, as for any USER (DECISIONS: users list [] for non-admins)')
    }
    const asAdmin = await ctx.app.inject({ method: 'GET', url: '/api/users/', headers: { authorization: adminAuth } })
    if (asAdmin.statusCode === 200) {
      const body = asAdmin.json()
      t.ok((Array.isArray(body) ? body : body.results).length >= 3, 'while a real administrator sees the users')
    }
  })

  t.test('PATCH /api/me/update/ cannot promote the caller', async t => {
    const res = await ctx.app.inject({
      method: 'PATCH', url: '/api/me/update/', headers: { authorization: forged, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'role=ADMINISTRATOR&full_name=Alice%20Claims',
    })
    t.equal(res.statusCode, 200, 'the update itself is allowed (own profile)')
    const row = await ctx.knex('authentication_userprofile').where({ id: alice.id }).first('role', 'full_name', 'is_staff', 'is_superuser')
    t.equal(row.role, 'USER', 'the stored role is unchanged')
    t.equal(row.full_name, 'Alice Claims')
    t.notOk(row.is_staff)
    t.notOk(row.is_superuser)
  })

  t.test('every protected read answers the forged token exactly as the genuine USER token', async t => {
    // Reads only: a write would change the state between the two calls. Admin-only writes are checked below.
    const differences: string[] = []
    for (const route of protectedRoutes) {
      const req = requestFor(route, ids)
      if (route.method === 'GET') {
        const [a, b] = [await send(ctx, req, forged), await send(ctx, req, genuine)]
        if (a.statusCode !== b.statusCode || a.body !== b.body) differences.push(`${route.operationId}: forged ${a.statusCode} vs genuine ${b.statusCode}`)
        if (a.statusCode === 401) differences.push(`${route.operationId}: 401 for a valid token`)
      }
    }
    t.same(differences, [], 'same status and body on every read')
  })

  t.test('admin-only operations refuse the forged token as they refuse the USER, and write nothing', async t => {
    const adminOnly = ['createUser', 'createProject', 'updateProject', 'deleteProject', 'createClient', 'updateClient', 'deleteClient',
      'createBot', 'updateBot', 'deleteBot', 'attachProjectUsers', 'detachProjectUsers', 'attachProjectBots', 'detachProjectBots',
      'createExpertiseArea', 'addUserRole', 'removeUserRole', 'loginAs', 'inviteUser', 'checkToken', 'listImpersonations']
      .filter(id => (routes as Record<string, RouteEntry>)[id])
    const before = await databaseFingerprint(ctx.knex)
    const wrong: string[] = []
    for (const id of adminOnly) {
      const req = requestFor((routes as Record<string, RouteEntry>)[id], ids)
      const [a, b] = [await send(ctx, req, forged), await send(ctx, req, genuine)]
      // DECISIONS: 404 for rows the caller cannot see, else 403.
      if (a.statusCode !== 403 && a.statusCode !== 404) wrong.push(`${id}: ${a.statusCode} ${a.body.slice(0, 100)}`)
      else if (a.statusCode !== b.statusCode || a.body !== b.body) wrong.push(`${id}: forged ${a.statusCode} vs genuine ${b.statusCode}`)
    }
    t.same(wrong, [], `${adminOnly.length} admin-only operations refuse a USER whose token claims ADMINISTRATOR, exactly as without the claim`)
    t.same(await databaseFingerprint(ctx.knex), before, 'nothing written')

    // The same requests do work for a real administrator (so the refusals above are about the role).
    let allowed = 0
    for (const id of ['createUser', 'createClient', 'createExpertiseArea', 'loginAs', 'listImpersonations'].filter(id => adminOnly.includes(id))) {
      const res = await send(ctx, requestFor((routes as Record<string, RouteEntry>)[id], ids), adminAuth)
      if (res.statusCode < 300) allowed++
      else t.comment(`${id} as administrator: ${res.statusCode} ${res.body.slice(0, 100)}`)
    }
    t.ok(allowed >= 3, `a real administrator is allowed the same requests (${allowed} of 5)`)
  })
})
