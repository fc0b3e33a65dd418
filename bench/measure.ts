// One load run: autocannon against one server, with what it cost: CPU of the server, the database and the
// load generator over the run (from /proc; the database's figure includes anything else it serves meanwhile).
import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'
import { Pool } from 'undici'
import { cpuSeconds, type Child } from './processes.js'
import type { Workload } from './workloads.js'

export interface RunOptions {
  durationS: number
  connections: number
  /** Total requests per second over all connections (autocannon overallRate); absent = as fast as possible. */
  rate?: number
}

export interface RunResult {
  rps: number
  p50: number
  p90: number
  p99: number
  max: number
  requests: number
  /** Answers with another status than the workload's, plus socket errors and timeouts. */
  failures: number
  /** CPU used over the run, in cores (1.0 = one core busy the whole time). */
  cpu: { server: number, db: number, loadgen: number, n8n?: number }
}

export interface Meters {
  dbPid: number | null
  n8nPid?: number
}

export async function run(server: Child, w: Workload, opts: RunOptions, meters: Meters): Promise<RunResult> {
  const t0 = performance.now()
  const cpu0 = { server: cpuSeconds(server.pid), db: meters.dbPid ? cpuSeconds(meters.dbPid) : 0, loadgen: process.cpuUsage(), n8n: meters.n8nPid ? cpuSeconds(meters.n8nPid) : 0 }
  const result = await autocannon({
    url: server.url + w.path,
    method: w.method,
    headers: w.headers,
    body: w.body,
    idReplacement: w.body?.includes('[<id>]') ?? false,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 10,
    ...(opts.rate ? { overallRate: Math.max(1, Math.round(opts.rate)) } : {}),
  } as autocannon.Options)
  const seconds = (performance.now() - t0) / 1000
  const loadgen = process.cpuUsage(cpu0.loadgen)
  const ok = result.statusCodeStats?.[String(w.status) as `${number}`]?.count ?? 0
  // `errors` counts socket errors and timeouts; they are not in requests.total (answers only).
  const failures = result.requests.total - ok + result.errors
  const cores = (a: number, b: number) => Math.max(0, (b - a) / seconds)
  return {
    rps: result.requests.total / (result.duration || opts.durationS),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    failures,
    cpu: {
      server: cores(cpu0.server, cpuSeconds(server.pid)),
      db: meters.dbPid ? cores(cpu0.db, cpuSeconds(meters.dbPid)) : 0,
      loadgen: (loadgen.user + loadgen.system) / 1e6 / seconds,
      ...(meters.n8nPid ? { n8n: cores(cpu0.n8n, cpuSeconds(meters.n8nPid)) } : {}),
    },
  }
}

/** One request at a time for `seconds` (at least 5 requests): the time a request takes on an idle server. */
export interface Sequential { p50: number, p90: number, max: number, n: number }

export async function sequential(server: Child, w: Workload, seconds: number): Promise<Sequential> {
  const pool = new Pool(server.url, { connections: 1 })
  const times: number[] = []
  try {
    const until = performance.now() + seconds * 1000
    while (performance.now() < until || times.length < 5) {
      const t0 = performance.now()
      const res = await pool.request({ method: w.method, path: w.path, headers: w.headers, body: w.body?.replaceAll('[<id>]', randomUUID()) })
      await res.body.dump()
      if (res.statusCode !== w.status) throw new Error(`${w.label} answered ${res.statusCode}`)
      times.push(performance.now() - t0)
    }
  } finally {
    await pool.close()
  }
  times.sort((a, b) => a - b)
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]
  return { p50: at(0.5), p90: at(0.9), max: times[times.length - 1], n: times.length }
}
