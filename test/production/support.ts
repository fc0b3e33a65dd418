// Shared bits of the production tests: timed HTTP calls against a listening server, MariaDB discovery,
// a whole-database fingerprint ("nothing written"), and a throwaway MariaDB database for real server processes.
import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { createMysqlDb, mysqlUnavailable, type MysqlDb } from '../db/mysql-helpers.js'

export interface Timed {
  status: number
  ms: number
  contentType: string
  text: string
  json(): any
}

/** One HTTP call with a hard client-side limit, so a hanging server fails the test instead of stalling it. */
export async function timedFetch(url: string, init: RequestInit = {}, limitMs = 30_000): Promise<Timed> {
  const started = performance.now()
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(limitMs) })
  const text = await res.text()
  return {
    status: res.status,
    ms: Math.round(performance.now() - started),
    contentType: res.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text),
  }
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The MariaDB part of a test runs when a server answers (CI), and is skipped with the reason otherwise. */
export async function mariadbSkipReason(): Promise<string | false> {
  return (await mysqlUnavailable()) ?? false
}

export { createMysqlDb, type MysqlDb }

/**
 * Every table's row count and a digest of its full contents, ordered, so an update is seen as well as
 * an insert or delete. Cheap on the small databases tests use.
 */
export async function databaseFingerprint(knex: Knex): Promise<Record<string, { rows: number, digest: string }>> {
  const tables = await tableNames(knex)
  const out: Record<string, { rows: number, digest: string }> = {}
  for (const table of tables) {
    const rows = await knex(table).select('*')
    const lines = rows.map(row => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).sort()
    out[table] = { rows: rows.length, digest: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) }
  }
  return out
}

export async function tableNames(knex: Knex): Promise<string[]> {
  const client = String((knex.client as { dialect?: string }).dialect ?? '')
  if (client.startsWith('mysql')) {
    const [rows] = await knex.raw(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
    return (rows as Array<{ t: string }>).map(r => r.t)
  }
  const rows = await knex.raw("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
  return (rows as Array<{ t: string }>).map(r => r.t)
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Polls until `check` is true or the time is up; returns how long it took, or null. */
export async function waitUntil(check: () => Promise<boolean>, limitMs: number, everyMs = 100): Promise<number | null> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    if (await check().catch(() => false)) return Date.now() - started
    await sleep(everyMs)
  }
  return null
}

/** A multipart/form-data body built by hand (so a test can send part of it). */
export function multipartBody(parts: Array<{ name: string, value: string | Buffer, filename?: string, contentType?: string }>) {
  const boundary = `----enlaightprod${Date.now().toString(16)}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if (part.filename !== undefined) head += `; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

/** A small valid PNG (IHDR with a non-zero size) padded to `size` bytes, as an avatar upload. */
export function pngBytes(size = 64 * 1024): Buffer {
  const head = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 7)])
}

export interface RawResponse { status: number, headers: Record<string, string>, body: string }

/**
 * An HTTP/1.1 request written by hand on a raw socket: the head and `body` are announced in full
 * (content-length) but only what the test sends arrives, so it can stop mid-body or hang up.
 */
export async function rawRequest(baseUrl: string, options: { method: string, path: string, headers: Record<string, string>, body: Buffer }) {
  const { connect } = await import('node:net')
  const url = new URL(baseUrl)
  const socket = connect(Number(url.port), url.hostname)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.on('error', () => {})
  const head = [`${options.method} ${options.path} HTTP/1.1`, `host: ${url.host}`, `content-length: ${options.body.length}`, 'connection: close',
    ...Object.entries(options.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n')
  socket.write(head)
  let received = Buffer.alloc(0)
  socket.on('data', chunk => { received = Buffer.concat([received, chunk]) })
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  let sent = 0
  return {
    /** Writes the next `bytes` of the body (default: the rest). */
    async send(bytes = options.body.length - sent) {
      const chunk = options.body.subarray(sent, sent + bytes)
      sent += chunk.length
      await new Promise<void>(resolve => socket.write(chunk, () => resolve()))
    },
    /** Hangs up without sending the rest (an RST, like a browser tab closed mid-upload). */
    abort() { socket.resetAndDestroy() },
    /** The server's answer, once it closes the connection (connection: close). */
    async response(limitMs = 30_000): Promise<RawResponse> {
      const timer = setTimeout(() => socket.destroy(), limitMs)
      await closed
      clearTimeout(timer)
      const text = received.toString('utf8')
      const [headText, ...rest] = text.split('\r\n\r\n')
      const [statusLine, ...headerLines] = headText.split('\r\n')
      const headers = Object.fromEntries(headerLines.map(l => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n') }
    },
  }
}
