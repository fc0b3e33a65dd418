// The x-n8n forwarding rule: its TypeBox schema, the checks across fields, and the compiled form the engine runs.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { RouteEntry } from '../route-table.js'
import { PROCESSORS, type Processor, type ProcessorName } from './processors.js'

const Name = Type.String({ pattern: '^[a-z_][a-z0-9_]*$' })
/** A value reference: an input name, or `<file input>.filename`. */
const Ref = Type.String({ pattern: '^[a-z_][a-z0-9_]*(\\.filename)?$' })
const Method = Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map(m => Type.Literal(m)))
const Duration = Type.String({ pattern: '^[0-9]+(ms|s)$', description: 'e.g. 15s, 500ms' })
const Size = Type.String({ pattern: '^[0-9]+(B|KB|MB)$', description: 'e.g. 100MB' })
const Source = Type.Union(['query', 'body', 'query|body', 'body|query'].map(s => Type.Literal(s)))
const FieldType = Type.Union(['hash', 'uuid', 'name', 'file-name', 'text', 'file'].map(s => Type.Literal(s)))

const Input = Type.Object({
  from: Source,
  type: FieldType,
  required: Type.Optional(Type.Boolean({ description: 'default true' })),
  blank: Type.Optional(Type.Boolean({ description: 'an empty string is accepted (default false)' })),
  default: Type.Optional(Type.String()),
  max: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false })

const Send = Type.Union([
  Type.Literal('none'),
  Type.Object({ json: Type.Union([Type.Array(Ref), Type.Record(Type.String(), Ref)]) }, { additionalProperties: false }),
  Type.Object({ multipart: Type.Array(Ref, { minItems: 1 }) }, { additionalProperties: false }),
])

const Key = Type.Union([Type.Literal('kb'), Type.Literal('create')])

const Call = Type.Object({
  webhook: Type.String({ pattern: '^/[^\\s?#]*$' }),
  method: Method,
  send: Type.Optional(Send),
  timeout: Type.Optional(Duration),
  key: Type.Optional(Key),
}, { additionalProperties: false })

const Access = Type.Union([
  Type.Object({ project: Name, write: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Object({
    kb: Name,
    write: Type.Optional(Type.Boolean()),
    links: Type.Optional(Type.Union(['any', 'all', 'mine-or-none'].map(l => Type.Literal(l)))),
  }, { additionalProperties: false }),
  Type.Object({ kb: Name, in: Name }, { additionalProperties: false }),
])

export const RuleSchema = Type.Object({
  // The main upstream call (absent when `upstream: none` or when `steps` are declared).
  webhook: Type.Optional(Type.String({ pattern: '^/[^\\s?#]*$' })),
  method: Type.Optional(Method),
  send: Type.Optional(Send),
  timeout: Type.Optional(Duration),
  key: Type.Optional(Key),
  upstream: Type.Optional(Type.Literal('none')),
  input: Type.Optional(Type.Record(Name, Input)),
  missing: Type.Optional(Type.String({ minLength: 1 })),
  access: Type.Optional(Type.Union([Access, Type.Array(Access)])),
  verify: Type.Optional(Call),
  steps: Type.Optional(Type.Record(Name, Call)),
  sequence: Type.Optional(Type.Array(Type.Object({
    when: Type.Optional(Type.String({ pattern: '^\\s*[a-z0-9_.]+\\s*==\\s*[a-z0-9_.]+\\s*$' })),
    steps: Type.Array(Name, { minItems: 1 }),
  }, { additionalProperties: false }), { minItems: 1 })),
  maxUpload: Type.Optional(Size),
  processor: Type.Optional(Type.Union(Object.keys(PROCESSORS).map(p => Type.Literal(p)))),
  empty: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  links: Type.Optional(Type.Object({
    insert: Type.Optional(Type.Object({ project: Name, hash: Name, name: Type.Optional(Name) }, { additionalProperties: false })),
    remove: Type.Optional(Type.Object({ hash: Name }, { additionalProperties: false })),
  }, { additionalProperties: false })),
}, { additionalProperties: false })

export type RawRule = Static<typeof RuleSchema>
export type InputSpec = Static<typeof Input>
export type SendSpec = Static<typeof Send>
export type AccessSpec = Static<typeof Access>
export type FieldKind = InputSpec['type']

export interface CallSpec {
  name: string
  webhook: string
  method: string
  send: SendSpec
  timeoutMs: number
  key: 'kb' | 'create'
}

export interface SequenceBranch { when: [string, string] | null, steps: string[] }

export interface Rule {
  operationId: string
  inputs: Array<{ name: string } & InputSpec & { required: boolean }>
  missing: string | null
  access: AccessSpec[]
  call: CallSpec | null
  verify: CallSpec | null
  steps: Record<string, CallSpec>
  sequence: SequenceBranch[]
  maxUploadBytes: number
  processor: ProcessorName | null
  empty: Record<string, unknown> | null
  links: RawRule['links'] | null
  /** The route reads its multipart body itself (x-multipart: stream). */
  streamed: boolean
}

// DECISIONS 29: total deadlines, 15 s for JSON calls and 120 s for uploads.
export const JSON_TIMEOUT_MS = 15_000
export const UPLOAD_TIMEOUT_MS = 120_000
export const DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024

export class RuleError extends Error {}

/** Validates and compiles an operation's x-n8n block; every problem names the operation. Runs at start-up. */
export function compileRule(route: RouteEntry): Rule {
  const raw = route.n8n
  const fail = (msg: string): never => {
    throw new RuleError(`Invalid x-n8n rule of operation ${route.operationId} (${route.method} ${route.path}): ${msg}`)
  }
  if (!raw) fail('no x-n8n block')
  if (!Value.Check(RuleSchema, raw)) {
    const problems = [...Value.Errors(RuleSchema, raw)].slice(0, 5).map(e => `${e.path || '/'}: ${e.message}`)
    fail(problems.join('; '))
  }
  const rule = raw as RawRule
  const inputs = Object.entries(rule.input ?? {}).map(([name, spec]) => ({ ...spec, name, required: spec.required ?? true }))
  const processor = (rule.processor ?? null) as ProcessorName | null
  const known = new Set([...inputs.map(i => i.name), ...(processor ? PROCESSORS[processor].provides : [])])
  const fileInputs = inputs.filter(i => i.type === 'file')
  const checkRef = (ref: string, where: string) => {
    const [name, prop] = ref.split('.')
    if (!known.has(name)) fail(`${where} refers to "${name}", which is not a declared input (inputs: ${[...known].join(', ') || 'none'})`)
    if (prop && !fileInputs.some(f => f.name === name)) fail(`${where}: "${ref}" — only a file input has .filename`)
  }

  for (const input of inputs) {
    if (input.type === 'file' && input.from !== 'body') fail(`input ${input.name}: a file comes from the body`)
    if (input.type === 'file' && !route.multipart) fail(`input ${input.name}: a file input needs a multipart request body`)
  }
  if (fileInputs.length > 1) fail('at most one file input')
  if (fileInputs.length === 1 && route.multipart !== 'stream') fail('a file input needs x-multipart: stream (uploads are never buffered)')

  const checked = <T>(parse: () => T, where: string): T => {
    try { return parse() } catch (err) { return fail(`${where}: ${(err as Error).message}`) }
  }

  const compileCall = (name: string, spec: Static<typeof Call>): CallSpec => {
    const send = spec.send ?? 'none'
    const refs = send === 'none' ? [] : 'json' in send ? (Array.isArray(send.json) ? send.json : Object.values(send.json)) : send.multipart
    for (const ref of refs) checkRef(ref, `${name}.send`)
    const isUpload = send !== 'none' && 'multipart' in send
    if (isUpload && send.multipart.filter(r => fileInputs.some(f => f.name === r)).length !== 1) {
      fail(`${name}.send.multipart must name exactly one file input`)
    }
    return {
      name,
      webhook: spec.webhook,
      method: spec.method,
      send,
      timeoutMs: spec.timeout ? checked(() => parseDuration(spec.timeout!), `${name}.timeout`) : isUpload ? UPLOAD_TIMEOUT_MS : JSON_TIMEOUT_MS,
      key: spec.key ?? 'kb',
    }
  }

  let call: CallSpec | null = null
  const hasMain = rule.webhook !== undefined || rule.method !== undefined
  const shapes = [hasMain, rule.upstream === 'none', rule.steps !== undefined].filter(Boolean).length
  if (shapes !== 1) fail('declare exactly one of: webhook + method (one call), upstream: none (no call), steps + sequence')
  if (hasMain) {
    if (!rule.webhook || !rule.method) fail('webhook and method go together')
    call = compileCall('main', { webhook: rule.webhook!, method: rule.method!, send: rule.send, timeout: rule.timeout, key: rule.key })
  } else if (rule.send || rule.timeout || rule.key) {
    fail('send/timeout/key belong to a call (top level with webhook, or inside steps)')
  }

  const steps: Record<string, CallSpec> = {}
  for (const [name, spec] of Object.entries(rule.steps ?? {})) steps[name] = compileCall(name, spec)
  const sequence: SequenceBranch[] = []
  if (rule.steps && !rule.sequence) fail('steps need a sequence')
  if (rule.sequence && !rule.steps) fail('a sequence needs steps')
  for (const [i, branch] of (rule.sequence ?? []).entries()) {
    for (const s of branch.steps) if (!steps[s]) fail(`sequence[${i}] names unknown step "${s}"`)
    let when: [string, string] | null = null
    if (branch.when) {
      const [a, b] = branch.when.split('==').map(s => s.trim())
      checkRef(a, `sequence[${i}].when`)
      checkRef(b, `sequence[${i}].when`)
      when = [a, b]
    } else if (i !== (rule.sequence!.length - 1)) {
      fail(`sequence[${i}] has no "when": only the last branch may be unconditional`)
    }
    sequence.push({ when, steps: branch.steps })
  }
  if (sequence.length > 0 && sequence[sequence.length - 1].when) fail('the last sequence branch must be unconditional')

  const access = rule.access === undefined ? [] : Array.isArray(rule.access) ? rule.access : [rule.access]
  for (const [i, a] of access.entries()) {
    for (const ref of Object.entries(a).filter(([k]) => k === 'project' || k === 'kb' || k === 'in').map(([, v]) => v as string)) {
      checkRef(ref, `access[${i}]`)
    }
  }
  if (rule.verify && (!rule.verify.send || rule.verify.send === 'none' || !('json' in rule.verify.send))) {
    fail('verify sends a JSON body')
  }
  const verify = rule.verify ? compileCall('verify', rule.verify) : null
  if (rule.links?.insert) {
    checkRef(rule.links.insert.project, 'links.insert.project')
    checkRef(rule.links.insert.hash, 'links.insert.hash')
    if (rule.links.insert.name) checkRef(rule.links.insert.name, 'links.insert.name')
  }
  if (rule.links?.remove) checkRef(rule.links.remove.hash, 'links.remove.hash')
  if (processor) {
    const p: Processor = PROCESSORS[processor]
    for (const need of p.needs) if (!known.has(need)) fail(`processor ${processor} needs an input named "${need}"`)
    for (const step of p.steps ?? []) if (!steps[step]) fail(`processor ${processor} needs a step named "${step}"`)
  }
  if (rule.upstream === 'none' && !processor) fail('upstream: none needs a processor to build the answer')
  if (rule.maxUpload && fileInputs.length === 0) fail('maxUpload without a file input')

  return {
    operationId: route.operationId,
    inputs,
    missing: rule.missing ?? null,
    access,
    call,
    verify,
    steps,
    sequence,
    maxUploadBytes: rule.maxUpload ? checked(() => parseSize(rule.maxUpload!), 'maxUpload') : DEFAULT_MAX_UPLOAD,
    processor,
    empty: rule.empty ?? null,
    links: rule.links ?? null,
    streamed: route.multipart === 'stream',
  }
}

export function parseDuration(text: string): number {
  const m = /^([0-9]+)(ms|s)$/.exec(text)!
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1)
  if (ms < 1 || ms > 600_000) throw new RuleError(`timeout ${text} is outside 1ms..600s`)
  return ms
}

export function parseSize(text: string): number {
  const m = /^([0-9]+)(B|KB|MB)$/.exec(text)!
  const bytes = Number(m[1]) * (m[2] === 'MB' ? 1024 * 1024 : m[2] === 'KB' ? 1024 : 1)
  if (bytes < 1 || bytes > 2 * 1024 * 1024 * 1024) throw new RuleError(`size ${text} is outside 1B..2048MB`)
  return bytes
}
