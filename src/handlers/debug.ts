// Debug endpoints (auth-and-users §5.16): served only with ENABLE_DEBUG_ENDPOINTS=1, never in production
// (loadConfig refuses that pair), and to administrators only (DECISIONS Roles). /debug/token/ is not served.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { Handler } from '../../generated/handlers.js'
import { routes } from '../../generated/routes.js'
import { TokenError, verifyToken, type Claims, type TokenType } from '../auth/tokens.js'
import type { Config } from '../config.js'
import { ApiError } from '../engine/errors.js'
import type { RouteEntry } from '../engine/route-table.js'

/**
 * When debug endpoints are off, every route of the `debug` tag answers 404 before anything else runs, so
 * neither a 401 nor a 403 reveals that it exists.
 */
export function gateDebugRoutes(app: FastifyInstance, config: Config): void {
  if (config.debugEndpoints) return
  app.addHook('onRoute', route => {
    const operationId = route.config?.operationId
    const entry = operationId ? (routes as Record<string, RouteEntry>)[operationId] : undefined
    if (entry?.tag !== 'debug') return
    const existing = route.onRequest
    route.onRequest = [hidden, ...(Array.isArray(existing) ? existing : existing ? [existing] : [])] as RouteOptions['onRequest']
  })
}

async function hidden(_req: FastifyRequest): Promise<void> {
  throw new ApiError('not_found')
}

export const checkToken: Handler<'checkToken'> = async ({ body, user, deps }) => {
  // The policy guard refuses non-admins already; checked here too, so the rule holds without it.
  if (!user?.isAdmin()) throw new ApiError('forbidden')
  const token = typeof body?.token === 'string' ? body.token.trim() : ''
  if (!token) throw new ApiError('bad_request', { detail: 'token required' })
  // As the original: an access token first, then a refresh token (which includes the blacklist check).
  const access = await attempt(token, 'access', deps)
  if ('claims' in access) return { status: 200, body: { type: 'access', payload: access.claims } }
  const refresh = await attempt(token, 'refresh', deps)
  if ('claims' in refresh) return { status: 200, body: { type: 'refresh', payload: refresh.claims } }
  throw new ApiError('bad_request', {
    body: { detail: 'invalid', access_error: access.error, refresh_error: refresh.error },
  })
}

async function attempt(token: string, type: TokenType, deps: Parameters<typeof verifyToken>[2]): Promise<{ claims: Claims } | { error: string }> {
  try {
    return { claims: await verifyToken(token, type, deps) }
  } catch (err) {
    if (err instanceof TokenError) return { error: err.message }
    throw err
  }
}
