// Per-request state of a CRUD operation, and how declaration values ('${body.x}') are read from it.
import type { FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import type { Deps } from '../../deps.js'
import { ApiError } from '../errors.js'
import type { ErrorAnswerDecl } from './declaration.js'

/** The subset of the policy engine's PolicySet the CRUD engine uses (/work/notes/policy-api.md). */
export interface Policies {
  can(user: unknown, action: string, subject: string, field?: string): boolean
  scope<Q>(query: Q, user: unknown, action: string, subject?: string, opts?: { where?: Record<string, unknown> }): Q
  scopeKnex(builder: Knex.QueryBuilder, knex: Knex, user: unknown, action: string, subject: string): Knex.QueryBuilder
  canOnRow(user: unknown, action: string, subject: string, id: unknown, opts?: { db?: Knex | Knex.Transaction }): Promise<boolean>
  canWith(user: unknown, action: string, subject: string, values: Record<string, unknown>, opts?: { db?: Knex | Knex.Transaction }): Promise<boolean>
}

export interface RequestState {
  user: Record<string, any> | null
  params: Record<string, any>
  query: Record<string, any>
  body: Record<string, any>
  req: FastifyRequest
  deps: Deps
  policies: Policies
  db: Knex | Knex.Transaction
  /** The current row (update, attach...), for '${row.x}'. */
  row?: Record<string, any>
}

const TEMPLATE = /^\$\{(body|params|query|user|row)\.([A-Za-z0-9_]+)\}$/

export function isTemplate(v: unknown): v is string {
  return typeof v === 'string' && TEMPLATE.test(v)
}

/** A declared value: '${source.key}' is read from the request, anything else is a literal. */
export function resolveValue(v: unknown, state: RequestState): unknown {
  if (typeof v !== 'string') return v
  const m = TEMPLATE.exec(v)
  if (!m) return v
  const source = m[1] === 'user' ? state.user : m[1] === 'row' ? state.row : (state as any)[m[1]]
  const value = source?.[m[2]]
  return value === undefined ? null : value
}

/** An answer declared in x-crud ({status, detail} / {field, message} / {body}) as an ApiError. */
export function declaredError(answer: ErrorAnswerDecl, fallbackStatus = 400): ApiError {
  const status = answer.status ?? fallbackStatus
  const reason = status === 404 ? 'not_found' : status === 409 ? 'conflict' : status === 403 ? 'forbidden' : 'validation'
  if (answer.body !== undefined) return new ApiError(reason, { body: answer.body as Record<string, unknown> })
  if (answer.field) return new ApiError(reason, { body: { [answer.field]: [answer.message ?? 'Invalid value.'] } })
  return new ApiError(reason, { detail: answer.detail ?? 'Invalid input.' })
}

export function policiesOf(deps: Deps): Policies {
  const p = (deps as unknown as { policies?: Policies }).policies
  if (!p) throw new Error('CRUD engine: deps.policies is missing (buildApp must load the policies before binding x-crud routes)')
  return p
}
