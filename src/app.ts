// Builds the fastify instance: openapi.yaml routes through fastify-openapi-glue, auth, error map, CORS, docs.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import cors from '@fastify/cors'
import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import Fastify, { type FastifyInstance } from 'fastify'
import openapiGlue from 'fastify-openapi-glue'
import type { Knex } from 'knex'
import { parse } from 'yaml'
import { listOperations } from '../codegen/spec.js'
import { routes } from '../generated/routes.js'
import { authenticateRequest } from './auth/authenticate.js'
import type { Config } from './config.js'
import type { Deps } from './deps.js'
import { registerDocs } from './docs.js'
import { ApiError, sendError } from './engine/errors.js'
import { bindGeneric, crudEngine, modelsFromSpec } from './engine/crud/index.js'
import { createOperationResolver, type Engines, type Guard } from './engine/operations.js'
import { closeUpstreamPools, proxyEngine } from './engine/proxy/index.js'
import { authorizeOperation, loadPolicies } from './engine/policy/index.js'
import type { RouteEntry } from './engine/route-table.js'
import { gateDebugRoutes } from './handlers/debug.js'
import { loggerOptions } from './logger.js'
import { settleBackgroundWork } from './services/mailer.js'
import { bindModels, type User } from './models/index.js'
import { registerRateLimits } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyRequest { user: User | null }
}

export const SPEC_FILE = fileURLToPath(new URL('../openapi.yaml', import.meta.url))
export const POLICIES_DIR = fileURLToPath(new URL('../policies', import.meta.url))

export interface BuildOptions {
  config: Config
  knex: Knex
  /** false silences logs (tests); otherwise pino JSON at config.logLevel, to stdout or the given stream. */
  logger?: boolean
  logStream?: NodeJS.WritableStream
  engines?: Engines
  authorize?: Guard
  /** policies/*.yaml directory (default: the repository's policies/). */
  policiesDir?: string
  /**
   * Another OpenAPI document instead of openapi.yaml (the generality test: test/fixtures/second-spec). Its route
   * table is read at run time, and models its x-crud blocks define with `table:` are built generically.
   */
  specFile?: string
}

export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, knex } = options
  const app = Fastify({
    logger: options.logger === false ? false : { ...loggerOptions(config.logLevel), stream: options.logStream },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false, formats: { binary: true } } },
  })
  const specText = readFileSync(options.specFile ?? SPEC_FILE, 'utf8')
  const spec = parse(specText)
  const registry = bindModels(knex)
  const models = { ...registry, ...bindGeneric(modelsFromSpec(spec, registry), knex) } as typeof registry
  const routeTable = options.specFile ? Object.fromEntries(listOperations(spec).map(o => [o.operationId, o as RouteEntry])) : undefined
  const policies = loadPolicies(options.policiesDir ?? POLICIES_DIR, models, { displayDir: 'policies' })
  const deps: Deps = { config, knex, models, log: app.log, policies }

  app.decorateRequest('user', null)
  // On close (graceful shutdown): mail sent after the reply is finished, idle n8n connections are closed.
  app.addHook('onClose', async () => {
    await settleBackgroundWork()
    await closeUpstreamPools()
  })
  // Responses are plain JSON.stringify: a response schema documents, it never silently drops a field.
  app.setSerializerCompiler(() => data => JSON.stringify(data))
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply))
  const known = routeMatchers(Object.values((routeTable ?? routes) as Record<string, RouteEntry>))
  app.setNotFoundHandler((request, reply) => sendError(notFoundOrNotAllowed(known, request.method, request.url), request, reply))

  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
    methods: ['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
    allowedHeaders: ['accept', 'authorization', 'content-type', 'user-agent', 'x-csrftoken', 'x-requested-with'],
    maxAge: 86400,
  })
  // The contract accepts JSON, form and multipart bodies only; anything else is a 415.
  app.removeContentTypeParser('text/plain')
  await app.register(formbody)
  await app.register(multipart, { limits: { fileSize: 2 * 1024 * 1024 } })
  // Both act on routes as they are added, so they come before the routes.
  await registerRateLimits(app, config)
  gateDebugRoutes(app, config)

  await app.register(openapiGlue, {
    specification: servedSpec(spec),
    operationResolver: createOperationResolver({
      deps,
      routes: routeTable,
      engines: { crud: crudEngine, n8n: proxyEngine, ...options.engines },
      authenticate: authenticateRequest,
      authorize: options.authorize ?? authorizeOperation(policies),
    }),
  })
  await registerDocs(app, spec, specText)
  return app
}

// What the glue binds: docs routes are declared in openapi.yaml (so they are documented) but served by the
// docs plugins; responses only document (the serializer is JSON.stringify), and handing them over would make
// the glue look for request parsers of response types such as image/png and warn at every start.
const DOCUMENTED_ELSEWHERE = { default: { description: 'See openapi.yaml.' } }
function servedSpec(spec: Record<string, any>) {
  const withoutResponses = (item: Record<string, any>) => Object.fromEntries(Object.entries(item).map(([key, op]) =>
    [key, op && typeof op === 'object' && 'responses' in op ? { ...op, responses: DOCUMENTED_ELSEWHERE } : op]))
  const paths = Object.fromEntries(Object.entries(spec.paths as Record<string, Record<string, any>>)
    .filter(([path]) => !documentationPaths.has(path))
    .map(([path, item]) => [path, withoutResponses(item)]))
  return { ...spec, paths }
}

const routeList = Object.values(routes as Record<string, RouteEntry>)
const documentationPaths = new Set(routeList.filter(r => r.kind === 'docs').map(r => r.path))
function routeMatchers(list: RouteEntry[]) {
  const matchers = [...new Set(list.map(r => r.path))].map(path => ({
    path,
    pattern: new RegExp(`^${path.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  }))
  return { list, matchers }
}

// A known path with another method answers 405 with Allow, like DRF; anything else is a JSON 404.
function notFoundOrNotAllowed(known: ReturnType<typeof routeMatchers>, method: string, url: string): ApiError {
  const path = url.split('?')[0]
  const match = known.matchers.find(m => m.pattern.test(path))
  if (!match) return new ApiError('not_found')
  const onPath = known.list.filter(r => r.path === match.path)
  const allowed = onPath.map(r => r.method)
  if (onPath.some(r => r.head)) allowed.push('HEAD')
  return new ApiError('method_not_allowed', {
    detail: `Method "${method}" not allowed.`,
    headers: { allow: [...new Set([...allowed, 'OPTIONS'])].join(', ') },
  })
}
