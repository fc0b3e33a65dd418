// Login cost vs a bare PBKDF2 of 1,000,000 iterations, and /api/health/ latency while logins are in flight.
// Run: npx tsx bench/login.ts [--samples 9]   (a script, not a test; prints a table; exit code 1 when a goal is missed)
import { pbkdf2 } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildApp } from '../src/app.js'
import { hashPassword } from '../src/auth/passwords.js'
import { loadConfig } from '../src/config.js'
import { createKnex } from '../src/db/connection.js'
import { newId } from '../src/db/ids.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { nowDb, todaySaoPaulo } from '../src/db/time.js'

const pbkdf2Async = promisify(pbkdf2)
const SAMPLES = Number(process.argv[process.argv.indexOf('--samples') + 1]) || 9
const IN_FLIGHT = 4
const PASSWORD = 'Bench-pass-2026'

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]
const timed = async (fn: () => Promise<unknown>) => { const t0 = performance.now(); await fn(); return performance.now() - t0 }

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'enlaight-bench-'))
  const url = `sqlite:${join(dir, 'bench.sqlite3')}`
  const knex = createKnex(url)
  const silent = { info() {}, warn() {}, error() {}, debug() {} }
  await migrateToLatest(knex, silent as any)
  const config = loadConfig({ SECRET_KEY: 'bench-secret-key-bench-secret-key', DATABASE_URL: url, RATE_LIMIT: 'off', LOG_LEVEL: 'silent' })
  const app = await buildApp({ config, knex, logger: false })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })

  // A user whose hash already has 1,000,000 iterations: a login costs exactly one derivation (no re-hash).
  await knex('authentication_userprofile').insert({
    id: newId(), password: await hashPassword(PASSWORD), last_login: null, is_superuser: false, username: 'bench',
    first_name: 'Bench', last_name: 'User', is_staff: false, is_active: true, date_joined: nowDb(), created_at: nowDb(),
    updated_at: null, email: 'bench@example.com', role: 'USER', password_reset_token: null,
    password_reset_token_expires_at: null, active: true, avatar: '', client_id: null, department: '', full_name: '',
    job_title: '', joined_at: todaySaoPaulo(),
  })
  const login = async () => {
    const res = await fetch(`${base}/api/login/`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: PASSWORD }),
    })
    if (res.status !== 200) throw new Error(`login answered ${res.status}`)
    await res.arrayBuffer()
  }
  const health = async () => {
    const res = await fetch(`${base}/api/health/`)
    if (res.status !== 200) throw new Error(`health answered ${res.status}`)
    await res.arrayBuffer()
  }

  try {
    await login(); await health() // warm-up: JIT, connections, first SQL
    // Interleave the two measurements so both see the same machine state.
    const bare: number[] = []
    const logins: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      bare.push(await timed(() => pbkdf2Async(PASSWORD, 'benchsaltbenchsalt0000', 1_000_000, 32, 'sha256')))
      logins.push(await timed(login))
    }

    // Health probes every 5 ms while IN_FLIGHT logins run concurrently.
    const probes: number[] = []
    let running = true
    const inFlight = Promise.all(Array.from({ length: IN_FLIGHT }, () => login())).finally(() => { running = false })
    const prober = (async () => {
      while (running) {
        probes.push(await timed(health))
        await new Promise(r => setTimeout(r, 5))
      }
    })()
    const burst = await timed(() => inFlight)
    await prober

    const ratio = median(logins) / median(bare)
    const healthMax = Math.max(...probes)
    const rows: Array<[string, string, string, string]> = [
      ['bare crypto.pbkdf2 1M, median', `${median(bare).toFixed(1)} ms`, `n=${SAMPLES}`, ''],
      ['POST /api/login/, median', `${median(logins).toFixed(1)} ms`, `n=${SAMPLES}`, ''],
      ['login / bare ratio', ratio.toFixed(3), 'goal <= 1.2', ratio <= 1.2 ? 'PASS' : 'FAIL'],
      [`${IN_FLIGHT} concurrent logins, wall time`, `${burst.toFixed(1)} ms`, '', ''],
      ['GET /api/health/ during them, p50', `${median(probes).toFixed(2)} ms`, `n=${probes.length}`, ''],
      ['GET /api/health/ during them, p95', `${percentile(probes, 0.95).toFixed(2)} ms`, '', ''],
      ['GET /api/health/ during them, max', `${healthMax.toFixed(2)} ms`, 'goal < 20 ms', healthMax < 20 ? 'PASS' : 'FAIL'],
    ]
    const widths = [0, 1, 2, 3].map(c => Math.max(...rows.map(r => r[c].length), ['measure', 'value', 'note', 'goal'][c].length))
    const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`
    console.log(`Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, SQLite`)
    console.log(line(['measure', 'value', 'note', 'goal']))
    console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`)
    for (const r of rows) console.log(line(r))
    if (ratio > 1.2 || healthMax >= 20 || probes.length === 0) process.exitCode = 1
  } finally {
    await app.close()
    await knex.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch(err => { console.error(err); process.exit(1) })
