// Rate limits (auth-and-users §12.7, resources §17 #12): x-rate-limit declarations with the numbers of RATE_LIMIT_*,
// 429 {"detail"} with Retry-After, keyed by account where there is one and by client address otherwise.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../helpers/app.js'

const ON = { RATE_LIMIT: 'on' }

async function setup(t: Test, env: Record<string, string>) {
  const test = await buildTestApp(t, { env: { ...ON, ...env } })
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    test.app.inject({ method: 'POST', url, payload: payload as object, headers, remoteAddress })
  return { ...test, post }
}

const unique = () => randomBytes(4).toString('hex')

function assertThrottled(t: Test, res: LightMyRequestResponse, windowSeconds: number, what: string) {
  t.equal(res.statusCode, 429, `${what}: 429`)
  t.match(res.headers['content-type'], /^application\/json/, `${what}: JSON`)
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `${what}: Retry-After ${res.headers['retry-after']}`)
  t.same(res.json(), { detail: `Request was throttled. Expected available in ${retryAfter} seconds.` }, `${what}: body`)
}

t.test('login: limited per account; another account from the same address still passes', async t => {
  const { post, seed } = await setup(t, { RATE_LIMIT_LOGIN: '3/1m' })
  const alice = await seed.user({ name: 'alice' })
  const bob = await seed.user({ name: 'bob' })

  for (let i = 0; i < 3; i++) {
    const res = await post('/api/login/', { email: alice.email, password: 'wrong-password' })
    t.equal(res.statusCode, 401, `attempt ${i + 1} is judged`)
  }
  assertThrottled(t, await post('/api/login/', { email: alice.email, password: 'wrong-password' }), 60, 'fourth attempt')
  assertThrottled(t, await post('/api/login/', { email: alice.email.toUpperCase(), password: 'x' }), 60, 'another spelling of the e-mail')

  const other = await post('/api/login/', { email: bob.email, password: 'wrong-password' })
  t.equal(other.statusCode, 401, 'bob, same address: not throttled')
  const byUsername = await post('/api/login/', { username: 'alice', password: 'wrong-password' })
  t.equal(byUsername.statusCode, 401, 'the username is its own key')
})

t.test('one address trying many accounts meets the per-address ceiling', async t => {
  const { post } = await setup(t, { RATE_LIMIT_LOGIN: '3/1m', RATE_LIMIT_PER_ADDRESS: '5/1m' })

  for (let i = 0; i < 5; i++) {
    const res = await post('/api/login/', { email: `spray${i}@example.com`, password: 'guess' })
    t.equal(res.statusCode, 401, `account ${i}`)
  }
  assertThrottled(t, await post('/api/login/', { email: 'spray5@example.com', password: 'guess' }), 60, 'sixth account from one address')
  const elsewhere = await post('/api/login/', { email: 'spray6@example.com', password: 'guess' }, {}, '10.0.0.9')
  t.equal(elsewhere.statusCode, 401, 'another address is not affected')
})

t.test('forgot and reset: keyed by the e-mail (body and query string)', async t => {
  const { post } = await setup(t, { RATE_LIMIT_FORGOT: '2/1h', RATE_LIMIT_RESET: '2/1h' })
  const email = `someone-${unique()}@example.com`

  for (let i = 0; i < 2; i++) t.not((await post('/api/password/forgot/', { email })).statusCode, 429)
  assertThrottled(t, await post('/api/password/forgot/', { email }), 3600, 'forgot')
  t.not((await post('/api/password/forgot/', { email: `other-${unique()}@example.com` })).statusCode, 429, 'forgot, other e-mail')

  const reset = (address: string) => post(`/api/password/reset/?email=${encodeURIComponent(address)}&token=abc`, { new_password: 'Another-pass-2026' })
  for (let i = 0; i < 2; i++) t.not((await reset(email)).statusCode, 429)
  assertThrottled(t, await reset(email), 3600, 'reset')
  t.not((await reset(`other-${unique()}@example.com`)).statusCode, 429, 'reset, other e-mail')
})

t.test('register and confirm: keyed by client address; X-Forwarded-For counts only with TRUST_PROXY', async t => {
  const env = { RATE_LIMIT_REGISTER: '2/1m', RATE_LIMIT_CONFIRM: '2/1m' }
  const signup = () => {
    const name = `u${unique()}`
    return { username: name, email: `${name}@example.com`, first_name: 'New', last_name: 'User', password: 'Sign-up-pass-2026' }
  }

  const direct = await setup(t, env)
  const viaProxy = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` })
  t.equal((await direct.post('/api/create/', signup(), viaProxy(1))).statusCode, 201)
  t.equal((await direct.post('/api/create/', signup(), viaProxy(2))).statusCode, 201)
  assertThrottled(t, await direct.post('/api/create/', signup(), viaProxy(3)), 60, 'forged X-Forwarded-For is ignored without TRUST_PROXY')

  const confirm = (app: typeof direct, headers: Record<string, string> = {}, remote = '127.0.0.1') =>
    app.post(`/api/invite/confirm/?email=x${unique()}@example.com&token=${unique()}`, { password: 'Sign-up-pass-2026' }, headers, remote)
  t.not((await confirm(direct)).statusCode, 429)
  t.not((await confirm(direct)).statusCode, 429)
  assertThrottled(t, await confirm(direct), 60, 'confirm, third from one address (different e-mails)')
  t.not((await confirm(direct, {}, '10.0.0.7')).statusCode, 429, 'confirm from another address')

  const proxied = await setup(t, { ...env, TRUST_PROXY: '1' })
  for (let n = 1; n <= 4; n++) {
    t.equal((await proxied.post('/api/create/', signup(), viaProxy(n))).statusCode, 201, `client ${n} behind the trusted proxy`)
  }
  await proxied.post('/api/create/', signup(), viaProxy(9))
  await proxied.post('/api/create/', signup(), viaProxy(9))
  assertThrottled(t, await proxied.post('/api/create/', signup(), viaProxy(9)), 60, 'one client behind the proxy')
})

t.test('invite: keyed by the inviting user', async t => {
  const { post, seed, auth } = await setup(t, { RATE_LIMIT_INVITE: '2/1h' })
  const first = await auth(await seed.user({ role: 'ADMINISTRATOR' }))
  const second = await auth(await seed.user({ role: 'ADMINISTRATOR' }))
  const invite = (headers: Record<string, string>) => post('/api/invite/', { email: `inv-${unique()}@example.com`, project_id: 'f'.repeat(32) }, headers)

  t.not((await invite(first)).statusCode, 429)
  t.not((await invite(first)).statusCode, 429)
  assertThrottled(t, await invite(first), 3600, 'third invite by one admin')
  t.not((await invite(second)).statusCode, 429, 'another admin, same address')
})

t.test('translation: keyed by the signed-in user, anonymous callers by address', async t => {
  const { app, seed, auth } = await setup(t, { RATE_LIMIT_TRANSLATE: '2/1m' })
  const one = await auth(await seed.user())
  const two = await auth(await seed.user())
  const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/api/i18n/translate/?text=Hello&lang=pt', headers })

  t.equal((await get(one)).statusCode, 200)
  t.equal((await get(one)).statusCode, 200)
  assertThrottled(t, await get(one), 60, 'third translation by one user')
  t.equal((await get(two)).statusCode, 200, 'another user')
  t.equal((await get()).statusCode, 200, 'anonymous caller, own counter')
})

t.test('RATE_LIMIT=off turns every limit off', async t => {
  const { post, seed } = await setup(t, { RATE_LIMIT: 'off', RATE_LIMIT_LOGIN: '1/1m' })
  const alice = await seed.user()
  for (let i = 0; i < 5; i++) {
    const res = await post('/api/login/', { email: alice.email, password: 'wrong-password' })
    t.equal(res.statusCode, 401, `attempt ${i + 1}`)
    t.equal(res.headers['x-ratelimit-limit'], undefined)
  }
})

t.test('with RATE_LIMIT_REDIS_URL, instances share the counters', async t => {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
  const reachable = await import('ioredis').then(async ({ Redis }) => {
    const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, enableOfflineQueue: false })
    try { await probe.connect(); await probe.ping(); return true } catch { return false } finally { probe.disconnect() }
  })
  if (!reachable) return t.plan(0, `skipped: no Redis at ${redisUrl}`)

  const env = { RATE_LIMIT_REDIS_URL: redisUrl, RATE_LIMIT_LOGIN: '3/1m' }
  const first = await setup(t, env)
  const second = await setup(t, env)
  const email = `shared-${unique()}@example.com` // a fresh key: earlier runs do not count
  t.equal((await first.post('/api/login/', { email, password: 'x' })).statusCode, 401)
  t.equal((await second.post('/api/login/', { email, password: 'x' })).statusCode, 401)
  t.equal((await first.post('/api/login/', { email, password: 'x' })).statusCode, 401)
  assertThrottled(t, await second.post('/api/login/', { email, password: 'x' }), 60, 'fourth attempt, on the other instance')
})

t.test('an unreachable Redis neither blocks start-up for long nor refuses requests (counts are skipped)', async t => {
  const started = Date.now()
  const { post } = await setup(t, { RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:1/0', RATE_LIMIT_LOGIN: '1/1m' })
  t.ok(Date.now() - started < 10_000, `built in ${Date.now() - started} ms`)
  for (let i = 0; i < 3; i++) {
    const res = await post('/api/login/', { email: 'nobody@example.com', password: 'x' })
    t.equal(res.statusCode, 401, `attempt ${i + 1} is judged, not refused`)
  }
})
