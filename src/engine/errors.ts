// The only place that turns failure reasons into HTTP statuses and bodies (STYLE.md "Errors").
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { classifyDbError, type DbErrorInfo } from '../db/errors.js'

export const REASONS = {
  validation: { status: 400, detail: 'Invalid input.' },
  bad_request: { status: 400, detail: 'Bad request.' },
  not_authenticated: { status: 401, detail: 'Authentication credentials were not provided.' },
  token_not_valid: { status: 401, detail: 'Given token not valid for any token type' },
  bad_credentials: { status: 401, detail: 'Credenciais inválidas' },
  forbidden: { status: 403, detail: 'You do not have permission to perform this action.' },
  not_found: { status: 404, detail: 'Not found.' },
  method_not_allowed: { status: 405, detail: 'Method not allowed.' },
  conflict: { status: 409, detail: 'Conflict.' },
  payload_too_large: { status: 413, detail: 'Request body is too large.' },
  unsupported_media_type: { status: 415, detail: 'Unsupported media type in request.' },
  rate_limited: { status: 429, detail: 'Request was throttled.' },
  internal: { status: 500, detail: 'A server error occurred.' },
  not_implemented: { status: 501, detail: 'Not implemented.' },
  upstream_error: { status: 502, detail: 'Error calling external service.' },
  service_unavailable: { status: 503, detail: 'Service unavailable.' },
  db_unavailable: { status: 503, detail: 'Database unavailable.' },
  upstream_timeout: { status: 504, detail: 'Timeout calling external service.' },
} as const satisfies Record<string, { status: number, detail: string }>

export type Reason = keyof typeof REASONS
export type FieldErrors = Record<string, string[] | Record<string, string[]>>

export interface ApiErrorOptions {
  detail?: string
  /** Replaces the default `{"detail": …}` body where the contract demands another shape. */
  body?: Record<string, unknown>
  headers?: Record<string, string>
  /** Logged, never sent. */
  cause?: unknown
}

export class ApiError extends Error {
  readonly reason: Reason
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(reason: Reason, options: ApiErrorOptions = {}) {
    const detail = options.detail ?? REASONS[reason].detail
    super(detail, { cause: options.cause })
    this.reason = reason
    this.status = REASONS[reason].status
    this.body = options.body ?? { detail }
    this.headers = options.headers ?? {}
  }
}

export const validationError = (fields: FieldErrors) => new ApiError('validation', { body: fields })
export const notFound = (detail = 'Not found.') => new ApiError('not_found', { detail })

// fastify-openapi-glue wraps security handler failures; the last handler's ApiError carries the real answer.
interface SecurityErrorLike { name: string, errors?: unknown[] }

interface AjvIssue { instancePath: string, keyword: string, params: Record<string, any>, message?: string }

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  const err = error as FastifyError & SecurityErrorLike & { validation?: AjvIssue[], validationContext?: string }
  if (err?.name === 'Unauthorized' && Array.isArray(err.errors)) {
    const inner = [...err.errors].reverse().find(e => e instanceof ApiError)
    return (inner as ApiError | undefined) ?? new ApiError('not_authenticated')
  }
  if (err?.validation) return fromValidation(err.validation, err.validationContext)
  const dbError = classifyDbError(error)
  if (dbError) return fromDatabase(dbError, error)
  switch (err?.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', { detail: `Unsupported media type "${mediaTypeOf(err.message)}" in request.` })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError('payload_too_large')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('bad_request', { detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('bad_request', { detail: `JSON parse error - ${err.message}` })
    case 'FST_ERR_RATE_LIMIT_EXCEEDED':
      return new ApiError('rate_limited', { detail: err.message })
  }
  if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) {
    return new ApiError('bad_request', { detail: `JSON parse error - ${err.message}` })
  }
  const status = (err as FastifyError)?.statusCode
  if (status === 429) return new ApiError('rate_limited', { detail: err.message })
  if (status && status >= 400 && status < 500) return new ApiError('bad_request', { detail: err.message })
  return new ApiError('internal', { cause: error })
}

// A database refusal that no engine or handler anticipated is still the caller's input, never a 500.
function fromDatabase(info: DbErrorInfo, cause: unknown): ApiError {
  const field = info.columns?.[0] ?? 'non_field_errors'
  switch (info.kind) {
    case 'unavailable':
    case 'deadlock':
      return new ApiError('db_unavailable', { cause })
    case 'validation':
      return validationError(Object.fromEntries(Object.entries((info.data ?? {}) as Record<string, Array<{ message: string }>>)
        .map(([key, issues]) => [key, issues.map(i => i.message)])))
    case 'unique':
      return validationError({ [field]: [`An object with this ${field} already exists.`] })
    case 'foreign_key':
      return info.direction === 'referenced'
        ? new ApiError('conflict', { detail: 'This object is still referenced by other objects.' })
        : validationError({ [field]: ['The referenced object does not exist.'] })
    case 'client_scope':
      return validationError({ non_field_errors: [info.message] })
    case 'not_null':
      return validationError({ [field]: ['This field may not be null.'] })
    case 'too_long':
      return validationError({ [field]: ['Ensure this field has fewer characters.'] })
    case 'invalid_value':
      return validationError({ [field]: ['Invalid value.'] })
  }
}

function mediaTypeOf(message: string): string {
  return /: (.+)$/.exec(message)?.[1] ?? 'unknown'
}

// AJV issues → DRF's field-map shape. Path parameters that fail validation address no row: 404.
function fromValidation(issues: AjvIssue[], context: string | undefined): ApiError {
  if (context === 'params') return notFound()
  const fields: Record<string, string[]> = {}
  for (const issue of issues) {
    const segments = issue.instancePath.split('/').filter(Boolean)
    if (issue.keyword === 'required') segments.push(String(issue.params.missingProperty))
    if (segments.length === 0) {
      if (issue.keyword === 'type') {
        return validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${drfTypeName(issue)}.`] })
      }
      segments.push('non_field_errors')
    }
    const field = segments[0]
    ;(fields[field] ??= []).push(drfMessage(issue))
  }
  return validationError(fields)
}

function drfTypeName(issue: AjvIssue): string {
  return issue.params.type === 'object' ? 'list' : 'value'
}

function drfMessage(issue: AjvIssue): string {
  const p = issue.params
  switch (issue.keyword) {
    case 'required': return 'This field is required.'
    case 'maxLength': return `Ensure this field has no more than ${p.limit} characters.`
    case 'minLength': return p.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${p.limit} characters.`
    case 'enum': return 'Not a valid choice.'
    case 'maxItems': return `Ensure this field has no more than ${p.limit} elements.`
    case 'minItems': return 'This list may not be empty.'
    case 'maximum': return `Ensure this value is less than or equal to ${p.limit}.`
    case 'minimum': return `Ensure this value is greater than or equal to ${p.limit}.`
    case 'format':
      if (p.format === 'email') return 'Enter a valid email address.'
      if (p.format === 'uuid') return 'Must be a valid UUID.'
      return `Enter a valid ${p.format}.`
    case 'pattern': return 'This value does not match the required pattern.'
    case 'type':
      if (p.type === 'string') return 'Not a valid string.'
      if (p.type === 'integer') return 'A valid integer is required.'
      if (p.type === 'boolean') return 'Must be a valid boolean.'
      if (p.type === 'array') return 'Expected a list of items.'
      if (p.type === 'object') return 'Expected an object.'
      return 'Invalid value.'
    default: return issue.message ?? 'Invalid value.'
  }
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const apiError = toApiError(error)
  if (apiError.status >= 500) {
    request.log.error({ err: apiError.cause ?? error, reason: apiError.reason }, 'request failed')
  }
  return reply
    .code(apiError.status)
    .headers(apiError.headers)
    .type('application/json; charset=utf-8')
    .send(apiError.body)
}
