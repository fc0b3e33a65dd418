// Types that turn one openapi-typescript `operations[Op]` entry into a handler's context and result.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../deps.js'
import type { User } from '../models/index.js'

type ContentOf<T> = T extends { content: infer C } ? C[keyof C] : undefined
type Field<T, K extends string> = T extends { [P in K]?: infer V } ? V : never
type OrEmpty<T> = [T] extends [never] ? Record<string, never> : T extends undefined ? Record<string, never> : T

export type OperationParams<O> = OrEmpty<NonNullable<Field<Field<O, 'parameters'>, 'path'>>>
export type OperationQuery<O> = OrEmpty<NonNullable<Field<Field<O, 'parameters'>, 'query'>>>
export type OperationBody<O> = O extends { requestBody?: infer B } ? ContentOf<NonNullable<B>> : undefined

type Responses<O> = O extends { responses: infer R } ? R : never
type SuccessStatus<O> = Extract<keyof Responses<O>, 200 | 201 | 202 | 204 | 301 | 302 | 303 | 307>

export type OperationResult<O> = {
  [S in SuccessStatus<O>]: {
    status: S
    body: ContentOf<Responses<O>[S]>
    headers?: Record<string, string | string[]>
  }
}[SuccessStatus<O>]

export interface HandlerContext<O> {
  params: OperationParams<O>
  query: OperationQuery<O>
  body: OperationBody<O>
  /** The authenticated caller, or null for anonymous requests on public operations. */
  user: User | null
  deps: Deps
  req: FastifyRequest
  reply: FastifyReply
}

export type OperationHandler<O> = (ctx: HandlerContext<O>) => Promise<OperationResult<O>>
