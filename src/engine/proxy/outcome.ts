// Upstream outcome -> success or ApiError (knowledge-bases §4.2 as amended by DECISIONS 23, 24, 28, 29).
// Never a 200 for an upstream error; never an upstream host, body text or key in an answer.
import type { FastifyBaseLogger } from 'fastify'
import { ApiError } from '../errors.js'
import type { Outcome } from './upstream.js'

export interface Success { ok: true, status: number, json: unknown }
export interface Failure { ok: false, error: ApiError }
export type Interpreted = Success | Failure

export interface InterpretOptions {
  operationId: string
  step: string
  webhook: string
  /** Answer for an empty 2xx body (DECISIONS 28: an empty file list); otherwise an empty body is a 502. */
  empty: Record<string, unknown> | null
  log: FastifyBaseLogger
}

const GENERIC = 'Error calling external service.'

/** DECISIONS 23: n8n's `reason` decides the status. */
export function statusForReason(reason: string): 400 | 404 | 409 | 502 {
  const r = reason.toLowerCase()
  if (r.includes('does not exist')) return 404
  if (r.includes('already exists') || r.includes('already indexed')) return 409
  if (r.includes('invalid input') || r.includes('invalid file input')) return 400
  return 502
}

const REASON_BY_STATUS = { 400: 'validation', 404: 'not_found', 409: 'conflict', 502: 'upstream_error' } as const

export function softError(reason: string): ApiError {
  const status = statusForReason(reason)
  // Keep n8n's status and reason, add detail (the UI shows `detail`).
  return new ApiError(REASON_BY_STATUS[status], { detail: reason, body: { status: 'error', reason, detail: reason } })
}

export function interpret(outcome: Outcome, opts: InterpretOptions): Interpreted {
  const where = { operationId: opts.operationId, step: opts.step, webhook: opts.webhook }
  switch (outcome.kind) {
    case 'timeout':
      opts.log.warn(where, 'n8n did not answer within the deadline')
      return fail(new ApiError('upstream_timeout'))
    case 'transport':
      opts.log.error({ ...where, code: outcome.code }, 'n8n call failed')
      return fail(new ApiError('upstream_error'))
    case 'too-large':
      return fail(new ApiError('payload_too_large', { detail: 'The file is larger than the upload limit.' }))
    case 'upload-failed':
      return fail(new ApiError('bad_request', { detail: 'The upload was interrupted.' }))
  }
  const { status, json, isJson } = outcome
  const reason = errorReason(json)
  if (status === 401 || status === 403) {
    // DECISIONS 24: n8n refusing our key is our misconfiguration, not "no access" for the caller.
    opts.log.error({ ...where, status }, 'n8n refused the request (check N8N_KB_KEY)')
    return fail(new ApiError('upstream_error'))
  }
  if (status >= 200 && status < 300) {
    if (!isJson) {
      if (outcome.text.trim() === '' && opts.empty) return { ok: true, status, json: structuredClone(opts.empty) }
      opts.log.error({ ...where, status }, 'n8n answered a non-JSON body')
      return fail(new ApiError('upstream_error'))
    }
    if (reason !== null) return softFailure(reason, status, where, opts.log)
    return { ok: true, status, json }
  }
  if (reason !== null && status < 600) return softFailure(reason, status, where, opts.log)
  opts.log.error({ ...where, status, json: isJson }, 'n8n answered an error')
  return fail(new ApiError('upstream_error'))
}

function softFailure(reason: string, status: number, where: object, log: FastifyBaseLogger): Failure {
  const error = softError(reason)
  // 5xx from n8n is never the caller's fault (DECISIONS 23: any 5xx → 502), whatever the reason says.
  if (status >= 500 && error.status !== 502) {
    log.error({ ...where, status }, 'n8n failed')
    return fail(new ApiError('upstream_error', { detail: reason, body: { status: 'error', reason, detail: reason } }))
  }
  if (error.status === 502) log.error({ ...where, status, reason }, 'n8n reported an error')
  return fail(error)
}

/** `{"status": "error", "reason": "..."}` → the reason; anything else → null. */
function errorReason(json: unknown): string | null {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return null
  const body = json as Record<string, unknown>
  if (body.status !== 'error') return null
  return typeof body.reason === 'string' && body.reason !== '' ? body.reason : GENERIC
}

function fail(error: ApiError): Failure {
  return { ok: false, error }
}
