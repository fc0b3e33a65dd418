// Binds every operationId of openapi.yaml to its executor: CRUD engine, n8n proxy engine, or custom handler/stub.
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { implementations } from '../../generated/implementations.js'
import { routes } from '../../generated/routes.js'
import type { Deps } from '../deps.js'
import type { User } from '../models/index.js'
import { ApiError } from './errors.js'
import type { HandlerContext } from './handler-types.js'
import { collectMultipartFields, mergeUploads } from './multipart.js'
import { notImplemented } from './not-implemented.js'
import type { RouteEntry } from './route-table.js'

export interface OperationResultLike {
  status: number
  body?: unknown
  headers?: Record<string, string | string[]>
}

/** What every executor looks like once bound: context in, status and body out. */
export type Operation = (ctx: HandlerContext<any>) => Promise<OperationResultLike>

/** Builds the executor of a declarative operation (x-crud or x-n8n) from its route entry. */
export type OperationFactory = (route: RouteEntry, deps: Deps) => Operation

export interface Engines {
  crud?: OperationFactory
  n8n?: OperationFactory
}

/** Checks run before an operation executes (authentication, policy); each may throw ApiError. */
export type Guard = (route: RouteEntry, req: FastifyRequest) => Promise<void>

export interface BindOptions {
  deps: Deps
  engines: Engines
  /** The route table (default: generated/routes.ts); another spec brings its own (buildApp's specFile). */
  routes?: Record<string, RouteEntry>
  authenticate: (req: FastifyRequest, deps: Deps) => Promise<User>
  authorize?: Guard
}

export function routeEntry(operationId: string, table: Record<string, RouteEntry> = routes as Record<string, RouteEntry>): RouteEntry {
  const route = table[operationId]
  if (!route) throw new Error(`operationId ${operationId} is not in generated/routes.ts: run npm run codegen`)
  return route
}

declare module 'fastify' {
  interface FastifyContextConfig { operationId?: string }
}

export function createOperationResolver(options: BindOptions) {
  return (operationId: string): RouteOptions => {
    const route = routeEntry(operationId, options.routes)
    const canonical = route.aliasOf ? routeEntry(route.aliasOf, options.routes) : route
    const execute = executorFor(canonical, options)
    return {
      config: { operationId: canonical.operationId, rateLimit: route.rateLimit ?? undefined },
      exposeHeadRoute: route.head,
      onRequest: accessHook(canonical, route, options),
      preValidation: route.multipart === 'fields' ? collectMultipartFields : undefined,
      // 'stream' routes read their multipart body in the engine: there is no body to validate yet.
      attachValidation: route.multipart === 'stream' ? true : undefined,
      preHandler: async (req: FastifyRequest) => {
        if (req.validationError && !(req.isMultipart() && (req.validationError as { validationContext?: string }).validationContext === 'body')) {
          throw req.validationError
        }
        if (route.multipart === 'fields') mergeUploads(req)
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const result = await execute({
          params: req.params as any,
          query: req.query as any,
          body: req.body as any,
          user: req.user,
          deps: options.deps,
          req,
          reply,
        })
        if (reply.sent) return reply
        reply.code(result.status)
        if (result.headers) reply.headers(result.headers)
        return reply.send(result.body)
      },
    } as Partial<RouteOptions> as RouteOptions // glue merges these options into the route it builds
  }
}

function executorFor(route: RouteEntry, { deps, engines }: BindOptions): Operation {
  if (route.kind === 'custom') return (implementations as unknown as Record<string, Operation>)[route.operationId] ?? notImplemented(route.operationId)
  const factory = route.kind === 'crud' ? engines.crud : route.kind === 'n8n' ? engines.n8n : undefined
  return factory ? factory(route, deps) : notImplemented(route.operationId)
}

// Who is calling, and may they call this at all: both before the body is parsed or validated, as DRF
// does, so a refused caller learns nothing about the body's rules and nothing is written.
function accessHook(canonical: RouteEntry, route: RouteEntry, { deps, authenticate, authorize }: BindOptions) {
  return async (req: FastifyRequest) => {
    if (route.security === 'required') {
      req.user = await authenticate(req, deps)
    } else if (route.security === 'optional' && req.headers.authorization) {
      // A missing or bad token means anonymous (DECISIONS: public endpoints ignore stale tokens).
      req.user = await authenticate(req, deps).catch(() => null)
    }
    if (authorize) await authorize(canonical, req)
  }
}
