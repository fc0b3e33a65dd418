// The n8n proxy's cost: GET /api/kb/get/ through the API next to the same request sent straight to the fake n8n,
// in the same run (sequential latency, then autocannon throughput), and a 50 MB upload's effect on the API's RSS.
// Run: npx tsx bench/proxy.ts [--requests 2000] [--duration 10] [--connections 10] [--delay 0] [--upload-mb 50]
// The API and the fake n8n run as separate processes (so the API's memory is its own); this process drives load.
// A third process, the bare relay, forwards the same request with nothing else (no auth, no SQL, no engine):
// one HTTP server turn and one undici request, the least any proxy does. Its ratio to the direct path is the
// ceiling of any proxy's ratio on this machine and with this fake.
// Prints a table; exit code 1 when a goal is missed.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import autocannon from 'autocannon'
import { Pool } from 'undici'
import { rssMb } from './processes.js'

const textArg = (name: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined)
const arg = (name: string, fallback: number) => Number(textArg(name) ?? fallback)
const KEY = 'bench-n8n-key'
/** `GET /api/kb/get/` as n8n receives it (knowledge-bases §5): what the direct path and the bare relay send. */
const upstreamGet = (hash: string) => ({
  path: '/webhook/kb/get/', headers: { key: KEY, 'content-type': 'application/json' }, body: JSON.stringify({ hash_id: hash }),
})
const SELF = new URL(import.meta.url).pathname
// Node flags for the API process, to try V8 settings: e.g. API_NODE_FLAGS='--max-semi-space-size=2 --trace-gc'.
const API_NODE_FLAGS = (process.env.API_NODE_FLAGS ?? '').split(' ').filter(Boolean)

// ─── child roles ─────────────────────────────────────────────────────────────────────────────────────────

async function serveFake() {
  const { startFakeN8n } = await import('../test/fakes/n8n.js')
  const fake = await startFakeN8n({ key: KEY })
  fake.record = false
  fake.delayMs = arg('delay', 0)
  const kb = fake.addKb('Bench KB', 'benchmarked')
  announce({ url: fake.url, hash: kb.hash_id })
}

async function serveApi(n8nUrl: string, hash: string) {
  const { buildApp } = await import('../src/app.js')
  const { issuePair } = await import('../src/auth/tokens.js')
  const { loadConfig } = await import('../src/config.js')
  const { createKnex } = await import('../src/db/connection.js')
  const { migrateToLatest } = await import('../src/db/migrate.js')
  const { proxyEngine } = await import('../src/engine/proxy/index.js')
  const { bindModels } = await import('../src/models/index.js')
  const { createSeeder } = await import('../test/helpers/seed.js')
  const dir = mkdtempSync(join(tmpdir(), 'enlaight-bench-proxy-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const url = `sqlite:${join(dir, 'bench.sqlite3')}`
  const knex = createKnex(url)
  await migrateToLatest(knex, { info() {}, warn() {}, error() {}, debug() {} } as any)
  const config = loadConfig({
    SECRET_KEY: 'bench-secret-key-bench-secret-key', DATABASE_URL: url, RATE_LIMIT: 'off', LOG_LEVEL: 'silent',
    N8N_BASE_URL: n8nUrl, N8N_KB_KEY: KEY,
  })
  const seed = createSeeder(knex)
  const client = await seed.client()
  const user = await seed.user({ client })
  const project = await seed.project({ client, members: [user] })
  await knex('kb_links').insert({ id: crypto.randomUUID().replaceAll('-', ''), external_id: hash, name: 'Bench KB', project_id: project.id })
  const models = bindModels(knex)
  const pair = await issuePair((await models.User.query().findById(user.id))!, { config, knex, models } as any)
  const app = await buildApp({ config, knex, logger: false, engines: { n8n: proxyEngine } })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close().finally(() => process.exit(0)) })
  announce({ url: base, token: pair.access, pid: process.pid })
}

async function serveRelay(n8nUrl: string, hash: string) {
  const { createServer } = await import('node:http')
  const upstream = new Pool(n8nUrl, { connections: 128 })
  const request = upstreamGet(hash)
  const server = createServer((req, res) => {
    req.resume()
    upstream.request({ method: 'GET', ...request, reset: false })
      .then(async (answer) => {
        res.writeHead(answer.statusCode, { 'content-type': 'application/json' })
        res.end(Buffer.from(await answer.body.arrayBuffer()))
      }, () => { res.writeHead(502).end() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  announce({ url: `http://127.0.0.1:${port}` })
}

function announce(value: object) {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

// ─── orchestrator ────────────────────────────────────────────────────────────────────────────────────────

function start(role: string, ...args: string[]): Promise<{ child: ChildProcess, info: any }> {
  const child = spawn(process.execPath, [...(role === 'api' ? API_NODE_FLAGS : []), '--import', 'tsx', SELF, '--role', role, ...args, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', line => resolve({ child, info: JSON.parse(line) }))
    child.once('exit', code => reject(new Error(`${role} exited with ${code}`)))
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]

async function main() {
  const fake = await start('fake')
  const api = await start('api', '--n8n', fake.info.url, '--hash', fake.info.hash)
  const relay = await start('relay', '--n8n', fake.info.url, '--hash', fake.info.hash)
  const hash = fake.info.hash as string
  const direct = upstreamGet(hash)
  const proxied = { path: `/api/kb/get/?hash_id=${hash}`, headers: { authorization: `Bearer ${api.info.token}` } }
  const fakePool = new Pool(fake.info.url, { connections: 1 })
  const apiPool = new Pool(api.info.url, { connections: 1 })
  const once = async (pool: Pool, req: { path: string, headers: Record<string, string>, body?: string }) => {
    const t0 = performance.now()
    const res = await pool.request({ method: 'GET', ...req })
    await res.body.dump()
    if (res.statusCode !== 200) throw new Error(`${req.path} answered ${res.statusCode}`)
    return performance.now() - t0
  }

  try {
    // 1. Sequential latency, interleaved so both paths see the same machine state.
    const requests = arg('requests', 2000)
    for (let i = 0; i < 200; i++) { await once(fakePool, direct); await once(apiPool, proxied) } // warm-up
    const directMs: number[] = []
    const proxyMs: number[] = []
    for (let i = 0; i < requests; i++) {
      directMs.push(await once(fakePool, direct))
      proxyMs.push(await once(apiPool, proxied))
    }
    const added = median(proxyMs) - median(directMs)

    // 2. Throughput with autocannon, direct then proxied, same settings.
    const duration = arg('duration', 10)
    const connections = arg('connections', 10)
    const cannon = (url: string, req: { path: string, headers: Record<string, string>, body?: string }) => autocannon({
      url: url + req.path, method: 'GET', headers: req.headers, body: req.body, duration, connections, pipelining: 1,
    })
    const directRun = await cannon(fake.info.url, direct)
    const proxyRun = await cannon(api.info.url, proxied)
    const relayRun = await cannon(relay.info.url, { path: '/', headers: {} })
    const errors = proxyRun.non2xx + proxyRun.errors + directRun.non2xx + directRun.errors + relayRun.non2xx + relayRun.errors
    const ratio = proxyRun.requests.average / directRun.requests.average
    const ceiling = relayRun.requests.average / directRun.requests.average

    // 3. A 50 MB upload through the proxy while sampling the API process's RSS.
    const uploadMb = arg('upload-mb', 50)
    const rssBefore = rssMb(api.info.pid)
    let rssPeak = rssBefore
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssMb(api.info.pid)) }, 5)
    const boundary = `bench${randomBytes(8).toString('hex')}`
    const chunk = randomBytes(64 * 1024)
    async function * body() {
      yield `--${boundary}\r\nContent-Disposition: form-data; name="hash_id"\r\n\r\n${hash}\r\n`
      yield `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-${Date.now()}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
      for (let sent = 0; sent < uploadMb * 1024 * 1024; sent += chunk.length) yield chunk
      yield `\r\n--${boundary}--\r\n`
    }
    const t0 = performance.now()
    const upload = await new Pool(api.info.url).request({
      method: 'POST', path: '/api/kb/file/add/', body: Readable.from(body()),
      headers: { authorization: `Bearer ${api.info.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    })
    const uploadAnswer = await upload.body.text()
    const uploadMs = performance.now() - t0
    clearInterval(sampler)
    rssPeak = Math.max(rssPeak, rssMb(api.info.pid))
    const growth = rssPeak - rssBefore

    const rows: Array<[string, string, string, string]> = [
      ['GET direct to fake n8n, p50 / p99', `${median(directMs).toFixed(3)} / ${percentile(directMs, 0.99).toFixed(3)} ms`, `n=${requests}, sequential`, ''],
      ['GET /api/kb/get/ via proxy, p50 / p99', `${median(proxyMs).toFixed(3)} / ${percentile(proxyMs, 0.99).toFixed(3)} ms`, 'auth + access SQL + relay', ''],
      ['median added latency', `${added.toFixed(3)} ms`, 'goal < 1 ms', added < 1 ? 'PASS' : 'FAIL'],
      ['throughput direct', `${directRun.requests.average.toFixed(0)} req/s`, `${connections} conn, ${duration} s`, ''],
      ['throughput via proxy', `${proxyRun.requests.average.toFixed(0)} req/s`, `p50 ${proxyRun.latency.p50} ms`, ''],
      ['proxy / direct throughput', ratio.toFixed(3), 'goal >= 0.7', ratio >= 0.7 ? 'PASS' : 'FAIL'],
      ['throughput via bare relay', `${relayRun.requests.average.toFixed(0)} req/s`, 'no auth, no SQL, no engine', ''],
      ['bare relay / direct (ceiling)', ceiling.toFixed(3), 'the most any proxy can reach here', ''],
      ['proxy / bare relay', (ratio / ceiling).toFixed(3), 'what the engine costs over a relay', ''],
      ['errors or non-2xx during load', String(errors), 'must be 0', errors === 0 ? 'PASS' : 'FAIL'],
      [`${uploadMb} MB upload via proxy`, `${upload.statusCode} in ${(uploadMs / 1000).toFixed(2)} s`, uploadAnswer.slice(0, 40), upload.statusCode === 200 ? 'PASS' : 'FAIL'],
      ['API RSS before / peak during upload', `${rssBefore.toFixed(1)} / ${rssPeak.toFixed(1)} MB`, '', ''],
      ['API RSS growth', `${growth.toFixed(1)} MB`, 'goal < 20 MB', growth < 20 ? 'PASS' : 'FAIL'],
    ]
    const widths = [0, 1, 2, 3].map(c => Math.max(...rows.map(r => r[c].length), ['measure', 'value', 'note', 'goal'][c].length))
    const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`
    console.log(`Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}, SQLite, fake n8n delay ${arg('delay', 0)} ms, API flags: ${API_NODE_FLAGS.join(' ') || 'none'}`)
    console.log(line(['measure', 'value', 'note', 'goal']))
    console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`)
    for (const r of rows) console.log(line(r))
    if (added >= 1 || ratio < 0.7 || errors > 0 || upload.statusCode !== 200 || growth >= 20) process.exitCode = 1
  } finally {
    await fakePool.close()
    await apiPool.close()
    api.child.kill()
    relay.child.kill()
    fake.child.kill()
  }
}

const role = textArg('role')
if (role === 'fake') await serveFake()
else if (role === 'relay') await serveRelay(textArg('n8n')!, textArg('hash')!)
else if (role === 'api') await serveApi(textArg('n8n')!, textArg('hash')!)
else await main().catch(err => { console.error(err); process.exit(1) })
