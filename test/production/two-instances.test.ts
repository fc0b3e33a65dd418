// Issue 7 (two instances): two server processes (src/main.ts) on one database, sharing no memory. Token state lives
// in the database only, so rotation, blacklisting, logout, revocation and deactivation seen by one are honoured by
// the other. Rate limits are per process unless RATE_LIMIT_REDIS_URL points every instance at one Redis.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import t, { type Test } from 'tap'
import { createKnex } from '../../src/db/connection.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { startServer, type RunningServer } from '../helpers/server.js'
import { createSeeder, SEED_PASSWORD } from '../helpers/seed.js'
import { bearer, createMysqlDb, jsonPost, mariadbSkipReason, timedFetch } from './support.js'

const SECRET = 'two-instances-shared-secret-0123456789' // every instance must sign with the same key

interface Shared { url: string, knex: Knex, drop(): Promise<void> }

async function sqliteDatabase(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), 'enl-two-'))
  const url = `sqlite:${join(dir, 'db.sqlite3')}`
  return { url, knex: createKnex(url), drop: async () => rmSync(dir, { recursive: true, force: true }) }
}

async function mariadbDatabase(): Promise<Shared> {
  const db = await createMysqlDb('enl_two_')
  return { url: db.url, knex: knexFactory({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 2 } }), drop: () => db.drop() }
}

/** Both instances start at once on the fresh database: the migration lock decides who migrates. */
async function twoServers(t: Test, url: string, env: Record<string, string> = {}): Promise<[RunningServer, RunningServer]> {
  const base = { DATABASE_URL: url, SECRET_KEY: SECRET, RATE_LIMIT: 'off', ...env }
  const servers = await Promise.all([startServer(base, 90_000), startServer(base, 90_000)])
  t.teardown(async () => { await Promise.all(servers.map(s => s.stop('SIGKILL'))) })
  return servers as [RunningServer, RunningServer]
}

function scenario(t: Test, makeDb: () => Promise<Shared>) {
  t.test('tokens', async t => {
    const db = await makeDb()
    const [a, b] = await twoServers(t, db.url)
    t.teardown(async () => { await db.knex.destroy(); await db.drop() })
    t.not(a.url, b.url, 'two processes, two ports')
    t.not(a.process.pid, b.process.pid)
    await createSeeder(db.knex).user({ name: 'alice' })

    const login = (s: RunningServer, password = SEED_PASSWORD) => timedFetch(`${s.url}/api/login/`, jsonPost({ username: 'alice', password }))
    const refresh = (s: RunningServer, token: string) => timedFetch(`${s.url}/api/refresh/`, jsonPost({ refresh: token }))
    const logout = (s: RunningServer, token: string) => timedFetch(`${s.url}/api/logout/`, jsonPost({ refresh: token }))
    const me = (s: RunningServer, access: string) => timedFetch(`${s.url}/api/me/`, { headers: bearer(access) })
    const BLACKLISTED = { detail: 'Invalid refresh token.', error: 'Token is blacklisted' }

    const p0 = (await login(a)).json()
    t.equal((await me(b, p0.access)).status, 200, 'an access token from A is accepted by B (same key, no session state)')

    t.test('a refresh token rotated on one instance is refused on the other', async t => {
      const onA = await refresh(a, p0.refresh)
      t.equal(onA.status, 200, 'A rotates')
      const p1 = onA.json()
      const replay = await refresh(b, p0.refresh)
      t.equal(replay.status, 400, 'B refuses the rotated token')
      t.same(replay.json(), BLACKLISTED)
      const onB = await refresh(b, p1.refresh)
      t.equal(onB.status, 200, 'B rotates the token A issued')
      const replayOnA = await refresh(a, p1.refresh)
      t.equal(replayOnA.status, 400, 'and A then refuses that one')
      t.same(replayOnA.json(), BLACKLISTED)
    })

    t.test('the same refresh token presented to both at once: exactly one rotation', async t => {
      const pair = (await login(b)).json()
      const results = await Promise.all([refresh(a, pair.refresh), refresh(b, pair.refresh), refresh(a, pair.refresh), refresh(b, pair.refresh)])
      const statuses = results.map(r => r.status).sort()
      t.same(statuses, [200, 400, 400, 400], `one winner, three refusals (${results.map(r => r.status).join(', ')})`)
    })

    t.test('logout on one instance is honoured by the other', async t => {
      const pair = (await login(a)).json()
      const out = await logout(b, pair.refresh)
      t.equal(out.status, 200, 'B logs out')
      const after = await refresh(a, pair.refresh)
      t.equal(after.status, 400, 'A refuses the logged-out refresh token')
      t.same(after.json(), BLACKLISTED)
      const again = await logout(a, pair.refresh)
      t.equal(again.status, 400, 'and a second logout on A is refused')
      // auth-and-users §2.5: access tokens stay valid until they expire, on every instance alike.
      t.equal((await me(a, pair.access)).status, 200, 'the access token stays usable until it expires (§2.5)')
    })

    t.test('a password changed on one instance revokes refresh tokens on the other', async t => {
      const pair = (await login(b)).json()
      const other = (await login(a)).json()
      const res = await timedFetch(`${a.url}/api/me/update/`, {
        method: 'PATCH',
        headers: { ...bearer(other.access), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: 'N3w-password-2026!', password_confirm: 'N3w-password-2026!' }).toString(),
      })
      t.equal(res.status, 200, 'A changes the password')
      const stale = await refresh(b, pair.refresh)
      t.equal(stale.status, 400, 'B refuses a refresh token issued before the change')
      t.equal((await login(b)).status, 401, 'B refuses the old password')
      t.equal((await login(b, 'N3w-password-2026!')).status, 200, 'B accepts the new one')
    })

    t.test('a user deactivated in the database is refused by both at once (no per-process cache)', async t => {
      const pair = (await login(a, 'N3w-password-2026!')).json()
      await db.knex('authentication_userprofile').where({ username: 'alice' }).update({ is_active: false })
      for (const [name, s] of [['A', a], ['B', b]] as const) {
        const res = await me(s, pair.access)
        t.equal(res.status, 401, `${name} answers 401`)
        t.equal(res.json().code, 'user_inactive')
        t.equal((await refresh(s, pair.refresh)).status, 400, `${name} refuses to refresh for an inactive user`)
      }
    })
  })
}

// Two processes starting on a fresh database can both insert knex's lock row (its table creation is racy); with
// two rows the lock can never be taken. This state, made by hand, must not wedge start-up.
function duplicateLockRows(t: Test, makeDb: () => Promise<Shared>) {
  t.test('a migration lock table left with two rows does not wedge start-up', async t => {
    const db = await makeDb()
    const knex = createKnex(db.url)
    t.teardown(async () => { await knex.destroy(); await db.knex.destroy(); await db.drop() })
    await knex.schema.createTable('knex_migrations_lock', table => {
      table.increments('index').primary()
      table.integer('is_locked')
    })
    await knex('knex_migrations_lock').insert([{ is_locked: 0 }, { is_locked: 0 }])
    const silent = { info() {}, warn() {} }
    const started = Date.now()
    await t.resolves(migrateToLatest(knex, silent, { lockTimeoutMs: 10_000 }), 'migrations complete')
    t.ok(Date.now() - started < 5000, `in ${Date.now() - started} ms`)
    t.same(await knex('knex_migrations_lock').pluck('is_locked'), [0], 'one lock row, released')
  })
}

t.test('two instances on one SQLite file', async t => scenario(t, sqliteDatabase))
t.test('two instances on one MariaDB database', { skip: await mariadbSkipReason() }, async t => scenario(t, mariadbDatabase))
t.test('start-up on SQLite', async t => duplicateLockRows(t, sqliteDatabase))
t.test('start-up on MariaDB', { skip: await mariadbSkipReason() }, async t => duplicateLockRows(t, mariadbDatabase))

// Rate limits: counters are process memory unless RATE_LIMIT_REDIS_URL names a shared Redis.
const REDIS_URL = process.env.RATE_LIMIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/7'

async function redisSkipReason(): Promise<string | false> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return false
  } catch (err) {
    return `Redis unreachable at ${REDIS_URL}: ${(err as Error).message}`
  } finally {
    redis.disconnect()
  }
}

t.test('login rate limit across two instances', async t => {
  const db = await sqliteDatabase()
  t.teardown(async () => { await db.knex.destroy(); await db.drop() })
  // Each run uses a fresh account name, so counters left in Redis by an earlier run never interfere.
  const username = `rl_${Date.now().toString(36)}`
  const attempts = async (a: RunningServer, b: RunningServer, name: string) => {
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const s = i % 2 === 0 ? a : b
      statuses.push((await timedFetch(`${s.url}/api/login/`, jsonPost({ username: name, password: 'wrong-password' }))).status)
    }
    return statuses
  }
  const limited = { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN: '3/10m' }

  t.test('without a shared store each instance counts alone: the limit is multiplied by the instances', async t => {
    const [a, b] = await twoServers(t, db.url, limited)
    const statuses = await attempts(a, b, `${username}_local`)
    t.equal(statuses.filter(s => s === 401).length, 6, `3 attempts per instance get through (${statuses.join(' ')})`)
    t.equal(statuses.filter(s => s === 429).length, 2)
  })

  t.test('with RATE_LIMIT_REDIS_URL both instances share one counter', { skip: await redisSkipReason() }, async t => {
    const [a, b] = await twoServers(t, db.url, { ...limited, RATE_LIMIT_REDIS_URL: REDIS_URL })
    const statuses = await attempts(a, b, `${username}_redis`)
    t.same(statuses, [401, 401, 401, 429, 429, 429, 429, 429], 'the fourth attempt is refused, whichever instance gets it')
  })
})
