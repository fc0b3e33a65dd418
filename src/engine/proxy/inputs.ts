// A rule's inputs: taken from the query and/or body as declared, trimmed and validated (DECISIONS 30).
// Streamed multipart bodies are read here: text fields first; the file part is relayed later, or spooled to a
// temporary file when a required field arrives after it.
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { ApiError, validationError } from '../errors.js'
import type { Rule } from './rule.js'
import { TooLargeError, type UploadPart } from './upstream.js'

export type Values = Record<string, unknown>

export interface ReadInputs {
  values: Values
  /** Releases what the request still holds (unread parts, a spooled file); safe to call twice. */
  release(): Promise<void>
}

export const HASH_PATTERN = /^[A-Za-z0-9_-]{1,128}$/
// DECISIONS 30: until n8n's workflows are parameterised, quotes, backslashes and control characters are refused.
const UNSAFE_NAME = /['"\\\u0000-\u001F\u007F]/
const MAX_NAME = 255
const MAX_FILE_NAME = 1024
const MAX_UPLOAD_FILE_NAME = 255
const MAX_GET_BODY = 64 * 1024

const QUERYISH = new Set(['query', 'query|body', 'body|query'])

export async function readInputs(rule: Rule, req: FastifyRequest): Promise<ReadInputs> {
  if (rule.inputs.length === 0) return { values: {}, release: async () => {} }
  const query = (req.query ?? {}) as Record<string, unknown>
  let upload: { reader: StreamedMultipart } | null = null
  let body: Record<string, unknown>
  if (rule.streamed) {
    const contentType = String(req.headers['content-type'] ?? '')
    if (req.isMultipart()) {
      const reader = new StreamedMultipart(req, rule)
      upload = { reader }
      body = await reader.readUntilFile()
    } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
      body = asObject(req.body)
    } else {
      throw new ApiError('unsupported_media_type', { detail: `Unsupported media type "${contentType.split(';')[0] || 'none'}" in request.` })
    }
  } else if (req.method === 'GET' && needsGetBody(rule, query)) {
    body = await readGetBody(req)
  } else {
    body = asObject(req.body)
  }
  const release = async () => { await upload?.reader.release() }
  try {
    const values = validate(rule, query, body, upload?.reader.file ?? null)
    return { values, release }
  } catch (err) {
    await release()
    throw err
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

function needsGetBody(rule: Rule, query: Record<string, unknown>): boolean {
  return rule.inputs.some(i => i.from.includes('body') && query[i.name] === undefined)
}

// knowledge-bases §6.2/§6.6: a GET may carry its hash in a JSON body. fastify does not parse GET bodies.
async function readGetBody(req: FastifyRequest): Promise<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '')
  if (!type.startsWith('application/json') || req.raw.readableEnded) return {}
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length
    if (size > MAX_GET_BODY) throw new ApiError('payload_too_large')
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try {
    return asObject(JSON.parse(Buffer.concat(chunks).toString('utf8')))
  } catch (err) {
    throw new ApiError('bad_request', { detail: `JSON parse error - ${(err as Error).message}` })
  }
}

function pick(from: string, name: string, query: Record<string, unknown>, body: Record<string, unknown>, bodyWins: boolean): unknown {
  switch (from) {
    case 'query': return query[name]
    case 'body': return body[name]
    case 'query|body': return query[name] !== undefined ? query[name] : body[name]
    // knowledge-bases §6.5/§6.8: the body when it is a non-empty object, else the query (as a whole).
    default: return bodyWins ? body[name] : query[name]
  }
}

function validate(rule: Rule, query: Record<string, unknown>, body: Record<string, unknown>, file: UploadPart | null): Values {
  const bodyWins = Object.keys(body).length > 0
  const values: Values = {}
  const errors: Record<string, string[]> = {}
  const missing: string[] = []
  for (const input of rule.inputs) {
    if (input.type === 'file') {
      if (file) values[input.name] = file
      else if (input.required) {
        if (rule.missing) missing.push(input.name)
        else errors[input.name] = ['No file was submitted.']
      }
      continue
    }
    let raw = pick(input.from, input.name, query, body, bodyWins)
    if (Array.isArray(raw)) raw = raw[raw.length - 1] // a repeated form/query key: the last value, like Django
    if (raw === undefined || raw === null) {
      if (input.default !== undefined) values[input.name] = input.default
      else if (input.required) missing.push(input.name)
      continue
    }
    if (typeof raw !== 'string') {
      errors[input.name] = ['Not a valid string.']
      continue
    }
    const value = raw.trim() // DRF CharField trims surrounding whitespace
    const problem = checkValue(input.type, value, input.blank ?? false, input.max)
    if (problem) errors[input.name] = [problem]
    else values[input.name] = value
  }
  if (missing.length > 0) {
    if (rule.missing) throw new ApiError('validation', { detail: rule.missing })
    const queryish = missing.find(name => QUERYISH.has(rule.inputs.find(i => i.name === name)!.from))
    if (queryish) throw new ApiError('validation', { detail: `Parameter '${queryish}' is required.` })
    for (const name of missing) errors[name] = ['This field is required.']
  }
  if (Object.keys(errors).length > 0) throw validationError(errors)
  return values
}

function checkValue(kind: string, value: string, blank: boolean, max: number | undefined): string | null {
  if (value === '') return blank ? null : 'This field may not be blank.'
  switch (kind) {
    case 'hash':
      return HASH_PATTERN.test(value) ? null : 'hash_id must match [A-Za-z0-9_-]{1,128}.'
    case 'name':
    case 'file-name': {
      const limit = max ?? (kind === 'name' ? MAX_NAME : MAX_FILE_NAME)
      if (value.length > limit) return `Ensure this field has no more than ${limit} characters.`
      return UNSAFE_NAME.test(value) ? 'Names may not contain quotes, backslashes or control characters.' : null
    }
    case 'uuid':
      return value.length > 64 ? 'Ensure this field has no more than 64 characters.' : null
    default:
      return max !== undefined && value.length > max ? `Ensure this field has no more than ${max} characters.` : null
  }
}

/** A client file name → its base name, refused when unsafe (DECISIONS 30), at most 255 characters like Django. */
export function uploadFileName(raw: string): string {
  const base = raw.split('/').pop()!.trim()
  if (base === '' || base === '.' || base === '..') throw validationError({ file: ['The submitted file has no name.'] })
  if (UNSAFE_NAME.test(base)) throw validationError({ file: ['Names may not contain quotes, backslashes or control characters.'] })
  return base.length > MAX_UPLOAD_FILE_NAME ? base.slice(0, MAX_UPLOAD_FILE_NAME) : base
}

// ─── streamed multipart ───────────────────────────────────────────────────────────────────────────────

type PartsIterator = AsyncIterator<any>

/**
 * Reads a multipart request part by part (never buffering the file). When every required text field came
 * before the file part, the file stays unread in the request and is relayed as it arrives; otherwise it is
 * written to a temporary file (size-limited) and the remaining fields are read.
 */
class StreamedMultipart {
  file: UploadPart | null = null
  private iterator: PartsIterator
  private spoolPath: string | null = null
  private fileStream: Readable | null = null
  private released = false
  private readonly fileField: string
  private readonly limit: number

  constructor(private req: FastifyRequest, private rule: Rule) {
    this.fileField = rule.inputs.find(i => i.type === 'file')?.name ?? 'file'
    this.limit = rule.maxUploadBytes
    this.iterator = req.parts({ limits: { fileSize: this.limit, files: 4, fields: 32, fieldSize: 64 * 1024, parts: 40 } })[Symbol.asyncIterator]()
  }

  async readUntilFile(): Promise<Record<string, unknown>> {
    const fields: Record<string, unknown> = {}
    const requiredText = this.rule.inputs.filter(i => i.type !== 'file' && i.required && i.default === undefined).map(i => i.name)
    try {
      for (;;) {
        const { value: part, done } = await this.iterator.next()
        if (done) return fields
        if (part.type !== 'file') {
          fields[part.fieldname] = part.value
          continue
        }
        if (part.fieldname !== this.fileField || this.file) {
          part.file.resume() // another file part: not ours, dropped
          continue
        }
        const filename = uploadFileName(part.filename ?? '')
        const mimetype = part.mimetype || 'application/octet-stream'
        if (requiredText.every(name => fields[name] !== undefined)) {
          this.fileStream = part.file
          this.file = this.streamingUpload(part.file, filename, mimetype)
          return fields
        }
        this.file = await this.spool(part.file, filename, mimetype)
      }
    } catch (err) {
      await this.release()
      throw mapMultipartError(err)
    }
  }

  private streamingUpload(stream: Readable, filename: string, mimetype: string): UploadPart {
    let opened = false
    return {
      filename,
      mimetype,
      // busboy ends a part quietly at the size limit and marks it truncated.
      truncated: () => (stream as Readable & { truncated?: boolean }).truncated === true,
      open: () => {
        if (opened) throw new Error('a streamed upload can be relayed once')
        opened = true
        return stream
      },
    }
  }

  private async spool(stream: Readable, filename: string, mimetype: string): Promise<UploadPart> {
    const path = join(tmpdir(), `enlaight-upload-${randomBytes(12).toString('hex')}`)
    this.spoolPath = path
    await pipeline(stream, createWriteStream(path, { mode: 0o600 }))
    if ((stream as any).truncated) throw new TooLargeError()
    return { filename, mimetype, truncated: () => false, open: () => createReadStream(path) }
  }

  /** Discards what the client still sends and removes the spooled file. */
  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    // An unread (refused) or half-relayed (upstream gave up) file: let the parser skip the rest of it.
    if (this.fileStream && !this.fileStream.destroyed) this.fileStream.resume()
    // Drain the remaining parts in the background (bounded by the parser's limits) so the connection stays usable.
    void (async () => {
      try {
        for (;;) {
          const { value: part, done } = await this.iterator.next()
          if (done) break
          if (part.type === 'file') part.file.resume()
        }
      } catch { /* the client's problem; the answer is already decided */ }
    })()
    if (this.spoolPath) await rm(this.spoolPath, { force: true })
  }
}

function mapMultipartError(err: unknown): unknown {
  if (err instanceof ApiError) return err
  if (err instanceof TooLargeError) return new ApiError('payload_too_large', { detail: 'The file is larger than the upload limit.' })
  const code = (err as { code?: string })?.code
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new ApiError('payload_too_large', { detail: 'The file is larger than the upload limit.' })
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new ApiError('payload_too_large')
  return new ApiError('bad_request', { detail: 'Malformed multipart body.' })
}

