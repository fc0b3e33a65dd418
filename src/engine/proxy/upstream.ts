// One HTTP call to n8n through a keep-alive undici Pool: headers, JSON or streamed multipart body, total deadline.
// Knows nothing of rules' meaning; returns what happened as an Outcome. Never logs or returns the key.
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { Pool } from 'undici'
import { uploadReclaimer } from './reclaim.js'

export type Outcome =
  | { kind: 'answer', status: number, text: string, json: unknown, isJson: boolean }
  | { kind: 'timeout' }
  | { kind: 'transport', code: string }
  /** The inbound upload went over the rule's limit while being relayed (the upstream request was aborted). */
  | { kind: 'too-large' }
  /** The inbound upload failed (client aborted, malformed multipart) while being relayed. */
  | { kind: 'upload-failed', code: string }

export interface UploadPart {
  filename: string
  mimetype: string
  /** Opens the file's bytes; a stream that errors with TooLargeError when the limit is passed. */
  open(): Readable
  /** True when the upload was cut at the size limit. */
  truncated(): boolean
}

export type UpstreamBody =
  | { kind: 'none' }
  | { kind: 'json', value: unknown }
  | { kind: 'multipart', fields: Array<[string, string]>, file: UploadPart }

export interface UpstreamRequest {
  baseUrl: string
  key: string
  method: string
  webhook: string
  body: UpstreamBody
  timeoutMs: number
}

export class TooLargeError extends Error {
  constructor() { super('upload over the size limit') }
}

const MAX_ANSWER_BYTES = 8 * 1024 * 1024
const pools = new Map<string, Pool>()

function poolFor(origin: string): Pool {
  let pool = pools.get(origin)
  if (!pool) {
    pool = new Pool(origin, { connections: 128, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 })
    pools.set(origin, pool)
  }
  return pool
}

/** Closes every pool (tests and graceful shutdown). */
export async function closeUpstreamPools(): Promise<void> {
  const all = [...pools.values()]
  pools.clear()
  await Promise.all(all.map(p => p.close().catch(() => p.destroy())))
}

const bases = new Map<string, { origin: string, prefix: string }>()

function parseBase(baseUrl: string) {
  let base = bases.get(baseUrl)
  if (!base) {
    const url = new URL(baseUrl)
    base = { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') } // N8N_BASE_URL may carry a path prefix
    bases.set(baseUrl, base)
  }
  return base
}

export async function callUpstream(req: UpstreamRequest): Promise<Outcome> {
  const base = parseBase(req.baseUrl)
  const path = base.prefix + req.webhook
  const headers: Record<string, string> = { key: req.key, accept: 'application/json' }
  let body: string | Readable | undefined
  let uploadProblem: Outcome | null = null
  if (req.body.kind === 'json') {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(req.body.value)
  } else if (req.body.kind === 'multipart') {
    const boundary = `----enlaight${randomBytes(12).toString('hex')}`
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`
    body = Readable.from(multipartBody(boundary, req.body.fields, req.body.file, problem => { uploadProblem = problem }), { objectMode: false })
  }

  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, req.timeoutMs)
  try {
    const res = await poolFor(base.origin).request({
      path, method: req.method as any, headers, body, signal: controller.signal,
      headersTimeout: req.timeoutMs + 1000, bodyTimeout: req.timeoutMs + 1000,
      // undici closes the connection after a GET/DELETE that carries a body unless told otherwise; n8n reads
      // those bodies (knowledge-bases §4.1), so keep the connection alive (otherwise one TCP handshake per call).
      reset: false,
    })
    const text = await readCapped(res.body)
    if (text === null) return { kind: 'transport', code: 'ANSWER_TOO_LARGE' }
    return { kind: 'answer', status: res.statusCode, text, ...parseJson(text) }
  } catch (err) {
    if (uploadProblem) return uploadProblem
    if (timedOut) return { kind: 'timeout' }
    return { kind: 'transport', code: errorCode(err) }
  } finally {
    clearTimeout(timer)
  }
}

async function readCapped(stream: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size > MAX_ANSWER_BYTES) { stream.destroy?.(); return null }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): { json: unknown, isJson: boolean } {
  if (text.trim() === '') return { json: undefined, isJson: false }
  try {
    return { json: JSON.parse(text), isJson: true }
  } catch {
    return { json: undefined, isJson: false }
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: string, name?: string }
  return e?.code ?? e?.name ?? 'UNKNOWN'
}

// multipart/form-data produced on the fly: text fields, then the file's bytes as they arrive, then the
// closing boundary. Names were validated (no quotes, backslashes or control characters), so they need no escaping.
async function * multipartBody(
  boundary: string,
  fields: Array<[string, string]>,
  file: UploadPart,
  onProblem: (o: Outcome) => void,
): AsyncGenerator<Buffer | string> {
  let head = ''
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n`
  head += `Content-Type: ${file.mimetype || 'application/octet-stream'}\r\n\r\n`
  yield head
  try {
    const reclaim = uploadReclaimer()
    for await (const chunk of file.open()) {
      reclaim((chunk as Buffer).length)
      yield chunk as Buffer
    }
  } catch (err) {
    onProblem(err instanceof TooLargeError ? { kind: 'too-large' } : { kind: 'upload-failed', code: errorCode(err) })
    throw err
  }
  // busboy ends a part quietly at the size limit: never send a truncated file as if it were whole.
  if (file.truncated()) {
    onProblem({ kind: 'too-large' })
    throw new TooLargeError()
  }
  yield `\r\n--${boundary}--\r\n`
}
