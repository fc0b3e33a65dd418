// Reads openapi.yaml and lists its operations with the extensions that decide how each is served.
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

export type OperationKind = 'crud' | 'n8n' | 'custom' | 'docs'
export type SecurityMode = 'required' | 'optional' | 'none'

export interface SpecOperation {
  operationId: string
  method: string
  path: string
  tag: string
  kind: OperationKind
  security: SecurityMode
  aliasOf: string | null
  policy: Record<string, unknown> | null
  crud: Record<string, unknown> | null
  n8n: Record<string, unknown> | null
  multipart: 'stream' | 'fields' | null
  rateLimit: Record<string, unknown> | null
  /** GET operations answer HEAD too unless `x-head: false` (Django's function views answer HEAD with 405). */
  head: boolean
}

export type OpenApiDocument = Record<string, any>

export function readSpec(file: string): OpenApiDocument {
  return parse(readFileSync(file, 'utf8'))
}

export function listOperations(spec: OpenApiDocument): SpecOperation[] {
  const operations: SpecOperation[] = []
  for (const [path, item] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method]
      if (!op) continue
      if (!op.operationId) throw new Error(`openapi.yaml: ${method.toUpperCase()} ${path} has no operationId`)
      operations.push(describe(spec, op, method.toUpperCase(), path))
    }
  }
  resolveAliases(operations)
  return operations.sort((a, b) => a.operationId.localeCompare(b.operationId))
}

function describe(spec: OpenApiDocument, op: Record<string, any>, method: string, path: string): SpecOperation {
  const tag = op.tags?.[0] ?? 'default'
  const kind: OperationKind = op['x-crud'] ? 'crud' : op['x-n8n'] ? 'n8n' : tag === 'docs' ? 'docs' : 'custom'
  const multipartDeclared = Boolean(op.requestBody?.content?.['multipart/form-data'])
  return {
    operationId: op.operationId,
    method,
    path,
    tag,
    kind,
    security: securityMode(op.security ?? spec.security ?? []),
    aliasOf: op['x-alias-of'] ?? null,
    policy: op['x-policy'] ?? null,
    crud: op['x-crud'] ?? null,
    n8n: op['x-n8n'] ?? null,
    multipart: op['x-multipart'] === 'stream' ? 'stream' : multipartDeclared ? 'fields' : null,
    rateLimit: op['x-rate-limit'] ?? null,
    head: method === 'GET' && op['x-head'] !== false,
  }
}

function securityMode(requirements: Array<Record<string, unknown>>): SecurityMode {
  if (requirements.length === 0) return 'none'
  return requirements.some(r => Object.keys(r).length === 0) ? 'optional' : 'required'
}

// An alias is served exactly like its canonical operation, so it inherits the canonical declarations.
function resolveAliases(operations: SpecOperation[]) {
  const byId = new Map(operations.map(o => [o.operationId, o]))
  for (const op of operations) {
    if (!op.aliasOf) continue
    const target = byId.get(op.aliasOf)
    if (!target) throw new Error(`openapi.yaml: ${op.operationId} is x-alias-of unknown operation ${op.aliasOf}`)
    op.kind = target.kind
    op.policy ??= target.policy
    op.crud ??= target.crud
    op.n8n ??= target.n8n
  }
}
