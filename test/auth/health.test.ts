// Health endpoints (auth-and-users §5.17, §12.12: public, the Authorization header is ignored).
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createKnex } from '../../src/db/connection.js'
import { buildTestApp, testConfig } from '../helpers/app.js'

t.test('health', async t => {
  const { app } = await buildTestApp(t)

  t.test('liveness at /api/health/ and /health/, whatever the Authorization header says', async t => {
    for (const url of ['/api/health/', '/health/', '/api/health']) {
      for (const authorization of [undefined, 'Bearer stale.or.garbage', 'Bearer']) {
        const res = await app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} })
        t.equal(res.statusCode, 200, `${url} ${authorization}`)
        t.same(res.json(), { status: 'ok' })
      }
    }
    t.equal((await app.inject({ method: 'POST', url: '/api/health/' })).statusCode, 405)
  })

  t.test('HEAD is refused on the health views (Django function views: GET only), offered elsewhere', async t => {
    for (const url of ['/api/health/', '/api/health/db/', '/health/']) {
      const res = await app.inject({ method: 'HEAD', url })
      t.equal(res.statusCode, 405, url)
      t.equal(res.headers.allow, 'GET, OPTIONS', `${url} Allow`)
    }
    t.equal((await app.inject({ method: 'HEAD', url: '/api/roles/' })).statusCode, 200, 'a class-based view answers HEAD')
  })

  t.test('database check answers with an integer latency', async t => {
    const res = await app.inject({ method: 'GET', url: '/api/health/db/', headers: { authorization: 'Bearer garbage' } })
    t.equal(res.statusCode, 200)
    t.same(Object.keys(res.json()), ['status', 'db', 'latency_ms'])
    t.match(res.json(), { status: 'ok', db: 'ok' })
    t.ok(Number.isInteger(res.json().latency_ms) && res.json().latency_ms >= 0)
  })

  t.test('a database that does not answer gives 503 with a generic detail', async t => {
    // Nothing listens on port 9 of the loopback: the driver fails at once.
    const knex = createKnex('mysql://nobody:secret@127.0.0.1:9/nowhere')
    const down = await buildApp({ config: testConfig('mysql://nobody:secret@127.0.0.1:9/nowhere'), knex, logger: false })
    t.teardown(async () => { await down.close(); await knex.destroy() })
    const res = await down.inject({ method: 'GET', url: '/api/health/db/' })
    t.equal(res.statusCode, 503)
    t.same(res.json(), { status: 'error', db: 'down', detail: 'Database unavailable.' })
    t.notMatch(res.body, /127\.0\.0\.1|nobody|secret/, 'no host or credentials in the body')
    t.equal((await down.inject({ method: 'GET', url: '/api/health/' })).statusCode, 200, 'liveness does not need the database')
  })
})
