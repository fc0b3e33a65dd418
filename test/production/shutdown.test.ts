// Issue 7 (faults): SIGTERM drains. Requests in flight when the signal arrives complete normally (an upload
// still being sent, logins hashing), new connections are refused, idle keep-alive connections do not hold the
// process, and it exits 0. A real server process (src/main.ts, what npm start runs) on the suite's database.
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { issuePair } from '../../src/auth/tokens.js'
import { bindModels } from '../../src/models/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { startServer } from '../helpers/server.js'
import { createSeeder, SEED_PASSWORD } from '../helpers/seed.js'
import { bearer, jsonPost, multipartBody, pngBytes, rawRequest, sleep, timedFetch, waitUntil } from './support.js'

const SECRET = 'shutdown-test-secret-key-0123456789'

t.test('SIGTERM with requests in flight', async t => {
  const db = await createTestDatabase()
  const media = mkdtempSync(join(tmpdir(), 'enl-shutdown-media-'))
  const server = await startServer({ DATABASE_URL: db.url, SECRET_KEY: SECRET, RATE_LIMIT: 'off', LOG_LEVEL: 'info', MEDIA_ROOT: media }, 60_000)
  t.teardown(async () => {
    await server.stop('SIGKILL')
    await db.destroy()
    rmSync(media, { recursive: true, force: true })
  })
  const seed = createSeeder(db.knex)
  const alice = await seed.user({ name: 'alice' })
  // Seeded hashes are cheap: each login re-hashes at 1,000,000 iterations, so these take a while.
  const loginUsers = await Promise.all(Array.from({ length: 4 }, (_, i) => seed.user({ name: `drain${i}` })))
  const row = await bindModels(db.knex).User.query().findById(alice.id)
  const access = (await issuePair(row!, { config: { secretKey: SECRET }, knex: db.knex })).access

  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>(resolve => {
    server.process.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  })

  // An idle keep-alive connection: it must not keep the process alive.
  const idle = connect(Number(new URL(server.url).port), '127.0.0.1')
  idle.on('error', () => {})
  await new Promise(resolve => idle.once('connect', resolve))
  idle.write(`GET /api/health/ HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n`)
  await new Promise(resolve => idle.once('data', resolve))
  const idleClosed = new Promise<number>(resolve => idle.once('close', () => resolve(Date.now())))

  // In flight 1: an upload whose body is still arriving when the signal comes.
  const upload = multipartBody([
    { name: 'full_name', value: 'Alice Drained' },
    { name: 'avatar', value: pngBytes(300 * 1024), filename: 'a.png', contentType: 'image/png' },
  ])
  const slow = await rawRequest(server.url, {
    method: 'PATCH', path: '/api/me/update/', headers: { 'content-type': upload.contentType, ...bearer(access) }, body: upload.body,
  })
  await slow.send(64 * 1024)
  // In flight 2: logins busy hashing.
  const logins = loginUsers.map(u => timedFetch(`${server.url}/api/login/`, jsonPost({ username: u.username, password: SEED_PASSWORD })))
  await sleep(150)

  const signalledAt = Date.now()
  server.process.kill('SIGTERM')
  // A loaded machine may take a while to run the handler: wait for it rather than for a fixed time, then
  // allow app.close() the few ticks it takes to stop listening.
  t.not(await waitUntil(async () => /shutting down/.test(server.output()), 10_000, 20), null, 'the signal is handled')
  const port = Number(new URL(server.url).port)
  const refusedAfter = await waitUntil(async () => (await tcpConnectOutcome(port)) === 'ECONNREFUSED', 3000, 20)
  t.not(refusedAfter, null, `the server stops listening once the signal is handled (${refusedAfter} ms after the log line)`)

  const late = await fetch(`${server.url}/api/health/`, { signal: AbortSignal.timeout(5000) }).then(r => `answered ${r.status}`, (e: Error) => String((e.cause as { code?: string })?.code ?? e.message))
  t.equal(late, 'ECONNREFUSED', 'a new connection after SIGTERM is refused')

  await slow.send() // the rest of the upload, after the signal
  const uploaded = await slow.response()
  t.equal(uploaded.status, 200, 'the upload in flight completes with 200')
  t.equal(JSON.parse(uploaded.body).full_name, 'Alice Drained')
  const results = await Promise.all(logins)
  for (const [i, res] of results.entries()) {
    t.equal(res.status, 200, `login #${i + 1} in flight completes with 200 (${res.ms} ms)`)
    t.type(res.json().access, 'string')
  }

  const exit = await Promise.race([exited, sleep(15_000).then(() => null)])
  t.ok(exit, 'the process exits after draining')
  t.equal(exit?.code, 0, 'exit code 0')
  t.equal(exit?.signal, null, 'it exited by itself, not killed by the signal')
  t.ok(exit && exit.at - signalledAt < 10_000, `exited ${exit ? exit.at - signalledAt : '?'} ms after SIGTERM`)
  t.ok(await Promise.race([idleClosed, sleep(1000).then(() => null)]), 'the idle keep-alive connection was closed')

  const stored = await db.knex('authentication_userprofile').where({ id: alice.id }).first('full_name', 'avatar')
  t.equal(stored.full_name, 'Alice Drained', 'the drained update is in the database')
  t.match(stored.avatar, /^users\/.+\/avatar\.png$/)
  t.match(server.output(), /shutting down/, 'the shutdown is logged')
  t.notMatch(server.output(), /"level":(50|60)/, 'no error logged during the drain')
})

/** 'connected' (the socket is closed again at once) or the connect error's code. */
function tcpConnectOutcome(port: number): Promise<string> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}
