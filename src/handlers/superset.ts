// Superset guest token (resources §7.6, DECISIONS 20): any signed-in user, any dashboard id.
import type { Handler } from '../../generated/handlers.js'
import { ApiError } from '../engine/errors.js'
import { fetchGuestToken, SupersetError } from '../services/superset.js'

export const createGuestToken: Handler<'createGuestToken'> = async ({ body, deps, req }) => {
  const dashId = typeof body?.dashId === 'string' ? body.dashId.trim() : ''
  if (!dashId) throw new ApiError('bad_request', { detail: 'dashId is required.' })
  try {
    const answer = await fetchGuestToken(deps.config.superset, dashId)
    return { status: 200, body: answer as { token: string } }
  } catch (err) {
    if (!(err instanceof SupersetError)) throw err
    // The step and Superset's status help an operator; the client learns only that the upstream failed.
    req.log.warn({ step: err.step, failure: err.kind, upstreamStatus: err.upstreamStatus }, 'superset guest token failed')
    if (err.kind === 'not_configured') throw new ApiError('service_unavailable', { detail: 'Superset is not configured.' })
    throw new ApiError(err.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error')
  }
}
