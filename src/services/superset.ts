// Superset guest tokens (resources §7.6, DECISIONS 20): log in with the configured service account, fetch a CSRF
// token when Superset hands one out, then ask for a guest token for one dashboard. Each call has its own deadline.
// Failures are reported by kind only: Superset's tokens and answers never leave this module, not even in logs.
import { request } from 'undici'

export interface SupersetSettings {
  baseUrl: string
  username: string
  password: string
  timeoutMs: number
}

export type SupersetFailure = 'not_configured' | 'timeout' | 'upstream'

export class SupersetError extends Error {
  constructor(readonly kind: SupersetFailure, readonly step: string, readonly upstreamStatus?: number) {
    super(`superset ${step}: ${kind}${upstreamStatus ? ` (status ${upstreamStatus})` : ''}`)
    this.name = 'SupersetError'
  }
}

// Superset's answers here are a few hundred bytes; anything far larger is not one of them.
const MAX_ANSWER_BYTES = 1024 * 1024

// The guest identity and payload the original sends (§7.6 step 3).
const GUEST_USER = { username: 'Guest_User', first_name: 'Guest', last_name: 'User' }

export async function fetchGuestToken(settings: SupersetSettings, dashboardId: string): Promise<Record<string, unknown>> {
  if (!settings.baseUrl || !settings.username) throw new SupersetError('not_configured', 'configuration')
  const session = new SupersetSession(settings)

  const login = await session.call('login', 'POST', '/api/v1/security/login', {
    json: { username: settings.username, password: settings.password, provider: 'db', refresh: true },
  })
  const accessToken = login.ok ? stringField(login.json, 'access_token') : null
  if (!accessToken) throw new SupersetError('upstream', 'login', login.status)
  const authorization = `Bearer ${accessToken}`

  // Optional: Superset with CSRF protection on wants the token (tied to the session cookie) on the POST below;
  // one without it answers this endpoint with an error, and the guest-token call works without the header.
  const csrf = await session.call('csrf', 'GET', '/api/v1/security/csrf_token/', { headers: { authorization } })
  const csrfToken = csrf.ok ? stringField(csrf.json, 'result') : null

  const guest = await session.call('guest_token', 'POST', '/api/v1/security/guest_token/', {
    headers: { authorization, ...(csrfToken ? { 'x-csrftoken': csrfToken } : {}) },
    json: { user: GUEST_USER, resources: [{ type: 'dashboard', id: dashboardId }], rls: [], aud: 'superset', type: 'guest' },
  })
  if (!guest.ok || !stringField(guest.json, 'token')) throw new SupersetError('upstream', 'guest_token', guest.status)
  return guest.json as Record<string, unknown>
}

interface Answer { ok: boolean, status: number, json: unknown }

/** One conversation with Superset: the cookies it sets are sent back on the next calls, like a browser session. */
class SupersetSession {
  private readonly cookies = new Map<string, string>()

  constructor(private readonly settings: SupersetSettings) {}

  async call(step: string, method: 'GET' | 'POST', path: string, options: { headers?: Record<string, string>, json?: unknown }): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (options.json !== undefined) headers['content-type'] = 'application/json'
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const timeout = this.settings.timeoutMs
    try {
      const res = await request(`${this.settings.baseUrl}${path}`, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      })
      this.keepCookies(res.headers['set-cookie'])
      const text = await readCapped(res.body)
      return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, json: parseJson(text) }
    } catch (err) {
      throw new SupersetError(isTimeout(err) ? 'timeout' : 'upstream', step)
    }
  }

  private keepCookies(header: string | string[] | undefined) {
    for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
      const pair = line.split(';', 1)[0]
      const eq = pair.indexOf('=')
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
  }
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_ANSWER_BYTES) throw new Error('answer too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function stringField(json: unknown, field: string): string | null {
  const value = (json as Record<string, unknown> | null)?.[field]
  return typeof value === 'string' && value !== '' ? value : null
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: string, code?: string }
  return e?.name === 'TimeoutError' || e?.name === 'AbortError'
    || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT'
}
