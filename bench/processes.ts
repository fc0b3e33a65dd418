// The benchmark's child processes: the real server (src/main.ts, exactly what `npm start` runs), the
// hand-written baseline and the fake n8n, each on 127.0.0.1, plus their CPU time from /proc.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort, startServer } from '../test/helpers/server.js'

export interface Child { url: string, pid: number, stop(): Promise<void> }

const BENCH_DIR = new URL('.', import.meta.url).pathname

/** The real server, spawned like test/helpers/server.ts does (LOG_LEVEL=warn, health polled). */
export async function startApi(env: Record<string, string>): Promise<Child> {
  const server = await startServer({ RATE_LIMIT: 'off', LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env })
  return { url: server.url, pid: server.process.pid!, stop: async () => { await server.stop() } }
}

/** bench/baseline.ts on a free port. */
export async function startBaseline(env: Record<string, string>): Promise<Child> {
  const port = await freePort()
  const child = spawnTs(join(BENCH_DIR, 'baseline.ts'), [], { LOG_LEVEL: 'warn', ...env, PORT: String(port) })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`baseline exited with ${child.process.exitCode}:\n${child.output()}`)
    if (await fetch(`${url}/api/health/`).then(r => r.ok, () => false)) return { url, pid: child.process.pid!, stop: child.stop }
    await new Promise(r => setTimeout(r, 100))
  }
  await child.stop()
  throw new Error(`baseline did not answer:\n${child.output()}`)
}

/** bench/fake-n8n.ts, knowing one KB. */
export async function startFakeN8n(key: string, kbHash: string, kbName: string): Promise<Child> {
  const child = spawnTs(join(BENCH_DIR, 'fake-n8n.ts'), ['--key', key, '--kb', kbHash, kbName], {})
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.process.stdout! }).once('line', resolve)
    child.process.once('exit', code => reject(new Error(`fake n8n exited with ${code}:\n${child.output()}`)))
  })
  return { url: JSON.parse(line).url, pid: child.process.pid!, stop: child.stop }
}

function spawnTs(file: string, args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr!.on('data', d => { output += d })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

// ── CPU accounting ───────────────────────────────────────────────────────────────────────────────────────

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** utime + stime of a process, in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** The database server's pid (mariadbd or mysqld on this machine), or null. */
export function databasePid(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim()
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry)
    } catch { /* gone */ }
  }
  return null
}

export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
  } catch {
    return 0
  }
}
