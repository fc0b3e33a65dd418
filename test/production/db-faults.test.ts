// Issue 7 (faults): MariaDB lost mid-run behind a TCP proxy. A real server process (npm start's src/main.ts)
// migrates and serves through the proxy; the test cuts it. Affected requests answer 503 JSON within a bound,
// /api/health/db/ says so, liveness stays up, and the same process recovers when the database returns.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import t, { type Test } from 'tap'
import { startServer, type RunningServer } from '../helpers/server.js'
import { createSeeder, SEED_PASSWORD, type SeedUser } from '../helpers/seed.js'
import { startTcpProxy, throughProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import {
  bearer, createMysqlDb, jsonPost, mariadbSkipReason, multipartBody, pngBytes, rawRequest, sleep, timedFetch, waitUntil, type Timed,
} from './support.js'

// A reset connection fails at once; a silent one is bounded by the statement deadline (5 s, src/db/connection.ts).
const CUT_BOUND_MS = 5000
const PARTITION_BOUND_MS = 6500
const RECOVERY_BOUND_MS = 10_000

const DB_DOWN = { detail: 'Database unavailable.' }
const HEALTH_DOWN = { status: 'error', db: 'down', detail: 'Database unavailable.' }

t.test('MariaDB lost behind a TCP proxy', { skip: await mariadbSkipReason() }, async t => {
  const db = await createMysqlDb('enl_fault_')
  const proxy: TcpProxy = await startTcpProxy({ host: new URL(db.url).hostname, port: Number(new URL(db.url).port || 3306) })
  const media = mkdtempSync(join(tmpdir(), 'enl-fault-media-'))
  // The migrations run through the proxy too: the server only ever sees the proxied address.
  const server: RunningServer = await startServer({
    DATABASE_URL: throughProxy(db.url, proxy),
    SECRET_KEY: 'fault-test-secret-key-0123456789abcdef',
    RATE_LIMIT: 'off',
    MEDIA_ROOT: media,
  }, 60_000)
  const direct: Knex = knexFactory({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 2 } })
  t.teardown(async () => {
    await server.stop('SIGKILL')
    await proxy.close()
    await direct.destroy()
    await db.drop()
    rmSync(media, { recursive: true, force: true })
  })
  const pid = server.process.pid
  const alice: SeedUser = await createSeeder(direct).user({ name: 'alice' })
  const loginBody = { username: 'alice', password: SEED_PASSWORD }
  const login = () => timedFetch(`${server.url}/api/login/`, jsonPost(loginBody))
  const first = await login()
  t.equal(first.status, 200, 'login works through the proxy')
  const access: string = first.json().access
  const me = () => timedFetch(`${server.url}/api/me/`, { headers: bearer(access) })
  t.equal((await me()).status, 200, 'GET /api/me/ works through the proxy')
  t.equal((await timedFetch(`${server.url}/api/health/db/`)).status, 200, 'health/db is up')

  /** A burst of affected requests while the database is away, all in flight at once. */
  const burst = async () => {
    const [mes, logins, healthDb, health] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, me)),
      Promise.all(Array.from({ length: 3 }, login)),
      timedFetch(`${server.url}/api/health/db/`),
      timedFetch(`${server.url}/api/health/`),
    ])
    return { mes, logins, healthDb, health }
  }

  const checkDown = (t: Test, label: string, res: Awaited<ReturnType<typeof burst>>, boundMs: number) => {
    const all: Array<[string, Timed]> = [
      ...res.mes.map((r, i) => [`GET /api/me/ #${i + 1}`, r] as [string, Timed]),
      ...res.logins.map((r, i) => [`POST /api/login/ #${i + 1}`, r] as [string, Timed]),
    ]
    for (const [name, r] of all) {
      t.equal(r.status, 503, `${label}: ${name} answers 503`)
      t.match(r.contentType, /^application\/json/, `${label}: ${name} is JSON`)
      t.same(r.json(), DB_DOWN, `${label}: ${name} body`)
      t.ok(r.ms < boundMs, `${label}: ${name} answered in ${r.ms} ms (< ${boundMs})`)
    }
    t.equal(res.healthDb.status, 503, `${label}: /api/health/db/ answers 503`)
    t.same(res.healthDb.json(), HEALTH_DOWN, `${label}: /api/health/db/ body`)
    t.ok(res.healthDb.ms < boundMs, `${label}: /api/health/db/ answered in ${res.healthDb.ms} ms`)
    t.equal(res.health.status, 200, `${label}: liveness (/api/health/) does not need the database`)
    t.ok(res.health.ms < 1000, `${label}: liveness answered in ${res.health.ms} ms while the database is away`)
    const bodies = all.map(([, r]) => r.text).join('\n') + res.healthDb.text
    t.notMatch(bodies, new RegExp(`${proxy.port}|127\\.0\\.0\\.1|ECONN|ETIMEDOUT|mysql|knex`, 'i'), `${label}: no driver detail in any body`)
  }

  const checkRecovery = async (t: Test, label: string) => {
    const took = await waitUntil(async () => (await me()).status === 200, RECOVERY_BOUND_MS)
    t.not(took, null, `${label}: GET /api/me/ is 200 again within ${RECOVERY_BOUND_MS} ms (took ${took} ms)`)
    const again = await login()
    t.equal(again.status, 200, `${label}: login (a write) works again`)
    const health = await timedFetch(`${server.url}/api/health/db/`)
    t.equal(health.status, 200, `${label}: /api/health/db/ is up again`)
    t.equal(server.process.exitCode, null, `${label}: the process never exited`)
    t.equal(server.process.pid, pid, `${label}: same process, no restart`)
  }

  t.test('cut: every connection reset, new ones refused', async t => {
    proxy.cut()
    checkDown(t, 'cut', await burst(), CUT_BOUND_MS)
    await sleep(300)
    checkDown(t, 'cut, later', await burst(), CUT_BOUND_MS) // a failed pool does not make later requests slower
    proxy.restore()
    await checkRecovery(t, 'after the cut')
  })

  t.test('partition: connections stay open but nothing answers', async t => {
    // Warm the pool so some requests land on connections that go silent mid-statement.
    await Promise.all(Array.from({ length: 6 }, me))
    proxy.blackhole()
    checkDown(t, 'partition', await burst(), PARTITION_BOUND_MS)
    proxy.restore()
    await checkRecovery(t, 'after the partition')
  })

  // The head arrives while the database is there (the caller is authenticated), then the database goes, then the
  // rest of the body: the handler stores the file and its transaction fails. The file must not outlive that.
  const uploadWhileCut = async (path: string, method: string, token: string, fields: Array<{ name: string, value: string }>) => {
    const { body, contentType } = multipartBody([
      ...fields,
      { name: 'avatar', value: pngBytes(256 * 1024), filename: 'a.png', contentType: 'image/png' },
    ])
    const req = await rawRequest(server.url, { method, path, headers: { 'content-type': contentType, ...bearer(token) }, body })
    await req.send(1024)
    await sleep(300)
    proxy.cut()
    await req.send()
    const res = await req.response()
    proxy.restore()
    await waitUntil(async () => (await me()).status === 200, RECOVERY_BOUND_MS)
    return res
  }

  t.test('the database goes away during PATCH /api/me/update/ with an avatar: no file without its row', async t => {
    const before = await direct('authentication_userprofile').where({ id: alice.id }).first('avatar', 'updated_at', 'full_name')
    const res = await uploadWhileCut('/api/me/update/', 'PATCH', access, [{ name: 'full_name', value: 'Alice Cut' }])
    t.equal(res.status, 503, 'the update answers 503')
    t.same(JSON.parse(res.body), DB_DOWN)
    const after = await direct('authentication_userprofile').where({ id: alice.id }).first('avatar', 'updated_at', 'full_name')
    t.same(after, before, 'the row is unchanged')
    t.same(listFiles(media), [], 'no avatar file was left behind without a row pointing at it')
  })

  t.test('the database goes away during POST /api/users/ with an avatar: no user, no file', async t => {
    const root = await createSeeder(direct).user({ name: 'root', role: 'ADMINISTRATOR' })
    const rootLogin = await timedFetch(`${server.url}/api/login/`, jsonPost({ username: 'root', password: SEED_PASSWORD }))
    t.equal(rootLogin.status, 200)
    const users = async () => Number((await direct('authentication_userprofile').count({ n: '*' }))[0].n)
    const count = await users()
    const res = await uploadWhileCut('/api/users/', 'POST', rootLogin.json().access, [
      { name: 'full_name', value: 'Carol Cut' }, { name: 'email', value: 'carol.cut@example.com' }, { name: 'role', value: 'USER' },
    ])
    t.equal(res.status, 503, 'the creation answers 503')
    t.same(JSON.parse(res.body), DB_DOWN)
    t.equal(await users(), count, 'no user row')
    t.same(listFiles(media), [], 'no avatar file was left behind without a row pointing at it')
    t.ok(root.id)
  })
})

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
  }
  return out
}
