// Authorization header -> current user (auth-and-users §1.4, mode jwt), with the 401 bodies of simplejwt.
// DECISIONS: no fallback by e-mail/username claims (§12.5), inactive or deleted users get 401 everywhere,
// and the role is whatever the database says, never a claim.
import type { FastifyRequest } from 'fastify'
import { toHex } from '../db/ids.js'
import type { Deps } from '../deps.js'
import { ApiError } from '../engine/errors.js'
import type { User } from '../models/index.js'
import { TokenError, verifyToken, type TokenDeps } from './tokens.js'

export const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="api"' }

type AuthDeps = TokenDeps & Pick<Deps, 'models'>

/** The bearer token of an Authorization header; null = no credentials; throws for a malformed `Bearer` header. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null
  // simplejwt splits the header bytes on ASCII whitespace; the scheme is compared case-sensitively.
  const parts = header.split(/[ \t\n\r\v\f]+/).filter(Boolean)
  if (parts.length === 0 || parts[0] !== 'Bearer') return null
  if (parts.length !== 2) {
    throw unauthorized('token_not_valid', {
      detail: 'Authorization header must contain two space-delimited values',
      code: 'bad_authorization_header',
    })
  }
  return parts[1]
}

function unauthorized(reason: 'not_authenticated' | 'token_not_valid', body: Record<string, unknown>): ApiError {
  return new ApiError(reason, { detail: String(body.detail), body, headers: WWW_AUTHENTICATE })
}

/** The user an access token names, or an ApiError carrying the simplejwt 401 body. */
export async function userFromAccessToken(token: string, deps: AuthDeps): Promise<User> {
  let claims: Record<string, unknown>
  try {
    claims = await verifyToken(token, 'access', deps)
  } catch (err) {
    if (!(err instanceof TokenError)) throw err
    throw unauthorized('token_not_valid', {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: err.message }],
    })
  }
  if (!('user_id' in claims)) {
    throw unauthorized('token_not_valid', { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' })
  }
  // A user_id that is not a UUID cannot name a row (the original crashed with a 500 here).
  const id = toHex(claims.user_id)
  const user = id ? await deps.models.User.readById(id) : undefined
  if (!user) throw unauthorized('token_not_valid', { detail: 'User not found', code: 'user_not_found' })
  if (!user.is_active) throw unauthorized('token_not_valid', { detail: 'User is inactive', code: 'user_inactive' })
  return user
}

/**
 * Authenticates a request from its Authorization header. Throws ApiError 'not_authenticated' when there are
 * no credentials (no header, or another scheme) and 'token_not_valid' for every other refusal; all carry
 * `WWW-Authenticate: Bearer realm="api"`.
 */
export async function authenticateRequest(req: FastifyRequest, deps: AuthDeps): Promise<User> {
  const token = bearerToken(req.headers.authorization)
  if (token === null) throw unauthorized('not_authenticated', { detail: 'Authentication credentials were not provided.' })
  return userFromAccessToken(token, deps)
}
