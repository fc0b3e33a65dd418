// A fake n8n on 127.0.0.1 serving the KB webhooks of knowledge-bases §7 (plus the search webhook of §6.11) with
// their answers, soft errors and minimal state (§7.9). It checks the `key` header, records every request
// (method, path, headers, query, JSON body, multipart parts with sizes), and can be told to fail.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface RecordedPart {
  name: string
  filename: string | null
  contentType: string | null
  size: number
  /** Text fields only (file parts keep just size and sha256). */
  value: string | null
  sha256: string
}

export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  query: Record<string, string>
  /** Parsed JSON body (any method), undefined when absent or not JSON. */
  json: unknown
  bodySize: number
  parts: RecordedPart[] | null
}

export type Failure =
  /** Answer this status with this body (JSON unless a string is given). */
  | { kind: 'status', status: number, body?: unknown }
  /** Answer a text body that is not JSON. */
  | { kind: 'non-json', status?: number }
  /** Answer with an empty body. */
  | { kind: 'empty', status?: number }
  /** Destroy the connection without an answer. */
  | { kind: 'drop' }
  /** Never answer (until the fake closes). */
  | { kind: 'hang' }

export interface KbRow { id: number, name: string, description: string | null, avatar: null, hash_id: string, created_at: string }
export interface ChatMessage { session_id: string, message: { content: string, type: 'human' | 'ai' } }

export interface FakeN8n {
  url: string
  key: string
  requests: RecordedRequest[]
  kbs: Map<string, KbRow>
  files: Map<string, Set<string>>
  messages: ChatMessage[]
  /** §7.7: what an empty KB's file list does (n8n ≥ 1.114: empty 200; the pinned 1.113: hang). */
  emptyFileList: 'empty' | 'hang'
  /** The search webhook returns matches from every session, not only the requested ones. */
  searchIgnoresSessions: boolean
  /** Added latency per answer (benchmarks). */
  delayMs: number
  /** Keep request records (off for benchmarks). */
  record: boolean
  /** Body bytes read so far over all requests, counted as they arrive (shows streaming). */
  bytesReceived: number
  addKb(name: string, description?: string | null, hash?: string): KbRow
  /** Fail the next `times` requests (default: every request) whose path contains `path` (default: any). */
  fail(failure: Failure, opts?: { path?: string, times?: number }): void
  /** Disarms every failure (state is kept). */
  clearFailures(): void
  /** Forgets everything: failures, records, KBs, files, messages, switches. */
  reset(): void
  close(): Promise<void>
}

interface ArmedFailure { failure: Failure, path: string | null, left: number }

export async function startFakeN8n(options: { key?: string } = {}): Promise<FakeN8n> {
  const sockets = new Set<Socket>()
  const hanging = new Set<ServerResponse>()
  let failures: ArmedFailure[] = []
  let nextId = 1

  const fake: FakeN8n = {
    url: '',
    key: options.key ?? 'fake-n8n-key',
    requests: [],
    kbs: new Map(),
    files: new Map(),
    messages: [],
    emptyFileList: 'empty',
    searchIgnoresSessions: false,
    delayMs: 0,
    record: true,
    bytesReceived: 0,
    addKb(name, description = '', hash = newHash()) {
      const row: KbRow = { id: nextId++, name, description, avatar: null, hash_id: hash, created_at: new Date().toISOString() }
      fake.kbs.set(hash, row)
      return row
    },
    fail(failure, opts = {}) {
      failures.push({ failure, path: opts.path ?? null, left: opts.times ?? Infinity })
    },
    clearFailures() {
      failures = []
    },
    reset() {
      failures = []
      fake.requests.length = 0
      fake.kbs.clear()
      fake.files.clear()
      fake.messages = []
      fake.emptyFileList = 'empty'
      fake.searchIgnoresSessions = false
      fake.delayMs = 0
    },
    async close() {
      for (const res of hanging) res.destroy()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) res.destroy() })
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname
    const contentType = String(req.headers['content-type'] ?? '')
    const boundary = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
    let json: unknown
    let parts: RecordedPart[] | null = null
    let bodySize = 0
    if (boundary) {
      const parsed = await readMultipart(req, boundary[1] ?? boundary[2], n => { fake.bytesReceived += n })
      parts = parsed.parts
      bodySize = parsed.size
    } else {
      const raw = await readAll(req)
      fake.bytesReceived += raw.length
      bodySize = raw.length
      // n8n parses JSON bodies for every method, GET and DELETE included (§7.1).
      if (raw.length > 0) try { json = JSON.parse(raw.toString('utf8')) } catch { json = undefined }
    }
    if (fake.record) {
      fake.requests.push({
        method: req.method ?? '', path, headers: { ...req.headers }, query: Object.fromEntries(url.searchParams), json, bodySize, parts,
      })
    }
    if (fake.delayMs > 0) await new Promise(resolve => setTimeout(resolve, fake.delayMs))

    const armed = failures.find(f => f.left > 0 && (f.path === null || path.includes(f.path)))
    if (armed) {
      armed.left -= 1
      return applyFailure(armed.failure, res)
    }
    const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>
    const fields = Object.fromEntries((parts ?? []).filter(p => p.filename === null).map(p => [p.name, p.value ?? '']))
    route(req.method ?? 'GET', path, req, res, parts ? fields : body, parts)
  }

  function route(method: string, path: string, req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, parts: RecordedPart[] | null) {
    const webhook = path.replace(/^\/webhook\//, '').replace(/^\/+|\/+$/g, '')
    const handler = HANDLERS[webhook]
    if (!path.startsWith('/webhook/') || !handler) {
      return send(res, 404, { code: 404, message: `The requested webhook "${method} ${webhook}" is not registered.`, hint: 'Activate the workflow.' })
    }
    if (handler.method !== method) {
      return send(res, 404, { code: 404, message: `This webhook is not registered for ${method} requests. Did you mean to make a ${handler.method} request?` })
    }
    if (handler.auth === 'key' && req.headers.key !== fake.key) return sendText(res, 403, 'Authorization data is wrong!')
    if (handler.auth === 'weak' && !weakAuth(req)) return send(res, 200, { status: 'error', reason: 'invalid input' })
    return handler.run(body, parts, res)
  }

  const has = (v: unknown) => v !== undefined && v !== null
  const kbError = (res: ServerResponse, status: number, reason: string) => send(res, status, { status: 'error', reason })

  const HANDLERS: Record<string, { method: string, auth: 'key' | 'weak', run(body: Record<string, unknown>, parts: RecordedPart[] | null, res: ServerResponse): void }> = {
    'kb/create': {
      method: 'POST', auth: 'key',
      run(body, _parts, res) {
        if (!has(body.name) || !has(body.description)) return kbError(res, 200, 'invalid input')
        if ([...fake.kbs.values()].some(k => k.name === body.name)) return kbError(res, 200, 'knowledge base already exists')
        const row = fake.addKb(String(body.name), String(body.description))
        send(res, 200, { status: 'success', name: row.name, description: row.description, hash_id: row.hash_id, created_at: row.created_at })
      },
    },
    'kb/get': {
      method: 'GET', auth: 'key',
      run(body, _parts, res) {
        const row = existing(body, res)
        if (row) send(res, 200, { status: 'success', name: row.name, description: row.description, hash_id: row.hash_id, created_at: row.created_at })
      },
    },
    'kb/list-all': {
      method: 'GET', auth: 'weak',
      run(_body, _parts, res) {
        const rows = [...fake.kbs.values()]
        send(res, 200, { status: 'success', kbs: rows.length > 0 ? rows : [{}] })
      },
    },
    'kb/edit': {
      method: 'PATCH', auth: 'key',
      run(body, _parts, res) {
        const row = existing(body, res)
        if (!row) return
        row.name = body.name as string ?? null
        row.description = body.description as string ?? null
        send(res, 200, { status: 'success', name: row.name, description: row.description, hash_id: row.hash_id, created_at: row.created_at })
      },
    },
    'kb/delete': {
      method: 'DELETE', auth: 'key',
      run(body, _parts, res) {
        const row = existing(body, res)
        if (!row) return
        fake.kbs.delete(row.hash_id) // vectors (files) stay, as in n8n
        send(res, 200, { status: 'success', hash_id: row.hash_id })
      },
    },
    'kb/file/add': {
      method: 'POST', auth: 'key',
      run(body, parts, res) {
        const file = (parts ?? []).find(p => p.name === 'file' && p.filename !== null)
        if (!file) return kbError(res, 400, 'invalid file input')
        if (!has(body.hash_id)) return kbError(res, 400, 'invalid input')
        const hash = String(body.hash_id)
        if (!fake.kbs.has(hash)) return kbError(res, 400, 'knowledge base does not exist')
        const files = fake.files.get(hash) ?? new Set<string>()
        if (files.has(file.filename!)) return kbError(res, 400, 'file already indexed')
        files.add(file.filename!)
        fake.files.set(hash, files)
        send(res, 200, { status: 'success', file: file.filename })
      },
    },
    'webhook/kb/file/list': {
      method: 'GET', auth: 'key',
      run(body, _parts, res) {
        const hash = has(body.hash_id) ? String(body.hash_id) : ''
        if (!fake.kbs.has(hash)) return kbError(res, 400, 'knowledge base does not exist')
        const files = [...(fake.files.get(hash) ?? [])]
        if (files.length > 0) return send(res, 200, { status: 'success', files })
        if (fake.emptyFileList === 'hang') return hang(res)
        res.writeHead(200).end()
      },
    },
    'webhook/kb/file/delete': {
      method: 'DELETE', auth: 'key',
      run(body, _parts, res) {
        const hash = has(body.hash_id) ? String(body.hash_id) : ''
        if (!fake.kbs.has(hash)) return kbError(res, 400, 'knowledge base does not exist')
        fake.files.get(hash)?.delete(String(body.file))
        send(res, 200, { status: 'success', file_removed: body.file })
      },
    },
    'get-message': {
      method: 'POST', auth: 'key',
      run(body, _parts, res) {
        const ids = new Set(Array.isArray(body.session_ids) ? body.session_ids.map(String) : [])
        const parts = Array.isArray(body.search_query) ? body.search_query.map(String) : []
        // The real workflow is not in the repository (§6.11): here every word of the query must occur.
        const terms = parts.join(' ').replaceAll('%', ' ').toLowerCase().split(/\s+/).filter(Boolean)
        const data = fake.messages.filter(m => (fake.searchIgnoresSessions || ids.has(m.session_id))
          && terms.every(term => m.message.content.toLowerCase().includes(term)))
        send(res, 200, { data })
      },
    },
  }

  function existing(body: Record<string, unknown>, res: ServerResponse): KbRow | null {
    if (!has(body.hash_id)) { kbError(res, 200, 'invalid input'); return null }
    const row = fake.kbs.get(String(body.hash_id))
    if (!row) { kbError(res, 200, 'knowledge base does not exist'); return null }
    return row
  }

  function weakAuth(req: IncomingMessage): boolean {
    const key = req.headers.key
    const bearer = /^Bearer\s+\S+/.test(String(req.headers.authorization ?? ''))
    return (typeof key === 'string' && key !== '') || bearer
  }

  function hang(res: ServerResponse) {
    hanging.add(res)
    res.on('close', () => hanging.delete(res))
  }

  function applyFailure(failure: Failure, res: ServerResponse) {
    switch (failure.kind) {
      case 'status':
        if (typeof failure.body === 'string') return sendText(res, failure.status, failure.body)
        return send(res, failure.status, failure.body ?? { message: 'Error in workflow' })
      case 'non-json':
        return sendText(res, failure.status ?? 200, '<html><body>Bad Gateway</body></html>')
      case 'empty':
        res.writeHead(failure.status ?? 200).end()
        return
      case 'drop':
        res.socket?.destroy()
        return
      case 'hang':
        return hang(res)
    }
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}

/** §2.2: random bytes → base64 → non-word characters removed → first 32 → lower case. */
function newHash(): string {
  let out = ''
  while (out.length < 32) out += randomBytes(48).toString('base64').replace(/\W/g, '')
  return out.slice(0, 32).toLowerCase()
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text)
}

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text)
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * A streaming multipart/form-data reader: parts are counted (size, sha256) as bytes arrive, never held whole,
 * so a 50 MB upload costs the fake no memory. Text fields keep their value (at most 64 KB).
 */
async function readMultipart(req: IncomingMessage, boundary: string, onBytes: (n: number) => void): Promise<{ parts: RecordedPart[], size: number }> {
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  const parts: RecordedPart[] = []
  let buf: Buffer = Buffer.from('\r\n') // the first delimiter has no leading CRLF
  let state: 'body' | 'after' | 'headers' | 'done' = 'body'
  let current: (RecordedPart & { hash: ReturnType<typeof createHash>, text: Buffer[] }) | null = null
  let size = 0

  const onData = (data: Buffer) => {
    if (!current || data.length === 0) return
    current.size += data.length
    current.hash.update(data)
    if (current.filename === null && current.size <= 64 * 1024) current.text.push(data)
  }
  const finish = () => {
    if (!current) return
    const { hash, text, ...part } = current
    parts.push({ ...part, sha256: hash.digest('hex'), value: part.filename === null ? Buffer.concat(text).toString('utf8') : null })
    current = null
  }

  for await (const chunk of req) {
    size += (chunk as Buffer).length
    onBytes((chunk as Buffer).length)
    if (state === 'done') continue
    buf = buf.length === 0 ? chunk as Buffer : Buffer.concat([buf, chunk as Buffer])
    for (;;) {
      if (state === 'body') {
        const at = buf.indexOf(delimiter)
        if (at === -1) {
          const keep = delimiter.length - 1
          if (buf.length > keep) {
            onData(buf.subarray(0, buf.length - keep))
            buf = buf.subarray(buf.length - keep)
          }
          break
        }
        onData(buf.subarray(0, at))
        finish()
        buf = buf.subarray(at + delimiter.length)
        state = 'after'
      }
      if (state === 'after') {
        if (buf.length < 2) break
        if (buf[0] === 0x2d && buf[1] === 0x2d) { state = 'done'; break }
        buf = buf.subarray(2) // CRLF after the delimiter
        state = 'headers'
      }
      if (state === 'headers') {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) break
        const headers = buf.subarray(0, end).toString('utf8').split('\r\n')
        buf = buf.subarray(end + 4)
        const disposition = headers.find(h => /^content-disposition:/i.test(h)) ?? ''
        const type = headers.find(h => /^content-type:/i.test(h))
        const name = /\bname="([^"]*)"/.exec(disposition)?.[1] ?? ''
        const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? null
        current = {
          name, filename, contentType: type ? type.split(':').slice(1).join(':').trim() : null,
          size: 0, value: null, sha256: '', hash: createHash('sha256'), text: [],
        }
        state = 'body'
      }
    }
  }
  return { parts, size }
}
