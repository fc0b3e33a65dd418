// Logs are pino JSON and never carry a password, a token, an Authorization header or the n8n key.
import { Writable } from 'node:stream'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'

t.test('no secret reaches the log, even at trace level and on failures', async t => {
  const lines: string[] = []
  const logStream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done() } })
  const n8nKey = 'n8n-shared-secret-for-log-test'
  const { app, seed } = await buildTestApp(t, {
    env: { LOG_LEVEL: 'trace', N8N_KB_KEY: n8nKey, N8N_BASE_URL: 'http://127.0.0.1:9' },
    build: { logger: true, logStream },
  })
  await seed.user({ name: 'bob', email: 'bob@example.com' })

  const login = await app.inject({ method: 'POST', url: '/api/login/', payload: { email: 'bob@example.com', password: SEED_PASSWORD } })
  t.equal(login.statusCode, 200)
  const { access, refresh } = login.json()
  await app.inject({ method: 'POST', url: '/api/login/', payload: { email: 'bob@example.com', password: 'Wrong-pass-123' } })
  await app.inject({ method: 'POST', url: '/api/refresh/', payload: { refresh } })
  await app.inject({ method: 'GET', url: '/api/me/', headers: { authorization: `Bearer ${access}` } })
  await app.inject({ method: 'GET', url: '/api/me/', headers: { authorization: `Bearer ${access}x` } })
  await app.inject({ method: 'POST', url: `/api/password/reset/?email=bob%40example.com&token=reset-token-in-query`, payload: { new_password: 'Another-pass-456' } })
  await app.inject({ method: 'GET', url: '/api/kb/get/?hash_id=abc', headers: { authorization: `Bearer ${access}` } })

  t.ok(lines.length > 5, `the server logged (${lines.length} lines)`)
  for (const line of lines) JSON.parse(line)
  const all = lines.join('\n')
  for (const secret of [SEED_PASSWORD, 'Wrong-pass-123', 'Another-pass-456', access, refresh, 'reset-token-in-query', n8nKey, 'Bearer ']) {
    t.notOk(all.includes(secret), `log does not contain ${secret.slice(0, 12)}…`)
  }
})
