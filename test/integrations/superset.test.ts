// POST /api/superset/guest-token/ against a fake Superset (resources §7.6, §17 #3; DECISIONS 20).
import t, { type Test } from 'tap'
import { createServer } from 'node:net'
import { buildTestApp } from '../helpers/app.js'
import { startFakeSuperset, SUPERSET_PASSWORD, SUPERSET_SECRETS, SUPERSET_USER, type FakeSuperset } from '../fakes/superset.js'

const TIMEOUT_MS = 400

async function setup(t: Test, fake: FakeSuperset | null, env: Record<string, string> = {}) {
  const test = await buildTestApp(t, {
    env: {
      SUPERSET_BASE_URL: fake?.url ?? '',
      SUPERSET_USERNAME: SUPERSET_USER,
      SUPERSET_PASSWORD: SUPERSET_PASSWORD,
      SUPERSET_TIMEOUT_MS: String(TIMEOUT_MS),
      ...env,
    },
  })
  const user = await test.seed.user({ role: 'USER' })
  const headers = await test.auth(user)
  const ask = (payload: unknown, extra: Record<string, string> = headers) =>
    test.app.inject({ method: 'POST', url: '/api/superset/guest-token/', payload: payload as object, headers: extra })
  return { ...test, ask }
}

async function fakeSuperset(t: Test) {
  const fake = await startFakeSuperset()
  t.teardown(() => fake.close())
  return fake
}

/** Nothing of Superset's secrets, answers or address appears in a body. */
function assertNoLeak(t: Test, text: string, fake: FakeSuperset | null) {
  for (const secret of Object.values(SUPERSET_SECRETS)) t.notMatch(text, secret, 'no Superset secret in the body')
  t.notMatch(text, SUPERSET_PASSWORD, 'no Superset password in the body')
  t.notMatch(text, 'boom', 'no Superset answer text in the body')
  if (fake) t.notMatch(text, fake.url.replace('http://', ''), 'no upstream address in the body')
}

t.test('a signed-in user gets the guest token; credentials, CSRF and session cookie go to Superset', async t => {
  const fake = await fakeSuperset(t)
  const { ask } = await setup(t, fake)

  const res = await ask({ dashId: 'c0ffee00-1234-4abc-9def-0123456789ab' })

  t.equal(res.statusCode, 200)
  t.same(res.json(), { token: 'guest-token-1' })
  t.same(fake.calls.map(c => `${c.method} ${c.path}`), [
    'POST /api/v1/security/login',
    'GET /api/v1/security/csrf_token/',
    'POST /api/v1/security/guest_token/',
  ])
  const [login, csrf, guest] = fake.calls
  t.same(login.json, { username: SUPERSET_USER, password: SUPERSET_PASSWORD, provider: 'db', refresh: true })
  t.equal(csrf.headers.authorization, `Bearer ${SUPERSET_SECRETS.access}`)
  t.equal(guest.headers.authorization, `Bearer ${SUPERSET_SECRETS.access}`)
  t.equal(guest.headers['x-csrftoken'], SUPERSET_SECRETS.csrf)
  t.match(guest.headers.cookie, `session=${SUPERSET_SECRETS.session}`)
  t.same(guest.json, {
    user: { username: 'Guest_User', first_name: 'Guest', last_name: 'User' },
    resources: [{ type: 'dashboard', id: 'c0ffee00-1234-4abc-9def-0123456789ab' }],
    rls: [],
    aud: 'superset',
    type: 'guest',
  })
})

t.test('the CSRF step is optional: a Superset without it still issues the token', async t => {
  const fake = await fakeSuperset(t)
  fake.mode = 'no-csrf'
  const { ask } = await setup(t, fake)

  const res = await ask({ dashId: '7' })

  t.equal(res.statusCode, 200)
  t.same(res.json(), { token: 'guest-token-1' })
  t.equal(fake.calls[2].headers['x-csrftoken'], undefined)
})

t.test('anonymous callers get 401 and a missing dashId gets 400, with no call to Superset', async t => {
  const fake = await fakeSuperset(t)
  const { ask } = await setup(t, fake)

  const anonymous = await ask({ dashId: '7' }, {})
  t.equal(anonymous.statusCode, 401)

  for (const payload of [{}, { dashId: '' }, { dashId: '   ' }]) {
    const res = await ask(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.same(res.json(), { detail: 'dashId is required.' })
  }
  t.same(fake.calls, [], 'Superset was never called')
})

t.test('upstream failures answer 502 with a generic detail and no tokens or internals', async t => {
  const fake = await fakeSuperset(t)
  const { ask } = await setup(t, fake)

  for (const mode of ['login-refused', 'guest-error', 'guest-no-token'] as const) {
    fake.mode = mode
    const res = await ask({ dashId: '7' })
    t.equal(res.statusCode, 502, mode)
    t.same(res.json(), { detail: 'Error calling external service.' }, mode)
    t.match(res.headers['content-type'], /^application\/json/)
    assertNoLeak(t, res.body, fake)
  }
})

t.test('a Superset that does not answer in time gives 504 after the configured timeout', async t => {
  const fake = await fakeSuperset(t)
  fake.mode = 'guest-hang'
  const { ask } = await setup(t, fake)

  const started = Date.now()
  const res = await ask({ dashId: '7' })
  const elapsed = Date.now() - started

  t.equal(res.statusCode, 504)
  t.same(res.json(), { detail: 'Timeout calling external service.' })
  t.ok(elapsed >= TIMEOUT_MS - 50 && elapsed < TIMEOUT_MS + 1500, `answered after ${elapsed} ms`)
  assertNoLeak(t, res.body, fake)
})

t.test('an unreachable Superset gives 502; an unconfigured one 503', async t => {
  const port = await new Promise<number>(resolve => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
  const unreachable = await setup(t, null, { SUPERSET_BASE_URL: `http://127.0.0.1:${port}` })
  const res = await unreachable.ask({ dashId: '7' })
  t.equal(res.statusCode, 502)
  t.same(res.json(), { detail: 'Error calling external service.' })
  t.notMatch(res.body, String(port))

  const unconfigured = await setup(t, null)
  const none = await unconfigured.ask({ dashId: '7' })
  t.equal(none.statusCode, 503)
  t.same(none.json(), { detail: 'Superset is not configured.' })
})
