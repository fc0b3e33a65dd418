// Issue 7 point 2: the server's RSS under the mixed load (every workload at once) for two minutes, sampled each
// second. Goals: under 200 MB after the first minute, and no growth over the second.
import { run, type Meters } from './measure.js'
import { rssMb, type Child } from './processes.js'
import type { Workload } from './workloads.js'

export interface MemoryResult {
  minuteS: number
  /** RSS in MB when the load starts, at the end of each minute, and the highest sample of each minute. */
  startMb: number
  firstMb: number
  secondMb: number
  firstPeakMb: number
  secondPeakMb: number
  requests: number
  failures: number
}

/** Growth over the second minute within this much counts as flat (a collection cycle's worth of noise). */
export const FLAT_TOLERANCE_MB = 10

export async function mixedLoad(api: Child, selected: Workload[], meters: Meters, minuteS = 60): Promise<MemoryResult> {
  const samples: Array<{ t: number, mb: number }> = []
  const t0 = performance.now()
  const startMb = rssMb(api.pid)
  const timer = setInterval(() => samples.push({ t: (performance.now() - t0) / 1000, mb: rssMb(api.pid) }), 1000)
  try {
    const runs = await Promise.all(selected.map(w => run(api, w, { durationS: 2 * minuteS, connections: 2 }, meters)))
    const inMinute = (k: number) => samples.filter(s => s.t > (k - 1) * minuteS && s.t <= k * minuteS)
    const last = (k: number) => inMinute(k).at(-1)?.mb ?? 0
    const peak = (k: number) => Math.max(0, ...inMinute(k).map(s => s.mb))
    return {
      minuteS, startMb, firstMb: last(1), secondMb: last(2), firstPeakMb: peak(1), secondPeakMb: peak(2),
      requests: runs.reduce((n, r) => n + r.requests, 0), failures: runs.reduce((n, r) => n + r.failures, 0),
    }
  } finally {
    clearInterval(timer)
  }
}
