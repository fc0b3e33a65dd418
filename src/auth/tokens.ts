// simplejwt 5.5-compatible HS256 token pairs (auth-and-users §2): issue, verify, rotate, blacklist.
// All state lives in the two token tables, so any number of processes sharing the database agree.
import { randomUUID } from 'node:crypto'
import { compactVerify, SignJWT } from 'jose'
import type { Knex } from 'knex'
import type { Config } from '../config.js'
import { toHex, toUuid } from '../db/ids.js'
import { normalizeDbDate, toDbDateTime } from '../db/time.js'

export const ACCESS_LIFETIME_S = 2 * 60 * 60
export const REFRESH_LIFETIME_S = 24 * 60 * 60
export const LEEWAY_S = 30
const ALGORITHM = 'HS256'

const OUTSTANDING = 'token_blacklist_outstandingtoken'
const BLACKLISTED = 'token_blacklist_blacklistedtoken'
const USERS = 'authentication_userprofile'

export type TokenType = 'access' | 'refresh'
export type Claims = Record<string, unknown>
export interface TokenPair { access: string, refresh: string }

/**
 * What the token layer needs: the signing key and the database. `Deps` satisfies it. The original signs with
 * JWT_SIGNING_KEY when set, else SECRET_KEY (§2.1): a config that carries `jwtSigningKey` is honoured.
 */
export interface TokenDeps { config: Pick<Config, 'secretKey'> & { jwtSigningKey?: string | null }, knex: Knex }

/** The user columns that enriched claims snapshot (authentication_userprofile, ids as 32 hex). */
export interface TokenUser {
  id: string
  full_name?: string | null
  email: string
  username: string
  job_title?: string | null
  department?: string | null
  first_name?: string | null
  role: string
  is_active: boolean | number
  avatar?: string | null
  joined_at?: unknown
  is_superuser: boolean | number
  is_staff: boolean | number
}

/** A token refused by §2.4 (or by the user checks of rotation); `message` is the reason text R verbatim. */
export class TokenError extends Error {
  override name = 'TokenError'
}

export const REASON = {
  invalid: 'Token is invalid',
  expired: 'Token is expired',
  blacklisted: 'Token is blacklisted',
  noExp: "Token has no 'exp' claim",
  noId: 'Token has no id',
  noType: 'Token has no type',
  wrongType: 'Token has wrong type',
  // New reasons (English, DECISIONS 9): refresh refuses inactive and deleted users (DECISIONS 1).
  userNotFound: 'User not found',
  userInactive: 'User is inactive',
} as const

const keyCache = new WeakMap<object, Promise<CryptoKey>>()
function keyOf(deps: TokenDeps): Promise<CryptoKey> {
  let key = keyCache.get(deps.config)
  if (!key) {
    // PyJWT signs with the UTF-8 bytes of a str key: same bytes here, so both systems accept each other's tokens.
    // Imported once: given raw bytes, jose imports a CryptoKey on every sign/verify (bench: 197 → 86 µs a verify).
    const bytes = new TextEncoder().encode(deps.config.jwtSigningKey || deps.config.secretKey)
    key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keyCache.set(deps.config, key)
  }
  return key
}

const nowSeconds = () => Math.floor(Date.now() / 1000)
const newJti = () => randomUUID().replace(/-/g, '')

async function sign(payload: Claims, deps: TokenDeps): Promise<string> {
  // The payload object is serialised in insertion order: claims come out in simplejwt's order.
  return new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).sign(await keyOf(deps))
}

/** Django's FieldFile.url with MEDIA_URL unset: '/' + the stored path, URI-quoted like `filepath_to_uri`. */
export function mediaPath(stored: string | null | undefined): string | null {
  if (!stored) return null // NULL (seed) and '' (ORM) both mean "no file" (database.md §1.7)
  const quoted = stored.replace(/\\/g, '/').split('').map(ch => (/[A-Za-z0-9_.\-~/!*()']/.test(ch) ? ch : encodeURIComponent(ch))).join('')
  return `/${quoted}`
}

/** The custom claims of an enriched pair, in the original's order (§2.2). */
export function userClaims(user: TokenUser): Claims {
  const id = toUuid(user.id)
  return {
    id,
    full_name: user.full_name ?? '',
    email: user.email,
    username: user.username,
    job_title: user.job_title ?? '',
    department: user.department ?? '',
    first_name: user.first_name ?? '',
    role: user.role,
    is_active: Boolean(user.is_active),
    avatar: mediaPath(user.avatar),
    status: null, // the column was dropped (database.md §3.1); the claim stays, always null
    joined_at: normalizeDbDate(user.joined_at),
    is_superuser: Boolean(user.is_superuser),
    is_staff: Boolean(user.is_staff),
  }
}

/** Access token built from a refresh payload the way simplejwt's `RefreshToken.access_token` does. */
async function accessFrom(refreshPayload: Claims, now: number, deps: TokenDeps): Promise<string> {
  const access: Claims = { token_type: 'access', exp: now + ACCESS_LIFETIME_S, iat: now, jti: newJti() }
  // Everything except token_type/exp/jti is copied, iat included: a refreshed access token keeps the
  // refresh token's iat (§2.2), and keys already present keep their position.
  for (const [claim, value] of Object.entries(refreshPayload)) {
    if (claim === 'token_type' || claim === 'exp' || claim === 'jti') continue
    access[claim] = value
  }
  return sign(access, deps)
}

async function issue(user: TokenUser, extra: Claims, deps: TokenDeps, db: Knex | Knex.Transaction = deps.knex): Promise<TokenPair> {
  const nowMs = Date.now()
  const now = Math.floor(nowMs / 1000)
  const base: Claims = { token_type: 'refresh', exp: now + REFRESH_LIFETIME_S, iat: now, jti: newJti(), user_id: toUuid(user.id) }
  const refreshPayload: Claims = { ...base, ...extra }
  const [access, refresh, recorded] = await Promise.all([
    accessFrom(refreshPayload, now, deps),
    sign(refreshPayload, deps),
    sign(base, deps), // simplejwt records the token text before the custom claims are added (§2.5)
  ])
  await db(OUTSTANDING).insert({
    token: recorded,
    created_at: toDbDateTime(nowMs),
    expires_at: toDbDateTime((now + REFRESH_LIFETIME_S) * 1000),
    user_id: toHex(user.id),
    jti: base.jti,
  })
  return { access, refresh }
}

/** Enriched pair (login, register): §2.2 claims in order, one outstanding-token row for the refresh token. */
export function issuePair(user: TokenUser, deps: TokenDeps, db?: Knex | Knex.Transaction): Promise<TokenPair> {
  return issue(user, userClaims(user), deps, db)
}

/** Bare pair (login-as): token_type, exp, iat, jti, user_id, then `extraClaims` (e.g. an impersonator). */
export function issueBarePair(user: TokenUser, deps: TokenDeps, extraClaims: Claims = {}, db?: Knex | Knex.Transaction): Promise<TokenPair> {
  return issue(user, extraClaims, deps, db)
}

// PyJWT's int(claim): numbers (truncated); anything else makes the token invalid.
function intClaim(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value)
  throw new TokenError(REASON.invalid)
}

/** Signature and time checks of PyJWT with simplejwt's options (HS256 only, 30 s leeway). */
export async function decodeToken(token: unknown, deps: TokenDeps, now = nowSeconds()): Promise<Claims> {
  if (typeof token !== 'string' || token === '' || token.length > 16_384) throw new TokenError(REASON.invalid)
  let payloadBytes: Uint8Array
  try {
    ;({ payload: payloadBytes } = await compactVerify(token, await keyOf(deps), { algorithms: [ALGORITHM] }))
  } catch {
    throw new TokenError(REASON.invalid) // not a JWT, bad signature, other algorithm
  }
  let payload: unknown
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes))
  } catch {
    throw new TokenError(REASON.invalid)
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new TokenError(REASON.invalid)
  const claims = payload as Claims
  // PyJWT order: iat, nbf, exp. A token from the future is invalid, not expired.
  if ('iat' in claims && intClaim(claims.iat) > now + LEEWAY_S) throw new TokenError(REASON.invalid)
  if ('nbf' in claims && intClaim(claims.nbf) > now + LEEWAY_S) throw new TokenError(REASON.invalid)
  if ('exp' in claims && intClaim(claims.exp) <= now - LEEWAY_S) throw new TokenError(REASON.expired)
  return claims
}

const jtiKey = (jti: unknown) => (typeof jti === 'string' ? jti : JSON.stringify(jti))

/** A token is blacklisted iff a blacklisted row exists for an outstanding row with its jti (§2.5). */
export async function isBlacklisted(jti: unknown, deps: TokenDeps, db: Knex | Knex.Transaction = deps.knex): Promise<boolean> {
  const row = await db(BLACKLISTED)
    .join(OUTSTANDING, `${OUTSTANDING}.id`, `${BLACKLISTED}.token_id`)
    .where(`${OUTSTANDING}.jti`, jtiKey(jti))
    .first(`${BLACKLISTED}.id`)
  return row !== undefined
}

/**
 * Validates a token in simplejwt's order (§2.4) and returns its claims, or throws TokenError with reason R.
 * `expectedType` null = untyped (verify-token: neither the type nor the blacklist is checked here).
 * Refresh tokens are checked against the blacklist, access tokens never are.
 */
export async function verifyToken(token: unknown, expectedType: TokenType | null, deps: TokenDeps): Promise<Claims> {
  const claims = await decodeToken(token, deps)
  if (expectedType === 'refresh' && 'jti' in claims && await isBlacklisted(claims.jti, deps)) {
    throw new TokenError(REASON.blacklisted)
  }
  if (!('exp' in claims)) throw new TokenError(REASON.noExp)
  if (!('jti' in claims)) throw new TokenError(REASON.noId)
  if (expectedType !== null) {
    if (!('token_type' in claims)) throw new TokenError(REASON.noType)
    if (claims.token_type !== expectedType) throw new TokenError(REASON.wrongType)
  }
  return claims
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string, errno?: number }
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** Get-or-create of the outstanding row by jti (user NULL when it no longer exists), as simplejwt's blacklist(). */
async function outstandingId(trx: Knex.Transaction, token: string, claims: Claims): Promise<number> {
  const jti = jtiKey(claims.jti)
  const existing = await trx(OUTSTANDING).where({ jti }).first('id')
  if (existing) return Number(existing.id)
  const userHex = toHex(claims.user_id)
  const user = userHex ? await trx(USERS).where({ id: userHex }).first('id') : undefined
  const exp = intClaim(claims.exp)
  try {
    await trx(OUTSTANDING).insert({
      token,
      created_at: toDbDateTime(Date.now()),
      expires_at: toDbDateTime(exp * 1000),
      user_id: user ? userHex : null,
      jti,
    })
  } catch (err) {
    if (!isUniqueViolation(err)) throw err // a concurrent request recorded it first
  }
  const row = await trx(OUTSTANDING).where({ jti }).first('id')
  return Number(row.id)
}

/**
 * Blacklists a verified refresh token. Returns false when it was already blacklisted: the unique key on
 * token_id makes exactly one of two concurrent callers win, even across processes.
 */
async function addToBlacklist(trx: Knex.Transaction, token: string, claims: Claims): Promise<boolean> {
  const tokenId = await outstandingId(trx, token, claims)
  if (await trx(BLACKLISTED).where({ token_id: tokenId }).first('id')) return false
  try {
    await trx(BLACKLISTED).insert({ token_id: tokenId, blacklisted_at: toDbDateTime(Date.now()) })
    return true
  } catch (err) {
    if (isUniqueViolation(err)) return false
    throw err
  }
}

/**
 * Refresh with rotation (§5.3, DECISIONS 1): verifies the refresh token, refuses deleted or inactive users,
 * blacklists the token and returns a new pair built from its claims (the user is not re-read for claims).
 * The new refresh token is recorded as outstanding too, so a password change can revoke it (revokeUserTokens).
 */
export async function rotate(refreshToken: unknown, deps: TokenDeps): Promise<TokenPair> {
  const claims = await verifyToken(refreshToken, 'refresh', deps)
  return deps.knex.transaction(async trx => {
    const userHex = toHex(claims.user_id)
    const user = userHex ? await trx(USERS).where({ id: userHex }).first('id', 'is_active') : undefined
    if (!user) throw new TokenError(REASON.userNotFound)
    if (!isTrue(user.is_active)) throw new TokenError(REASON.userInactive)
    if (!await addToBlacklist(trx, refreshToken as string, claims)) throw new TokenError(REASON.blacklisted)

    const nowMs = Date.now()
    const now = Math.floor(nowMs / 1000)
    // Same key order as the presented token; only jti, exp and iat change (simplejwt set_jti/set_exp/set_iat).
    const next: Claims = { ...claims, jti: newJti(), exp: now + REFRESH_LIFETIME_S, iat: now }
    const access = await accessFrom(claims, now, deps) // built from the presented token, as simplejwt does
    const refresh = await sign(next, deps)
    await trx(OUTSTANDING).insert({
      token: refresh,
      created_at: toDbDateTime(nowMs),
      expires_at: toDbDateTime((now + REFRESH_LIFETIME_S) * 1000),
      user_id: userHex,
      jti: next.jti,
    })
    return { access, refresh }
  })
}

/** Logout (§5.4): verifies the refresh token and blacklists it. Throws TokenError when it is not a usable refresh token. */
export async function blacklist(refreshToken: unknown, deps: TokenDeps): Promise<void> {
  const claims = await verifyToken(refreshToken, 'refresh', deps)
  const added = await deps.knex.transaction(trx => addToBlacklist(trx, refreshToken as string, claims))
  if (!added) throw new TokenError(REASON.blacklisted)
}

/**
 * Blacklists every unexpired, not yet blacklisted refresh token recorded for the user (password change).
 * Access tokens stay valid until they expire (§2.5). Returns how many were revoked.
 */
export async function revokeUserTokens(userId: string, deps: TokenDeps, db: Knex | Knex.Transaction = deps.knex): Promise<number> {
  const userHex = toHex(userId)
  if (!userHex) return 0
  const rows: Array<{ id: number }> = await db(OUTSTANDING)
    .where(`${OUTSTANDING}.user_id`, userHex)
    .where(`${OUTSTANDING}.expires_at`, '>', toDbDateTime(Date.now() - LEEWAY_S * 1000))
    .whereNotExists(q => q.select(db.raw('1')).from(BLACKLISTED).whereRaw('??.token_id = ??.id', [BLACKLISTED, OUTSTANDING]))
    .select(`${OUTSTANDING}.id`)
  if (rows.length === 0) return 0
  const at = toDbDateTime(Date.now())
  let revoked = 0
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200).map(r => ({ token_id: Number(r.id), blacklisted_at: at }))
    try {
      await db(BLACKLISTED).insert(chunk)
      revoked += chunk.length
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      for (const row of chunk) {
        try { await db(BLACKLISTED).insert(row); revoked++ } catch (e) { if (!isUniqueViolation(e)) throw e }
      }
    }
  }
  return revoked
}

function isTrue(v: unknown): boolean {
  return v === true || v === 1 || v === '1'
}
