// The n8n proxy engine: runs the x-n8n forwarding rule of an operation. Order, for every rule:
// inputs (400) → access (404/403, nothing reaches n8n) → configuration (503) → processor.prepare → verify →
// the call or the sequence of steps → outcome mapping → kb_links writes → answer.
import type { Config } from '../../config.js'
import { ApiError } from '../errors.js'
import type { Operation, OperationFactory, OperationResultLike } from '../operations.js'
import type { RouteEntry } from '../route-table.js'
import { checkAccess } from './access.js'
import { readInputs, type Values } from './inputs.js'
import { insertLink, removeLinks, type LinkResult } from './links.js'
import { interpret, type Success } from './outcome.js'
import { PROCESSORS, type Processor, type ProcessorContext, type StepOutcome } from './processors.js'
import { compileRule, type CallSpec, type Rule } from './rule.js'
import { callUpstream, type UploadPart, type UpstreamBody } from './upstream.js'

export { closeUpstreamPools } from './upstream.js'
export { compileRule, RuleError } from './rule.js'

const KB_FORBIDDEN = 'You do not have access to this knowledge base.'

export interface ProxyOptions {
  /** Caps every declared deadline (tests exercise timeouts without waiting 15 s). */
  maxTimeoutMs?: number
  /** Caps every declared upload limit (tests exercise the limit without sending 100 MB). */
  maxUploadBytes?: number
}

export function createProxyEngine(options: ProxyOptions = {}): OperationFactory {
  return (route: RouteEntry) => bindRule(capLimits(compileRule(route), options))
}

/** The engine buildApp registers for kind 'n8n' operations. */
export const proxyEngine: OperationFactory = createProxyEngine()

function capLimits(rule: Rule, { maxTimeoutMs, maxUploadBytes }: ProxyOptions): Rule {
  const cap = maxTimeoutMs ?? Infinity
  const capped = (c: CallSpec | null) => c && { ...c, timeoutMs: Math.min(c.timeoutMs, cap) }
  const steps = Object.fromEntries(Object.entries(rule.steps).map(([k, c]) => [k, capped(c)!]))
  const maxUpload = Math.min(rule.maxUploadBytes, maxUploadBytes ?? Infinity)
  return { ...rule, call: capped(rule.call), verify: capped(rule.verify), steps, maxUploadBytes: maxUpload }
}

function bindRule(rule: Rule): Operation {
  const processor: Processor | null = rule.processor ? PROCESSORS[rule.processor] : null
  const calls = [rule.call, rule.verify, ...Object.values(rule.steps)].filter((c): c is CallSpec => c !== null)

  return async ({ user, req, deps }) => {
    if (!user) throw new ApiError('not_authenticated')
    const input = await readInputs(rule, req)
    try {
      const values = input.values
      await checkAccess(rule.access, values, user, deps)
      const ctx: ProcessorContext = { operationId: rule.operationId, values, user, deps, log: req.log, state: {} }
      for (const call of calls) upstreamConfig(deps.config, call)

      if (processor?.prepare) {
        const early = await processor.prepare(ctx)
        if (early) return early
      }
      if (rule.verify) await verify(rule, rule.verify, ctx)
      if (rule.sequence.length > 0) return await runSequence(rule, processor, ctx)

      let answer: Success | null = null
      if (rule.call) {
        const result = await run(rule, rule.call, ctx, processor?.body ? { kind: 'json', value: processor.body(ctx) } : undefined)
        if (!result.ok) throw result.error
        answer = result
        processor?.extract?.(answer, ctx)
      }
      const link = await writeLinks(rule, values, ctx)
      if (processor?.respond) return await processor.respond(answer, ctx, link)
      return { status: answer!.status, body: answer!.json }
    } finally {
      await input.release()
    }
  }
}

/** knowledge-bases §4.4 (the issue asks 503, not the original's 500): no n8n configured is not a crash. */
function upstreamConfig(config: Config, call: CallSpec): { baseUrl: string, key: string } {
  const key = call.key === 'create' ? config.n8n.kbCreateKey : config.n8n.kbKey
  if (!config.n8n.baseUrl || !key) {
    throw new ApiError('service_unavailable', { detail: 'n8n configuration missing (N8N_BASE_URL/N8N_KB_KEY).' })
  }
  return { baseUrl: config.n8n.baseUrl, key }
}

async function run(rule: Rule, call: CallSpec, ctx: ProcessorContext, body?: UpstreamBody) {
  const { baseUrl, key } = upstreamConfig(ctx.deps.config, call)
  const outcome = await callUpstream({
    baseUrl, key, method: call.method, webhook: call.webhook, timeoutMs: call.timeoutMs,
    body: body ?? buildBody(call, ctx.values),
  })
  return interpret(outcome, {
    operationId: rule.operationId, step: call.name, webhook: call.webhook, log: ctx.log,
    empty: call.name === 'main' ? rule.empty : null,
  })
}

function resolve(values: Values, ref: string): unknown {
  const [name, prop] = ref.split('.')
  const value = values[name]
  return prop === 'filename' ? (value as UploadPart | undefined)?.filename : value
}

/** The upstream body from the declared refs: only values present are sent (knowledge-bases §6.4). */
function buildBody(call: CallSpec, values: Values): UpstreamBody {
  const send = call.send
  if (send === 'none') return { kind: 'none' }
  if ('json' in send) {
    const pairs = Array.isArray(send.json) ? send.json.map(ref => [ref, ref] as const) : Object.entries(send.json)
    const value: Record<string, unknown> = {}
    for (const [outName, ref] of pairs) {
      const v = resolve(values, ref)
      if (v !== undefined) value[outName] = v
    }
    return { kind: 'json', value }
  }
  const fields: Array<[string, string]> = []
  let file: UploadPart | null = null
  for (const ref of send.multipart) {
    const v = resolve(values, ref)
    if (v && typeof v === 'object' && 'open' in (v as object)) file = v as UploadPart
    else if (v !== undefined) fields.push([ref, String(v)])
  }
  return { kind: 'multipart', fields, file: file! }
}

/** DECISIONS footnote 1: the KB must exist in n8n; an unknown hash gets the same 403 as a foreign one. */
async function verify(rule: Rule, call: CallSpec, ctx: ProcessorContext) {
  const result = await run(rule, call, ctx)
  if (result.ok) return
  if (result.error.status === 404) throw new ApiError('forbidden', { detail: KB_FORBIDDEN })
  throw result.error
}

async function runSequence(rule: Rule, processor: Processor | null, ctx: ProcessorContext): Promise<OperationResultLike> {
  const branch = rule.sequence.find(b => !b.when || equalValues(resolve(ctx.values, b.when[0]), resolve(ctx.values, b.when[1])))!
  const outcomes: StepOutcome[] = []
  for (const step of branch.steps) {
    const result = await run(rule, rule.steps[step], ctx)
    outcomes.push({ step, result })
    if (!result.ok) break
  }
  if (processor?.sequence) return processor.sequence(outcomes, ctx)
  const last = outcomes[outcomes.length - 1]
  if (!last.result.ok) throw last.result.error
  return { status: last.result.status, body: last.result.json }
}

function equalValues(a: unknown, b: unknown): boolean {
  return a !== undefined && a === b
}

async function writeLinks(rule: Rule, values: Values, ctx: ProcessorContext): Promise<LinkResult | null> {
  const links = rule.links
  if (!links) return null
  if (links.remove) {
    const removed = await removeLinks(ctx.deps, values[links.remove.hash] as string)
    ctx.log.info({ operationId: rule.operationId, removed }, 'kb_links removed after n8n confirmed the delete')
  }
  if (links.insert) {
    const spec = links.insert
    return insertLink(ctx.deps, values[spec.project] as string, values[spec.hash] as string, String((spec.name && values[spec.name]) ?? ''))
  }
  return null
}
