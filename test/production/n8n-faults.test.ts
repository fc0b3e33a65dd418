// Issue 7 (faults): n8n hanging or dropping connections. A real server process (src/main.ts) in front of the fake
// n8n: upstream calls end in 504 (after the 15 s deadline) or 502 (at once), and meanwhile every other route stays
// fast: a hung call holds no database connection (SQLite has one), no event loop and no shared pool.
import t, { type Test } from 'tap'
import { startFakeN8n } from '../fakes/n8n.js'
import { createTestDatabase } from '../helpers/database.js'
import { startServer } from '../helpers/server.js'
import { createSeeder, SEED_PASSWORD } from '../helpers/seed.js'
import { bearer, jsonPost, sleep, timedFetch, type Timed } from './support.js'

const TIMEOUT = { detail: 'Timeout calling external service.' }
const GENERIC = { detail: 'Error calling external service.' }
const JSON_DEADLINE_MS = 15_000 // DECISIONS 29
const FAST_MS = 500

t.test('n8n hangs or drops while the rest of the API keeps answering', async t => {
  const n8n = await startFakeN8n({ key: 'n8n-key-for-faults' })
  const db = await createTestDatabase()
  const server = await startServer({
    DATABASE_URL: db.url, SECRET_KEY: 'n8n-faults-secret-key-0123456789', RATE_LIMIT: 'off', N8N_BASE_URL: n8n.url, N8N_KB_KEY: n8n.key,
  }, 60_000)
  t.teardown(async () => {
    await server.stop('SIGKILL')
    await n8n.close()
    await db.destroy()
  })
  const seed = createSeeder(db.knex)
  const client = await seed.client()
  const member = await seed.user({ name: 'member', client })
  const project = await seed.project({ client, members: [member] })
  const kb = n8n.addKb('Manuals', 'Product manuals')
  await db.knex('kb_links').insert({ id: crypto.randomUUID().replaceAll('-', ''), external_id: kb.hash_id, name: kb.name, project_id: project.id })
  const login = await timedFetch(`${server.url}/api/login/`, jsonPost({ username: 'member', password: SEED_PASSWORD }))
  const auth = bearer(login.json().access)

  const getKb = () => timedFetch(`${server.url}/api/kb/get/?hash_id=${kb.hash_id}`, { headers: auth }, 60_000)
  let n = 0
  const createKb = () => timedFetch(`${server.url}/api/kb/create/`, jsonPost({ name: `Hung ${n++}`, project_id: project.id }, auth), 60_000)
  /** DB-bound and DB-free routes, one after another for `forMs`: every answer must come fast. */
  const probeOthers = async (forMs: number) => {
    const results: Array<[string, Timed]> = []
    const until = Date.now() + forMs
    while (Date.now() < until) {
      results.push(['GET /api/me/', await timedFetch(`${server.url}/api/me/`, { headers: auth })])
      results.push(['GET /api/projects/', await timedFetch(`${server.url}/api/projects/`, { headers: auth })])
      results.push(['GET /api/health/db/', await timedFetch(`${server.url}/api/health/db/`)])
      results.push(['POST /api/login/', await timedFetch(`${server.url}/api/login/`, jsonPost({ username: 'member', password: SEED_PASSWORD }))])
    }
    return results
  }
  // A login hashes with 1,000,000 PBKDF2 rounds: it gets a looser bound than the reads.
  const limitFor = (name: string) => (name === 'POST /api/login/' ? 2000 : FAST_MS)
  const checkOthers = (t: Test, results: Array<[string, Timed]>) => {
    const bad = results.filter(([name, r]) => r.status !== 200 || r.ms > limitFor(name))
    const worst = Math.max(...results.filter(([name]) => name !== 'POST /api/login/').map(([, r]) => r.ms))
    t.same(bad.map(([name, r]) => `${name}: ${r.status} in ${r.ms} ms`), [], `${results.length} other requests all 200, reads under ${FAST_MS} ms (slowest read ${worst} ms)`)
  }

  t.equal((await getKb()).status, 200, 'baseline: the KB is read through n8n')

  t.test('n8n hangs: 504 at the deadline, everything else stays fast', async t => {
    const linksBefore = await db.knex('kb_links').count({ n: '*' })
    n8n.fail({ kind: 'hang' })
    const started = Date.now()
    const hung = Promise.all([...Array.from({ length: 12 }, getKb), ...Array.from({ length: 12 }, createKb)])
    await sleep(200)
    checkOthers(t, await probeOthers(4000))
    const results = await hung
    for (const r of results) {
      t.equal(r.status, 504, `a hung call answers 504 (${r.ms} ms)`)
      t.same(r.json(), TIMEOUT)
    }
    const slowest = Math.max(...results.map(r => r.ms))
    t.ok(slowest < JSON_DEADLINE_MS + 3000, `all answered by ${Date.now() - started} ms (deadline ${JSON_DEADLINE_MS} ms)`)
    t.ok(Math.min(...results.map(r => r.ms)) >= JSON_DEADLINE_MS - 1000, 'and not before the deadline')
    t.same(await db.knex('kb_links').count({ n: '*' }), linksBefore, 'no KB link written for a creation n8n never confirmed')
    n8n.clearFailures()
    t.equal((await getKb()).status, 200, 'n8n answers again: so does the API')
  })

  t.test('n8n drops connections: 502 at once, everything else stays fast', async t => {
    n8n.fail({ kind: 'drop' })
    const dropped = await Promise.all(Array.from({ length: 12 }, getKb))
    for (const r of dropped) {
      t.equal(r.status, 502, `a dropped call answers 502 (${r.ms} ms)`)
      t.same(r.json(), GENERIC)
      t.ok(r.ms < 2000, 'quickly')
    }
    checkOthers(t, await probeOthers(1000))
    n8n.clearFailures()
    t.equal((await getKb()).status, 200, 'recovered')
  })
  t.equal(server.process.exitCode, null, 'the server process never exited')
})
