// A fake Superset on 127.0.0.1: the three calls of resources §7.6 (login, CSRF token, guest token) with recognisable
// secret tokens, a session cookie tied to the CSRF token, and failure modes. Records every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export const SUPERSET_USER = 'svc-superset'
export const SUPERSET_PASSWORD = 'svc-superset-password'
/** Secrets an error answer must never contain. */
export const SUPERSET_SECRETS = {
  access: 'SUPERSET-ADMIN-ACCESS-eyJhbGciOi.secret',
  refresh: 'SUPERSET-ADMIN-REFRESH-eyJhbGciOi.secret',
  csrf: 'SUPERSET-CSRF-ImFiYyI.secret',
  session: 'SUPERSET-SESSION-cookie-secret',
}

export interface SupersetCall {
  method: string
  path: string
  headers: IncomingMessage['headers']
  json: unknown
}

export type SupersetMode =
  | 'ok'
  /** The CSRF endpoint is absent (404); the guest-token call needs no CSRF header. */
  | 'no-csrf'
  | 'login-refused'
  /** The guest-token call answers 500 with a body that echoes the admin token (a leak to catch). */
  | 'guest-error'
  /** The guest-token call answers 200 without a token. */
  | 'guest-no-token'
  /** The guest-token call never answers (until the fake closes). */
  | 'guest-hang'

export interface FakeSuperset {
  url: string
  calls: SupersetCall[]
  mode: SupersetMode
  close(): Promise<void>
}

export async function startFakeSuperset(): Promise<FakeSuperset> {
  const sockets = new Set<Socket>()
  let guestCount = 0
  const fake: FakeSuperset = {
    url: '',
    calls: [],
    mode: 'ok',
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req)
    let json: unknown = null
    try { json = text ? JSON.parse(text) : null } catch { json = null }
    const path = (req.url ?? '').split('?')[0]
    fake.calls.push({ method: req.method ?? '', path, headers: req.headers, json })
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const bearerOk = req.headers.authorization === `Bearer ${SUPERSET_SECRETS.access}`

    if (req.method === 'POST' && path === '/api/v1/security/login') {
      const body = json as Record<string, unknown> | null
      const valid = body?.username === SUPERSET_USER && body?.password === SUPERSET_PASSWORD && body?.provider === 'db'
      if (fake.mode === 'login-refused' || !valid) return send(401, { message: 'Not authorized' })
      return send(200, { access_token: SUPERSET_SECRETS.access, refresh_token: SUPERSET_SECRETS.refresh })
    }
    if (req.method === 'GET' && path === '/api/v1/security/csrf_token/') {
      if (fake.mode === 'no-csrf') return send(404, { message: 'Not found' })
      if (!bearerOk) return send(401, { msg: 'Bad Authorization header' })
      return send(200, { result: SUPERSET_SECRETS.csrf }, { 'set-cookie': `session=${SUPERSET_SECRETS.session}; HttpOnly; Path=/` })
    }
    if (req.method === 'POST' && path === '/api/v1/security/guest_token/') {
      if (!bearerOk) return send(401, { msg: 'Bad Authorization header' })
      if (fake.mode !== 'no-csrf') {
        const csrfOk = req.headers['x-csrftoken'] === SUPERSET_SECRETS.csrf
          && (req.headers.cookie ?? '').includes(`session=${SUPERSET_SECRETS.session}`)
        if (!csrfOk) return send(400, { errors: [{ message: '400 Bad Request: The CSRF session token is missing.' }] })
      }
      if (fake.mode === 'guest-hang') return // never answers
      if (fake.mode === 'guest-error') return send(500, { message: `boom with ${SUPERSET_SECRETS.access}` })
      if (fake.mode === 'guest-no-token') return send(200, { result: 'no token here' })
      guestCount++
      return send(200, { token: `guest-token-${guestCount}` })
    }
    send(404, { message: 'Not found' })
  })
  server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
