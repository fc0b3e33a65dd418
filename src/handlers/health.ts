// Liveness and database checks (auth-and-users §5.17). Public: the Authorization header plays no part.
import type { Handler } from '../../generated/handlers.js'
import { ApiError } from '../engine/errors.js'

// A hung database must not hang the probe: answer 503 after this long.
const DB_CHECK_TIMEOUT_MS = 5000

export const getHealth: Handler<'getHealth'> = async () => ({ status: 200, body: { status: 'ok' } })

export const getRootHealth: Handler<'getRootHealth'> = async () => ({ status: 200, body: { status: 'ok' } })

export const getHealthDb: Handler<'getHealthDb'> = async ({ deps }) => {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      deps.knex.raw('SELECT 1'),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('database check timed out')), DB_CHECK_TIMEOUT_MS) }),
    ])
  } catch (err) {
    // The driver's message can name hosts or users (STYLE: not in bodies or logs): only its error code is logged.
    deps.log.warn({ code: (err as { code?: string }).code ?? 'UNKNOWN' }, 'health/db: database unavailable')
    throw new ApiError('db_unavailable', { body: { status: 'error', db: 'down', detail: 'Database unavailable.' } })
  } finally {
    clearTimeout(timer)
  }
  return { status: 200, body: { status: 'ok', db: 'ok', latency_ms: Math.trunc(performance.now() - started) } }
}
