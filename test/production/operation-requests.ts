// A plausible request for any operation of the route table, built from openapi.yaml: path parameters filled
// with seeded ids (or a valid-looking UUID), query parameters and the body from the declared examples. Used by
// table-driven tests that must reach every operation with a request a real client could send.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { SPEC_FILE } from '../../src/app.js'
import type { RouteEntry } from '../../src/engine/route-table.js'
import { multipartBody, pngBytes } from './support.js'

export interface OperationRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}

const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as Record<string, any>

function resolveRef(node: any): any {
  if (!node || typeof node !== 'object' || typeof node.$ref !== 'string') return node
  const path = node.$ref.replace(/^#\//, '').split('/')
  return resolveRef(path.reduce((at: any, key: string) => at?.[key], spec))
}

function firstExample(media: any): unknown {
  if (!media) return undefined
  if (media.example !== undefined) return media.example
  const examples = media.examples ? Object.values(media.examples) : []
  if (examples.length > 0) return resolveRef(examples[0])?.value
  return resolveRef(media.schema)?.example
}

function parameterValue(param: any): string {
  const p = resolveRef(param)
  const value = p.example ?? (p.examples ? resolveRef(Object.values(p.examples)[0])?.value : undefined)
    ?? resolveRef(p.schema)?.example ?? resolveRef(p.schema)?.enum?.[0]
  if (value !== undefined) return String(value)
  return /hash/i.test(p.name) ? 'kb_example_hash' : 'x'
}

const hyphenated = (hex: string) => (hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : hex)

/**
 * `ids` maps the first path segment after /api/ (projects, bots, clients, users, login-as, …) to a seeded row's
 * id, so a request that slipped past authentication would really address a row (and change the fingerprint).
 */
export function requestFor(route: RouteEntry, ids: Record<string, string> = {}): OperationRequest {
  const operation = spec.paths?.[route.path]?.[route.method.toLowerCase()] ?? {}
  const resource = route.path.split('/')[2] ?? ''
  let url = route.path.replace(/\{([^}]+)\}/g, () => hyphenated(ids[resource] ?? randomUUID()))
  const params = [...(spec.paths?.[route.path]?.parameters ?? []), ...(operation.parameters ?? [])].map(resolveRef)
  const query = new URLSearchParams()
  for (const param of params) {
    if (param.in === 'query' && (param.required || /hash_id|project_id|session_key|query/.test(param.name))) query.set(param.name, parameterValue(param))
  }
  if ([...query.keys()].length > 0) url += `?${query}`

  const headers: Record<string, string> = {}
  const content = resolveRef(operation.requestBody)?.content ?? {}
  let payload: string | Buffer | undefined
  const example = firstExample(content['application/json']) ?? firstExample(content['application/x-www-form-urlencoded'])
    ?? firstExample(content['multipart/form-data'])
  const fields = Object.entries((example ?? {}) as Record<string, unknown>)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([name, v]) => ({ name, value: String(v) }))
  if (route.multipart === 'stream' || (!content['application/json'] && content['multipart/form-data'])) {
    // Streamed uploads carry a file; other multipart operations get the example's fields.
    const file = route.multipart === 'stream' ? [{ name: 'file', value: pngBytes(2048), filename: 'probe.png', contentType: 'image/png' }] : []
    const { body, contentType } = multipartBody([...fields, ...file])
    payload = body
    headers['content-type'] = contentType
  } else if (!content['application/json'] && content['application/x-www-form-urlencoded']) {
    payload = new URLSearchParams(fields.map(f => [f.name, f.value])).toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
  } else if (content['application/json'] || ['POST', 'PUT', 'PATCH'].includes(route.method)) {
    payload = JSON.stringify(example ?? {})
    headers['content-type'] = 'application/json'
  }
  return { method: route.method as OperationRequest['method'], url, headers, payload }
}
