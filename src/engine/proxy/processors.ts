// Named processors a rule may declare (`processor: <name>`) where n8n's answer needs more than passthrough
// (knowledge-bases §4.5: list-all filter + reshape, create id extraction, attach, search, file update outcomes).
// Each says which inputs it needs and which values it provides, so rules are checked at start-up.
import type { FastifyBaseLogger } from 'fastify'
import { toUuid } from '../../db/ids.js'
import type { Deps } from '../../deps.js'
import type { User } from '../../models/index.js'
import { ApiError } from '../errors.js'
import type { OperationResultLike } from '../operations.js'
import type { Values } from './inputs.js'
import type { LinkResult } from './links.js'
import type { Interpreted, Success } from './outcome.js'

const HASH = /^[A-Za-z0-9_-]{1,128}$/

export interface ProcessorContext {
  operationId: string
  values: Values
  user: User
  deps: Deps
  log: FastifyBaseLogger
  /** Scratch space shared by one request's hooks. */
  state: Record<string, unknown>
}

export interface StepOutcome { step: string, result: Interpreted }

export interface Processor {
  /** Inputs the processor reads (checked against the rule's inputs at start-up). */
  needs: readonly string[]
  /** Values it adds, usable by links and other references. */
  provides: readonly string[]
  /** Steps a sequence must declare for it. */
  steps?: readonly string[]
  /** Before any upstream call; an answer here ends the request without calling n8n. */
  prepare?(ctx: ProcessorContext): Promise<OperationResultLike | void>
  /** The upstream JSON body, instead of `send`. */
  body?(ctx: ProcessorContext): unknown
  /** Reads a successful answer before links are written; throws to refuse it. */
  extract?(answer: Success, ctx: ProcessorContext): void
  /** The client's answer (after links are written). */
  respond?(answer: Success | null, ctx: ProcessorContext, link: LinkResult | null): Promise<OperationResultLike>
  /** The client's answer for a sequence of steps, from the outcomes of the steps that ran. */
  sequence?(outcomes: StepOutcome[], ctx: ProcessorContext): OperationResultLike
}

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v)

/** knowledge-bases §6.1 (DECISIONS 25): n8n's rows reshaped, filtered to the KBs linked to this project. */
const kbList: Processor = {
  needs: ['project_id'],
  provides: [],
  async respond(answer, ctx) {
    const payload = answer?.json
    const rows: unknown[] = isObject(payload) ? (Array.isArray(payload.kbs) ? payload.kbs : Array.isArray(payload.data) ? payload.data : []) : []
    const projectId = ctx.values.project_id as string
    const links = await ctx.deps.models.KbLink.query().where('project_id', projectId).select('external_id')
    const linked = new Set(links.map(l => l.external_id))
    const kbs = []
    for (const row of rows) {
      if (!isObject(row)) continue
      const ext = row.hash_id || row.id || row.external_id
      if (!ext) continue // drops the `{}` placeholder n8n answers for an empty table
      if (!linked.has(String(ext))) continue
      kbs.push({ external_id: ext, name: row.name || row.kb_name || '', ...row })
    }
    return { status: 200, body: { status: 'success', project_id: toUuid(projectId), count: kbs.length, kbs } }
  },
}

/** knowledge-bases §6.3: the new hash is the first of hash_id, id, data.hash_id, kb.id; none → 502. */
const kbCreate: Processor = {
  needs: ['project_id', 'name'],
  provides: ['hash_id'],
  extract(answer, ctx) {
    const body = answer.json
    const candidate = isObject(body)
      ? [body.hash_id, body.id, isObject(body.data) ? body.data.hash_id : undefined, isObject(body.kb) ? body.kb.id : undefined].find(Boolean)
      : undefined
    const hash = typeof candidate === 'string' || typeof candidate === 'number' ? String(candidate) : ''
    if (!HASH.test(hash)) {
      ctx.log.error({ operationId: ctx.operationId }, 'n8n answered a KB without a usable identifier')
      throw new ApiError('upstream_error', { detail: 'The n8n answer has no KB identifier.' })
    }
    ctx.values.hash_id = hash
  },
  async respond(answer, ctx) {
    return { status: answer!.status, body: { project_id: toUuid(ctx.values.project_id as string), ...(answer!.json as object) } }
  },
}

/** knowledge-bases §6.10: the link's state after get-or-create. */
const kbAttach: Processor = {
  needs: ['project_id', 'hash_id'],
  provides: [],
  async respond(_answer, ctx, link) {
    return {
      status: 200,
      body: {
        status: link?.created ? 'created' : 'exists',
        project_id: toUuid(ctx.values.project_id as string),
        hash_id: ctx.values.hash_id,
        name: link?.name ?? '',
      },
    }
  },
}

/** knowledge-bases §6.11, DECISIONS 33: the caller's own sessions only; no call without sessions. */
const chatSearch: Processor = {
  needs: ['query'],
  provides: ['session_ids'],
  async prepare(ctx) {
    const sessions = await ctx.deps.models.ChatSession.query().where('user_id', ctx.user.id).select('session_key', 'agent_id').orderBy(['created_at', 'id'])
    if (sessions.length === 0) return { status: 201, body: { status: 'success', results: [] } }
    const agents = new Map<string, string>()
    for (const s of sessions) agents.set(s.session_key, s.agent_id)
    ctx.state.agents = agents
    ctx.values.session_ids = [...agents.keys()]
  },
  body(ctx) {
    // The original body: the query between SQL wildcards, commas turned into spaces.
    return { session_ids: ctx.values.session_ids, search_query: ['%', String(ctx.values.query).replaceAll(',', ' '), '%'] }
  },
  async respond(answer, ctx) {
    const data = isObject(answer?.json) ? (answer!.json as Record<string, unknown>).data : undefined
    if (!Array.isArray(data)) {
      ctx.log.error({ operationId: ctx.operationId }, 'n8n search answer has no data list')
      throw new ApiError('upstream_error')
    }
    const agents = ctx.state.agents as Map<string, string>
    const results = []
    for (const item of data) {
      if (!isObject(item) || typeof item.session_id !== 'string' || !agents.has(item.session_id)) continue
      const message = isObject(item.message) ? item.message : {}
      const agent = agents.get(item.session_id)
      results.push({
        session_id: item.session_id,
        message: typeof message.content === 'string' ? message.content : '',
        author: typeof message.type === 'string' && message.type ? message.type : 'human',
        agent_id: agent ? toUuid(agent) : 'None',
      })
    }
    return { status: 201, body: { status: 'success', results } }
  },
}

/**
 * knowledge-bases §6.9 as DECISIONS 31 changes it. New name: add, then delete (a failed delete → 207, the new file
 * stays). Same name: delete, then add (a failed add → 502 saying the old file is gone). A failing first step changes
 * nothing and answers like any single call.
 */
const kbFileUpdate: Processor = {
  needs: ['file', 'old_file'],
  provides: [],
  steps: ['add', 'delete'],
  sequence(outcomes) {
    const [first, second] = outcomes
    if (!first.result.ok) throw first.result.error
    if (!second) throw new ApiError('internal')
    const added = first.step === 'add' ? first.result : second.result
    const deleted = first.step === 'delete' ? first.result : second.result
    if (second.result.ok) {
      return { status: 200, body: { status: 'ok', added: (added as Success).json, deleted: (deleted as Success).json } }
    }
    const error = second.result.error
    if (second.step === 'delete') {
      return { status: 207, body: { detail: 'New file added but the old one was not removed.', add: (added as Success).json, delete: error.body } }
    }
    throw new ApiError('upstream_error', {
      detail: 'The old file was deleted but adding the new one failed.',
      body: { ...error.body, detail: 'The old file was deleted but adding the new one failed.', step: 'add' },
    })
  },
}

export const PROCESSORS = {
  'kb-list': kbList,
  'kb-create': kbCreate,
  'kb-attach': kbAttach,
  'chat-search': chatSearch,
  'kb-file-update': kbFileUpdate,
} satisfies Record<string, Processor>

export type ProcessorName = keyof typeof PROCESSORS
