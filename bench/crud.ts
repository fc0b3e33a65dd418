// CRUD engine vs a hand-written fastify + mysql2 handler, same run, same SQL, on MariaDB (a script, not a test).
// Workloads: GET /api/projects/ as a member of 3 of N projects and as admin, GET /api/bots/ as that member.
// The baseline replays the very statements the engine sent for the same request (captured at run time through
// knex's query event, so they cannot drift), authenticates the same way (jose HS256 + the user row), prints the
// same JSON by hand (bodies are compared before measuring), and both run as separate processes with a pool of 10.
// Then the list time (sequential p50) at N and at 100 x N projects.
//
// Run: npx tsx bench/crud.ts [--projects 1000] [--grow 100] [--duration 8] [--connections 10] [--keep]
// Server: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306). Prints a table; exit 1 when a goal is missed.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import knexFactory, { type Knex } from 'knex'

const argv = process.argv.slice(2)
const opt = (name: string, fallback: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback)
const SECRET = 'bench-crud-secret-key-bench-crud-secret-key'
const SELF = fileURLToPath(import.meta.url)

interface Statement { sql: string, bindings: unknown[] }
interface Captured { id: string, path: string, token: string, statements: Statement[], body: unknown }

// ---------------------------------------------------------------------------------------------------------
// Child mode 1: the real server.
async function serveApi(url: string, port: number) {
  const { buildApp } = await import('../src/app.js')
  const { loadConfig } = await import('../src/config.js')
  const { createKnex } = await import('../src/db/connection.js')
  const config = loadConfig({ SECRET_KEY: SECRET, DATABASE_URL: url, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' })
  const app = await buildApp({ config, knex: createKnex(url), logger: false })
  await app.listen({ host: '127.0.0.1', port })
  process.send?.('ready')
}

// ---------------------------------------------------------------------------------------------------------
// Child mode 2: the hand-written baseline: plain fastify routes, mysql2, the captured statements, JSON by hand.
async function serveBaseline(url: string, port: number, capturedFile: string) {
  const Fastify = (await import('fastify')).default
  const { jwtVerify } = await import('jose')
  const mysql = (await import('mysql2/promise')).default
  const { toUuid, toUuidOrNull } = await import('../src/db/ids.js')
  const { toApiDateTime, toApiUtcPlus0000 } = await import('../src/db/time.js')
  const captured: Captured[] = JSON.parse(readFileSync(capturedFile, 'utf8'))
  const db = new URL(url)
  const pool = mysql.createPool({
    host: db.hostname, port: Number(db.port || 3306), user: decodeURIComponent(db.username || 'root'), password: decodeURIComponent(db.password),
    database: db.pathname.slice(1), charset: 'utf8mb4', timezone: 'Z', dateStrings: true, connectionLimit: 10,
  })
  const key = new TextEncoder().encode(SECRET)
  const q = async (s: Statement) => (await pool.query(s.sql, s.bindings))[0] as any[]
  const app = Fastify({ logger: false })
  const authenticate = async (auth: string | undefined, st: Statement) => {
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : ''
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] })
    if (payload.token_type !== 'access') throw new Error('not an access token')
    const [user] = await q(st)
    if (!user || !user.is_active) throw new Error('inactive')
  }
  const project = (p: any) => ({ id: toUuid(p.id), name: p.name, client: p.client_name, client_id: toUuid(p.client_id), created_at: toApiDateTime(p.created_at), updated_at: toApiDateTime(p.updated_at) })
  for (const c of captured) {
    app.get(`/base/${c.id}`, async (req, reply) => {
      const [auth, count, page, ...nested] = c.statements
      try { await authenticate(req.headers.authorization, auth) } catch { return reply.code(401).send({ detail: 'Given token not valid for any token type' }) }
      const [{ count: n }] = await q(count)
      const rows = await q(page)
      const envelope = (results: unknown[]) => ({ count: Number(n), next: null, previous: null, results })
      if (c.id.startsWith('projects')) {
        return envelope(rows.map(p => project({ ...p, client_name: p[Object.keys(p).find(k => k.startsWith('__o'))!] })))
      }
      const [areas, projects, sessions] = await Promise.all(nested.map(q))
      const areaById = new Map(areas.map((a: any) => [a.id, a]))
      return envelope(rows.map(b => {
        const area: any = b.expertise_area_id ? areaById.get(b.expertise_area_id) : null
        return {
          id: toUuid(b.id), name: b.name, description: b.description, url_n8n: b.url_n8n,
          expertise_area: area ? { id: toUuid(area.id), name: area.name, description: area.description } : null,
          projects: projects.filter((p: any) => p.objectiontmpjoin0 === b.id).map((p: any) => {
            const { client_id: _c, ...summary } = project({ ...p, client_name: p[Object.keys(p).find(k => k.startsWith('__o'))!] })
            return summary
          }),
          chat_sessions: sessions.filter((s: any) => s.agent_id === b.id).map((s: any) => ({
            id: toUuid(s.id), session_key: s.session_key, agent_id: toUuid(s.agent_id), user_id: toUuid(s.user_id), data: s.data, created_at: toApiUtcPlus0000(s.created_at),
          })),
        }
      }))
    })
  }
  void toUuidOrNull
  await app.listen({ host: '127.0.0.1', port })
  process.send?.('ready')
}

// ---------------------------------------------------------------------------------------------------------
// Parent: database, seed, capture, both servers, load.
const hex = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(32 - prefix.length, '0')}`
const T = '2026-11-24 12:00:00.000000'
const MEMBER_PROJECTS = [7, 407, 907] // all of client 7, the member's client

async function seed(knex: Knex, from: number, to: number, member: string) {
  const clients = 50
  const WORDS = ['Atlas', 'Borealis', 'Cobalt', 'Delta', 'Ember', 'Fjord', 'Granite', 'Harbor', 'Indigo', 'Juniper']
  for (let start = from; start < to; start += 2000) {
    const end = Math.min(to, start + 2000)
    const n = Array.from({ length: end - start }, (_, k) => start + k)
    await knex('authentication_projects').insert(n.map(i => ({ id: hex('a1', i), name: `${WORDS[i % 10]} ${i}`, client_id: hex('c1', i % clients), created_at: T, updated_at: null })))
    // five other users of the project's client per project (the client-scope trigger, database.md §4), and two
    // bots per project (shared by consecutive projects)
    await knex('authentication_projects_users').insert(n.flatMap(i => Array.from({ length: 5 }, (_, u) => ({
      projects_id: hex('a1', i), userprofile_id: hex('d1', (i % clients) + clients * ((i * 5 + u) % 100)),
    }))))
    await knex('authentication_projects_bots').insert(n.flatMap(i => [{ projects_id: hex('a1', i), bots_id: hex('b1', i % 5000) }, { projects_id: hex('a1', i), bots_id: hex('b1', (i + 1) % 5000) }]))
  }
  if (from === 0) {
    await knex('authentication_projects_users').insert(MEMBER_PROJECTS.map(i => ({ projects_id: hex('a1', i), userprofile_id: member })))
  }
}

/** Clients, expertise areas, 5,000 users, 5,000 bots, the admin and the member (and the member's chat sessions). */
async function users(knex: Knex) {
  await knex('authentication_clients').insert(Array.from({ length: 50 }, (_, i) => ({ id: hex('c1', i), name: `Client ${i}`, created_at: T, updated_at: null })))
  await knex('expertise_areas').insert(Array.from({ length: 10 }, (_, i) => ({ id: hex('e1', i), name: `Area ${i}`, description: null, created_at: T, updated_at: null })))
  const user = (id: string, role: string, client: string | null) => ({
    id, password: '!x', last_login: null, is_superuser: false, username: id, first_name: '', last_name: '', is_staff: false, is_active: true,
    date_joined: T, created_at: T, updated_at: null, email: `${id}@bench.example`, role, password_reset_token: null,
    password_reset_token_expires_at: null, active: true, avatar: null, client_id: client, department: '', full_name: '', job_title: '', joined_at: '2026-11-24',
  })
  for (let s = 0; s < 5000; s += 1000) await knex('authentication_userprofile').insert(Array.from({ length: 1000 }, (_, k) => user(hex('d1', s + k), 'USER', hex('c1', (s + k) % 50))))
  await knex('authentication_userprofile').insert([user(hex('f1', 1), 'ADMINISTRATOR', null), user(hex('f1', 2), 'USER', hex('c1', 7))])
  for (let s = 0; s < 5000; s += 1000) {
    await knex('agents').insert(Array.from({ length: 1000 }, (_, k) => ({
      id: hex('b1', s + k), name: `Bot ${s + k}`, description: null, avatar: null, url_n8n: 'https://n8n.example.com/webhook/x/chat',
      expertise_area_id: (s + k) % 3 ? hex('e1', (s + k) % 10) : null, created_at: T, updated_at: null,
    })))
  }
  await knex('authentication_chatsession').insert([7, 8, 407].map((b, i) => ({ id: hex('5e', i), session_key: `k${i}`, data: 'hi', agent_id: hex('b1', b), user_id: hex('f1', 2), created_at: T, updated_at: null })))
}

function spawnChild(mode: string, url: string, port: number, extra: string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, `--${mode}`, url, String(port), ...extra], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.once('message', () => resolve(child))
    child.once('exit', code => reject(new Error(`${mode} exited with ${code}`)))
  })
}

async function load(url: string, token: string, seconds: number, connections: number) {
  const r = await autocannon({ url, duration: seconds, connections, headers: { authorization: `Bearer ${token}` } })
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 }
}

async function sequentialP50(url: string, token: string, n = 60) {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    await res.arrayBuffer()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(n / 2)]
}

async function main() {
  const projects = Number(opt('projects', '1000'))
  const grow = Number(opt('grow', '100'))
  const seconds = Number(opt('duration', '8'))
  const connections = Number(opt('connections', '10'))
  const server = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
  const name = `enl_crud_bench_${randomBytes(3).toString('hex')}`
  const admin = knexFactory({ client: 'mysql2', connection: server.replace(/\/?$/, '/'), pool: { min: 0, max: 1 } })
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  const url = `${server.replace(/\/$/, '')}/${name}`
  const children: ChildProcess[] = []
  const { createKnex } = await import('../src/db/connection.js')
  const knex = createKnex(url)
  try {
    const { migrateToLatest } = await import('../src/db/migrate.js')
    await migrateToLatest(knex, { info() {}, warn() {}, error() {}, debug() {} } as any)
    const member = hex('f1', 2)
    await users(knex)
    const t0 = performance.now()
    await seed(knex, 0, projects, member)
    console.log(`[crud bench] ${name}: ${projects} projects, 5,000 bots, 5,000 users; member of 3 projects (${((performance.now() - t0) / 1000).toFixed(1)} s)`)

    // Capture the engine's statements for each workload (in-process, one request each).
    const { buildApp } = await import('../src/app.js')
    const { loadConfig } = await import('../src/config.js')
    const { issuePair } = await import('../src/auth/tokens.js')
    const { bindModels } = await import('../src/models/index.js')
    const config = loadConfig({ SECRET_KEY: SECRET, DATABASE_URL: url, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' })
    const app = await buildApp({ config, knex, logger: false })
    const models = bindModels(knex)
    const token = async (id: string) => (await issuePair((await models.User.query().findById(id))!, { config, knex, models } as any)).access
    const tokens = { admin: await token(hex('f1', 1)), member: await token(member) }
    const workloads = [
      { id: 'projects-member', label: 'GET /api/projects/ (member of 3)', path: '/api/projects/', token: tokens.member },
      { id: 'projects-admin', label: 'GET /api/projects/ (admin)', path: '/api/projects/', token: tokens.admin },
      { id: 'bots-member', label: 'GET /api/bots/ (member of 3)', path: '/api/bots/', token: tokens.member },
    ]
    const captured: Captured[] = []
    let statements: Statement[] = []
    knex.on('query', (q: any) => statements.push({ sql: q.sql, bindings: q.bindings ?? [] }))
    for (const w of workloads) {
      statements = []
      const res = await app.inject({ method: 'GET', url: w.path, headers: { authorization: `Bearer ${w.token}` } })
      captured.push({ id: w.id, path: w.path, token: w.token, statements, body: res.json() })
    }
    await app.close()
    const file = join(tmpdir(), `${name}-statements.json`)
    writeFileSync(file, JSON.stringify(captured))

    const apiPort = 18000 + Math.floor(Math.random() * 1000)
    const basePort = apiPort + 1
    children.push(await spawnChild('api', url, apiPort), await spawnChild('baseline', url, basePort, [file]))
    const apiUrl = (w: Captured) => `http://127.0.0.1:${apiPort}${w.path}`
    const baseUrl = (w: Captured) => `http://127.0.0.1:${basePort}/base/${w.id}`

    const rows: string[] = []
    let missed = 0
    for (const w of captured) {
      const a = await (await fetch(apiUrl(w), { headers: { authorization: `Bearer ${w.token}` } })).json() as any
      const b = await (await fetch(baseUrl(w), { headers: { authorization: `Bearer ${w.token}` } })).json() as any
      if (JSON.stringify({ ...a, next: null, previous: null }) !== JSON.stringify(b)) {
        writeFileSync(`/tmp/${w.id}.api.json`, JSON.stringify(a, null, 1)); writeFileSync(`/tmp/${w.id}.base.json`, JSON.stringify(b, null, 1))
        throw new Error(`${w.id}: the baseline answer differs (/tmp/${w.id}.api.json, .base.json)`)
      }
      await load(apiUrl(w), w.token, 3, connections) // warm-up (JIT, pools)
      await load(baseUrl(w), w.token, 3, connections)
      // Two alternating runs each, the better one counts: other processes on the machine add noise.
      const best = (x: Awaited<ReturnType<typeof load>>, y: Awaited<ReturnType<typeof load>>) => (x.rps >= y.rps ? x : y)
      const a1 = await load(apiUrl(w), w.token, seconds, connections)
      const b1 = await load(baseUrl(w), w.token, seconds, connections)
      const a2 = await load(apiUrl(w), w.token, seconds, connections)
      const b2 = await load(baseUrl(w), w.token, seconds, connections)
      const api = best(a1, a2)
      const base = best(b1, b2)
      const ratio = api.rps / base.rps
      if (ratio < 0.8) missed++
      rows.push(`| ${workloads.find(x => x.id === w.id)!.label} | ${w.statements.length} | ${api.rps.toFixed(0)} | ${base.rps.toFixed(0)} | ${ratio.toFixed(2)}x ${ratio >= 0.8 ? 'met' : 'MISSED'} | ${api.p50} / ${api.p99} | ${base.p50} / ${base.p99} |`)
    }
    const small: Record<string, number> = {}
    for (const w of captured) small[w.id] = await sequentialP50(apiUrl(w), w.token)

    const t1 = performance.now()
    await seed(knex, projects, projects * grow, member)
    await knex.raw('ANALYZE TABLE authentication_projects, authentication_projects_users, authentication_projects_bots, agents')
    console.log(`[crud bench] grew to ${projects * grow} projects (${((performance.now() - t1) / 1000).toFixed(1)} s)`)
    const growth: string[] = []
    for (const w of captured) {
      const large = await sequentialP50(apiUrl(w), w.token)
      const factor = large / small[w.id]
      if (factor > 2) missed++
      growth.push(`| ${workloads.find(x => x.id === w.id)!.label} | ${small[w.id].toFixed(2)} | ${large.toFixed(2)} | ${factor.toFixed(2)}x ${factor <= 2 ? 'met' : 'MISSED'} |`)
    }
    const { loadavg, cpus } = await import('node:os')
    console.log(`\nCRUD engine vs hand-written fastify + mysql2 (same statements, same answers), MariaDB, autocannon ${connections} connections, best of 2 x ${seconds} s; ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}\n`)
    console.log('| workload | SQL statements | engine req/s | baseline req/s | ratio (goal >= 0.8) | engine p50 / p99 ms | baseline p50 / p99 ms |')
    console.log('|---|---|---|---|---|---|---|')
    rows.forEach(r => console.log(r))
    console.log(`\nList time, one request at a time (p50 ms), ${projects} vs ${projects * grow} projects\n`)
    console.log(`| list | ${projects} | ${projects * grow} | growth (goal <= 2x) |`)
    console.log('|---|---|---|---|')
    growth.forEach(r => console.log(r))
    process.exitCode = missed ? 1 : 0
  } finally {
    for (const c of children) c.kill()
    await knex.destroy()
    if (!argv.includes('--keep')) await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``)
    await admin.destroy()
  }
}

if (argv[0] === '--api') serveApi(argv[1], Number(argv[2]))
else if (argv[0] === '--baseline') serveBaseline(argv[1], Number(argv[2]), argv[3])
else main().catch(err => { console.error(String(err?.message ?? err).slice(0, 500)); process.exit(1) })
