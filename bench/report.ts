// The benchmark's printed tables and the goals of issue 7 point 1, each marked met or missed with its ratio.
import type { RunResult, Sequential } from './measure.js'
import { FLAT_TOLERANCE_MB, type MemoryResult } from './memory.js'

export interface Row {
  workload: string
  label: string
  answers: { same: boolean, note: string }
  /** SQL statements per request (the server's traced in-process, the baseline's logged by itself) and whether their texts match. */
  statements: { server: number, baseline: number, same: boolean, diff: string[] }
  halfRate: number
  api: { max: RunResult, half: RunResult }
  baseline: { max: RunResult, half: RunResult }
}

type Times = Record<string, { api: Sequential, baseline: Sequential }>
export interface ListTimes { small: Times, mid: Times | null, large: Times | null, growS: number | null, error?: string }

export interface Report {
  date: string
  machine: { cpu: string, cores: number, memoryGb: number, loadAverage: { before: number, after: number }, node: string, database: string }
  settings: { durationS: number, rounds: number, connections: number, seed: Record<string, number>, seedS: number, large: boolean }
  rows: Row[]
  memory: MemoryResult | null
  listTimes: ListTimes
}

export const GOALS = { throughputRatio: 0.8, p99Ms: 20, listGrowth: 2, rssMb: 200 }

const n0 = (x: number) => Math.round(x).toLocaleString('en')
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const cores = (x: number) => x.toFixed(2)

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`
  return [line(head), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

/** Prints the report; returns how many goals were missed. */
export function printReport(r: Report): number {
  let missed = 0
  const mark = (ok: boolean, text: string) => {
    if (!ok) missed++
    return `${ok ? 'met' : 'MISSED'} ${text}`
  }
  const m = r.machine
  const s = r.settings
  console.log(`\nEnlaight API benchmark, ${r.date.slice(0, 16).replace('T', ' ')} UTC`)
  console.log(`${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, MariaDB ${m.database}; ` +
    `load average ${m.loadAverage.before.toFixed(2)} before, ${m.loadAverage.after.toFixed(2)} after`)
  if (m.loadAverage.before > m.cores / 2) console.log(`WARNING: the machine was busy before the run (load ${m.loadAverage.before.toFixed(1)} on ${m.cores} cores): figures are low and noisy`)
  console.log(`seed: ${n0(s.seed.projects)} projects, ${n0(s.seed.users)} users, ${n0(s.seed.bots)} bots, member of ${s.seed.memberProjects} projects (${s.seedS.toFixed(1)} s); ` +
    `autocannon ${s.connections} connections, ${s.durationS} s per run, maximum = best of ${s.rounds} alternating runs; baseline = hand-written fastify + mysql2, same SQL, same answers\n`)

  console.log(table(
    ['workload', 'server req/s', 'baseline req/s', `throughput ratio (goal >= ${GOALS.throughputRatio})`, 'server p50 / p99 ms', 'baseline p50 / p99 ms', 'half rate req/s', `server p99 at half (goal < ${GOALS.p99Ms} ms)`, 'baseline p99 at half'],
    r.rows.map(row => {
      const ratio = row.api.max.rps / row.baseline.max.rps
      const failures = row.api.max.failures + row.api.half.failures + row.baseline.max.failures + row.baseline.half.failures
      return [
        row.label + (row.answers.same ? '' : ' (ANSWERS DIFFER)') + (failures ? ` (${failures} failed requests)` : ''),
        n0(row.api.max.rps), n0(row.baseline.max.rps),
        mark(ratio >= GOALS.throughputRatio, `${ratio.toFixed(2)}x`),
        `${ms(row.api.max.p50)} / ${ms(row.api.max.p99)}`, `${ms(row.baseline.max.p50)} / ${ms(row.baseline.max.p99)}`,
        n0(row.halfRate),
        mark(row.api.half.p99 < GOALS.p99Ms, `${ms(row.api.half.p99)} ms`),
        `${ms(row.baseline.half.p99)} ms`,
      ]
    }),
  ))

  console.log('\nWhere the time goes at maximum throughput (CPU in cores: 1.00 = one core busy all run, db includes other clients of the server; SQL = statements per request):')
  console.log(table(
    ['workload', 'SQL/req server / baseline', 'server: node / db / loadgen', 'baseline: node / db / loadgen', 'fake n8n (server / baseline)'],
    r.rows.map(row => {
      const a = row.api.max
      const b = row.baseline.max
      return [
        row.label, `${row.statements.server} / ${row.statements.baseline}${row.statements.same ? ' (same SQL)' : ' (SQL DIFFERS)'}`,
        `${cores(a.cpu.server)} / ${cores(a.cpu.db)} / ${cores(a.cpu.loadgen)}`,
        `${cores(b.cpu.server)} / ${cores(b.cpu.db)} / ${cores(b.cpu.loadgen)}`,
        row.workload === 'kb-get' ? `${cores(a.cpu.n8n ?? 0)} / ${cores(b.cpu.n8n ?? 0)}` : '',
      ]
    }),
  ))

  if (r.memory) {
    const mem = r.memory
    const growth = mem.secondPeakMb - mem.firstPeakMb
    console.log(`\nServer memory under the mixed load (every workload at once, 2 connections each, ${n0(mem.requests)} requests, ${n0(mem.failures)} failed):`)
    console.log(table(
      ['RSS at start', `after 1 min (goal < ${GOALS.rssMb} MB)`, 'after 2 min', `peak minute 1 → minute 2 (goal: flat, within ${FLAT_TOLERANCE_MB} MB)`],
      [[
        `${n0(mem.startMb)} MB`, mark(mem.firstMb < GOALS.rssMb, `${n0(mem.firstMb)} MB`), `${n0(mem.secondMb)} MB`,
        mark(growth <= FLAT_TOLERANCE_MB, `${n0(mem.firstPeakMb)} → ${n0(mem.secondPeakMb)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB)`),
      ]],
    ))
  }

  const { small, mid, large } = r.listTimes
  if (Object.keys(small).length) {
    console.log(`\nList time, one request at a time (p50 ms): ${n0(s.seed.projects)}, 100,000 and 1,000,000 projects${large ? ` (grown in ${r.listTimes.growS!.toFixed(0)} s)` : ' (not run: npm run bench -- --large)'}:`)
    const growth = (t: Times[string], grown: Times[string] | undefined) => {
      if (!grown) return 'not run'
      const g = grown.api.p50 / Math.max(t.api.p50, 0.001)
      return mark(g <= GOALS.listGrowth, `${g.toFixed(1)}x`)
    }
    console.log(table(
      ['list', 'server 1k', 'server 100k', 'server 1M', `growth to 100k (goal <= ${GOALS.listGrowth}x)`, `growth to 1M (goal <= ${GOALS.listGrowth}x)`,
        'baseline 1k', 'baseline 100k', 'baseline 1M'],
      Object.entries(small).map(([id, t]) => {
        const sizes = [t, mid?.[id], large?.[id]]
        const p50s = (side: 'api' | 'baseline') => sizes.map(x => (x ? ms(x[side].p50) : '-'))
        return [r.rows.find(x => x.workload === id)?.label ?? id, ...p50s('api'), growth(t, sizes[1]), growth(t, sizes[2]), ...p50s('baseline')]
      }),
    ))
  }
  if (r.listTimes.error) console.log(`The 1,000,000-project part failed: ${r.listTimes.error}`)
  console.log(`\n${missed === 0 ? 'All goals met.' : `${missed} goal(s) missed.`}`)
  return missed
}
