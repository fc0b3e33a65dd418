// The benchmarked requests (issue 7 point 1): what each row sends, as whom, and how its answer is checked.
import type { Fixture } from './seed.js'

export interface Tokens { admin: string, member: string, writer: string }

export interface Workload {
  id: string
  label: string
  method: 'GET' | 'POST'
  path: string
  /** The expected status (the real server's contract; the baseline must answer the same). */
  status: number
  headers: Record<string, string>
  /** autocannon replaces `[<id>]` with a fresh id per request (idReplacement), so every POST is new. */
  body?: string
  /** Lists compared at 1,000 vs 1,000,000 projects. */
  list: boolean
  /** Answer fields that differ between any two requests (ignored when the servers' answers are compared). */
  volatile?: string[]
}

export function workloads(fx: Fixture, tokens: Tokens): Workload[] {
  const as = (token: string) => ({ authorization: `Bearer ${token}` })
  return [
    { id: 'projects-member', label: 'GET /api/projects/ (member)', method: 'GET', path: '/api/projects/', status: 200, headers: as(tokens.member), list: true },
    { id: 'projects-admin', label: 'GET /api/projects/ (admin)', method: 'GET', path: '/api/projects/', status: 200, headers: as(tokens.admin), list: true },
    { id: 'me', label: 'GET /api/me/', method: 'GET', path: '/api/me/', status: 200, headers: as(tokens.member), list: false },
    { id: 'bots-member', label: 'GET /api/bots/ (member)', method: 'GET', path: '/api/bots/', status: 200, headers: as(tokens.member), list: true },
    {
      id: 'chat-session-create', label: 'POST /api/chat-session/', method: 'POST', path: '/api/chat-session/', status: 201,
      headers: { ...as(tokens.writer), 'content-type': 'application/json' },
      body: JSON.stringify({ session_key: '[<id>]', agent_id: fx.writerBot, first_message: 'Hello from the benchmark' }),
      list: false, volatile: ['session_key', 'created_at'],
    },
    { id: 'kb-get', label: 'GET /api/kb/get/ (fake n8n)', method: 'GET', path: `/api/kb/get/?hash_id=${fx.memberKb}`, status: 200, headers: as(tokens.member), list: false },
  ]
}

/** One request outside the load run (for the answer comparison). */
export async function sendOnce(base: string, w: Workload): Promise<{ status: number, json: unknown }> {
  const body = w.body?.replaceAll('[<id>]', `probe-${Math.random().toString(36).slice(2)}`)
  const res = await fetch(base + w.path, { method: w.method, headers: w.headers, body })
  const text = await res.text()
  let json: unknown = text
  try { json = JSON.parse(text) } catch { /* kept as text */ }
  return { status: res.status, json }
}

/**
 * An answer with what must differ between the two servers taken out: the origin of page links (other port),
 * and the workload's volatile fields (a created session's key and time).
 */
export function comparable(json: unknown, origin: string, w: Workload): unknown {
  const volatile = new Set(w.volatile ?? [])
  return JSON.parse(JSON.stringify(json, (key, value) => {
    if (volatile.has(key)) return '<volatile>'
    if (typeof value === 'string' && value.startsWith(origin)) return `<origin>${value.slice(origin.length)}`
    return value
  }))
}
