// Custom handlers of the auth tag: login, register, refresh, logout, verify-token, me, me/update
// (auth-and-users §5.1–§5.7 with the fixes of §12 and DECISIONS 1, 4, 8 and Roles).
import type { Knex } from 'knex'
import type { Handler } from '../../generated/handlers.js'
import { WWW_AUTHENTICATE } from '../auth/authenticate.js'
import { discardAvatar, extensionFor, INVALID_IMAGE, MAX_AVATAR_BYTES, sniffImage, storeAvatar } from '../auth/avatar.js'
import { isValidEmail, normalizeEmail } from '../auth/email.js'
import { passwordProblems } from '../auth/password-rules.js'
import { hashPassword, verifyPassword } from '../auth/passwords.js'
import { blacklist, isBlacklisted, issuePair, revokeUserTokens, rotate, TokenError, verifyToken as checkToken } from '../auth/tokens.js'
import { profileOf, updatedProfileOf } from '../auth/user-view.js'
import { dialectOf } from '../db/connection.js'
import { toUuid } from '../db/ids.js'
import type { Deps } from '../deps.js'
import { ApiError, validationError } from '../engine/errors.js'
import type { UploadedFile } from '../engine/multipart.js'
import { ROLES, type User } from '../models/index.js'

type FieldMap = Record<string, string[]>
type Body = Record<string, unknown>

const asBody = (body: unknown): Body => (body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Body : {})

const MSG = {
  required: 'This field is required.',
  blank: 'This field may not be blank.',
  isNull: 'This field may not be null.',
  notString: 'Not a valid string.',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
}

interface CharOptions { required?: boolean, maxLength?: number, trim?: boolean }
type CharResult = { value: string } | { errors: string[] } | { absent: true }

/** DRF CharField: required/null/type checks, trimming, no blanks, max length in code points. */
function charField(raw: unknown, { required = true, maxLength, trim = true }: CharOptions = {}): CharResult {
  if (raw === undefined) return required ? { errors: [MSG.required] } : { absent: true }
  if (raw === null) return { errors: [MSG.isNull] }
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw)
  if (typeof raw !== 'string') return { errors: [MSG.notString] }
  const value = trim ? raw.trim() : raw
  if (value === '') return { errors: [MSG.blank] }
  const errors: string[] = []
  if (maxLength !== undefined && [...value].length > maxLength) errors.push(MSG.maxLength(maxLength))
  // DRF's ProhibitNullCharactersValidator and ProhibitSurrogateCharactersValidator: such text never reaches SQL.
  if (value.includes('\0')) errors.push('Null characters are not allowed.')
  const surrogate = LONE_SURROGATE.exec(value)
  if (surrogate) errors.push(`Surrogate characters are not allowed: U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()}.`)
  return errors.length > 0 ? { errors } : { value }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Django normalises usernames with NFKC, which can lengthen them: the column limit applies to the result. */
function normalizedUsername(errors: FieldMap, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const normalized = value.normalize('NFKC')
  if ([...normalized].length > 150) {
    errors.username = [MSG.maxLength(150)]
    return undefined
  }
  return normalized
}

/** Runs a field, records its errors under `name`, returns its value (undefined when absent or failing). */
function take(errors: FieldMap, name: string, result: CharResult): string | undefined {
  if ('errors' in result) {
    errors[name] = result.errors
    return undefined
  }
  return 'value' in result ? result.value : undefined
}

const badCredentials = () => new ApiError('bad_credentials', { detail: 'Credenciais inválidas' })

/** Case-insensitive lookup by one unique column (MySQL collation / SQLite NOCASE); ambiguity means no match. */
async function findUserBy(deps: Deps, column: 'email' | 'username', value: string): Promise<User | undefined> {
  const rows = await deps.models.User.query().where(column, value).limit(2)
  if (rows.length <= 1) return rows[0]
  return rows.find(r => r[column] === value)
}

// ── POST /api/login/ ──
export const login: Handler<'login'> = async ({ body, deps }) => {
  const data = asBody(body)
  const errors: FieldMap = {}
  const email = take(errors, 'email', charField(data.email, { required: false }))
  if (email !== undefined && !isValidEmail(email)) errors.email = ['Informe um email válido no formato example@example.com']
  const username = take(errors, 'username', charField(data.username, { required: false }))
  const password = take(errors, 'password', charField(data.password))
  if (Object.keys(errors).length > 0) throw validationError(errors)
  if (email === undefined && username === undefined) throw validationError({ non_field_errors: ['Informe username ou email.'] })
  if (email !== undefined && username !== undefined) {
    throw validationError({ non_field_errors: ['Informe apenas um dos campos: username ou email.'] })
  }

  const user = email !== undefined ? await findUserBy(deps, 'email', email) : await findUserBy(deps, 'username', username!)
  // Always one derivation: unknown users spend a dummy hash of the same cost (no timing oracle, §12.6).
  const check = await verifyPassword(password!, user?.password ?? null)
  // DECISIONS 4: inactive users get the same answer as a wrong password.
  if (!user || !check.ok || !user.is_active) throw badCredentials()

  if (check.needsRehash) {
    // Like Django: only the password column, updated_at untouched (database.md §7 step 5).
    const fresh = await hashPassword(password!)
    await deps.models.User.query().context({ skipUpdatedAt: true }).findById(user.id).patch({ password: fresh })
  }
  return { status: 200, body: await issuePair(user, deps) }
}

// ── POST /api/create/ ──
export const register: Handler<'register'> = async ({ body, deps }) => {
  const data = asBody(body)
  const errors: FieldMap = {}
  // A caller-chosen `id` is ignored (§12.4); so are role, avatar, client and every other field.
  const rawUsername = take(errors, 'username', charField(data.username, { maxLength: 150 }))
  const rawEmail = take(errors, 'email', charField(data.email))
  if (rawEmail !== undefined) {
    const problems: string[] = []
    if (!isValidEmail(rawEmail)) problems.push('Enter a valid email address.')
    if ([...rawEmail].length > 254) problems.push(MSG.maxLength(254))
    if (problems.length > 0) errors.email = problems
  }
  const firstName = take(errors, 'first_name', charField(data.first_name, { maxLength: 30 }))
  const lastName = take(errors, 'last_name', charField(data.last_name, { maxLength: 150 }))
  const password = take(errors, 'password', charField(data.password))
  if (password !== undefined) {
    const problems = passwordProblems(password)
    if (problems.length > 0) errors.password = problems
  }

  const username = normalizedUsername(errors, rawUsername)
  const email = rawEmail !== undefined && !errors.email ? normalizeEmail(rawEmail) : undefined
  await checkUnique(deps, { username, email }, errors)
  if (Object.keys(errors).length > 0) throw validationError(reorder(errors, ['username', 'email', 'first_name', 'last_name', 'password']))

  const hash = await hashPassword(password!)
  const { user, pair } = await deps.knex.transaction(async trx => {
    const created = await deps.models.User.query(trx).insert({
      username: username!, email: email!, first_name: firstName!, last_name: lastName!, password: hash,
      role: 'USER', is_active: true, active: true, is_staff: false, is_superuser: false,
      full_name: '', job_title: '', department: '', client_id: null, avatar: '',
    })
    return { user: created, pair: await issuePair(created, deps, trx) }
  }).catch(async (err: unknown) => {
    // Lost a race with a concurrent sign-up: answer like the uniqueness validators.
    const raced: FieldMap = {}
    await checkUnique(deps, { username, email }, raced)
    if (Object.keys(raced).length > 0) throw validationError(raced)
    throw err
  })
  return {
    status: 201,
    body: {
      user: { id: toUuid(user.id), username: user.username, email: user.email, first_name: user.first_name, last_name: user.last_name, client_id: null },
      access: pair.access,
      refresh: pair.refresh,
    },
  }
}

async function checkUnique(deps: Deps, values: { username?: string, email?: string }, errors: FieldMap, exceptId?: string) {
  const taken = async (column: 'username' | 'email', value: string) => {
    const q = deps.models.User.query().where(column, value)
    if (exceptId) q.whereNot('id', exceptId)
    return (await q.first()) !== undefined
  }
  if (values.username !== undefined && !errors.username && await taken('username', values.username)) {
    errors.username = ['user with this username already exists.']
  }
  if (values.email !== undefined && !errors.email && await taken('email', values.email)) {
    errors.email = ['user with this email already exists.']
  }
}

function reorder(errors: FieldMap, order: string[]): FieldMap {
  const out: FieldMap = {}
  for (const key of [...order, ...Object.keys(errors)]) if (errors[key] && !out[key]) out[key] = errors[key]
  return out
}

// ── POST /api/refresh/ ──
export const refreshToken: Handler<'refreshToken'> = async ({ body, deps }) => {
  const refresh = asBody(body).refresh
  if (!refresh) throw new ApiError('bad_request', { body: { detail: "Field 'refresh' is required." } })
  try {
    return { status: 200, body: await rotate(refresh, deps) }
  } catch (err) {
    if (err instanceof TokenError) throw new ApiError('bad_request', { body: { detail: 'Invalid refresh token.', error: err.message } })
    throw err
  }
}

// ── POST /api/logout/ ──
const EXPIRED_COOKIE = '=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    try { return decodeURIComponent(value) } catch { return value }
  }
  return undefined
}

export const logout: Handler<'logout'> = async ({ body, req, deps }) => {
  const refresh = asBody(body).refresh || cookie(req.headers.cookie, 'refresh')
  if (!refresh) throw new ApiError('bad_request', { body: { error: "Campo 'refresh' obrigatório ou cookie ausente." } })
  try {
    await blacklist(refresh, deps)
  } catch (err) {
    if (err instanceof TokenError) throw new ApiError('bad_request', { body: { error: 'Token inválido ou já invalidado.' } })
    throw err
  }
  return {
    status: 200,
    headers: { 'set-cookie': [`access${EXPIRED_COOKIE}`, `refresh${EXPIRED_COOKIE}`] },
    body: { detail: 'Logout realizado.' },
  }
}

// ── POST /api/verify-token/ (simplejwt's TokenVerifyView) ──
export const verifyToken: Handler<'verifyToken'> = async ({ body, deps }) => {
  const errors: FieldMap = {}
  const token = take(errors, 'token', charField(asBody(body).token))
  if (token === undefined) throw validationError(errors)
  let claims: Record<string, unknown>
  try {
    claims = await checkToken(token, null, deps) // untyped: access and refresh tokens alike
  } catch (err) {
    if (!(err instanceof TokenError)) throw err
    throw new ApiError('token_not_valid', { body: { detail: err.message, code: 'token_not_valid' }, headers: WWW_AUTHENTICATE })
  }
  if (await isBlacklisted(claims.jti, deps)) throw validationError({ non_field_errors: ['Token is blacklisted'] })
  return { status: 200, body: {} }
}

// ── GET /api/me/ ──
export const getMe: Handler<'getMe'> = async ({ user, req }) => {
  // Authentication already read the row (active users only, no claim fallback): DECISIONS Roles.
  if (!user) throw new ApiError('not_authenticated', { headers: WWW_AUTHENTICATE })
  return { status: 200, body: profileOf(user, req) }
}

// ── PATCH /api/me/update/ ──
const LAST_ADMIN = 'The last active administrator cannot change their role.'
const isAdminRole = (role: string) => ['ADMIN', 'ADMINISTRATOR'].includes(role.toUpperCase())

/** Optional profile field of me/update: an empty (or blank) value leaves the field unchanged (§5.7 form quirk). */
function optionalText(errors: FieldMap, data: Body, name: string, maxLength: number): string | undefined {
  const raw = data[name]
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined
  return take(errors, name, charField(raw, { maxLength }))
}

function isUpload(v: unknown): v is UploadedFile {
  return v !== null && typeof v === 'object' && Buffer.isBuffer((v as UploadedFile).data)
}

export const updateMe: Handler<'updateMe'> = async ({ body, user, req, deps }) => {
  if (!user) throw new ApiError('not_authenticated', { headers: WWW_AUTHENTICATE })
  const contentType = String(req.headers['content-type'] ?? '')
  const mediaType = contentType.split(';')[0].trim().toLowerCase()
  if (mediaType !== 'multipart/form-data' && mediaType !== 'application/x-www-form-urlencoded') {
    throw new ApiError('unsupported_media_type', { detail: `Unsupported media type "${contentType}" in request.` })
  }
  const data = asBody(body)
  const errors: FieldMap = {}
  const changes: Partial<Pick<User, 'full_name' | 'first_name' | 'last_name' | 'username' | 'role'>> = {}

  const fullName = optionalText(errors, data, 'full_name', 120)
  const firstName = optionalText(errors, data, 'first_name', 30)
  const lastName = optionalText(errors, data, 'last_name', 150)
  const username = normalizedUsername(errors, optionalText(errors, data, 'username', 150))
  if (fullName !== undefined) changes.full_name = fullName
  if (firstName !== undefined) changes.first_name = firstName
  if (lastName !== undefined) changes.last_name = lastName
  if (username !== undefined) {
    changes.username = username
    await checkUnique(deps, { username }, errors, user.id)
  }

  let avatar: { data: Buffer, ext: string } | undefined
  const rawAvatar = data.avatar
  if (rawAvatar !== undefined && rawAvatar !== '') {
    if (!isUpload(rawAvatar)) {
      errors.avatar = ['The submitted data was not a file. Check the encoding type on the form.']
    } else if (rawAvatar.data.length === 0) {
      errors.avatar = ['The submitted file is empty.']
    } else {
      const kind = rawAvatar.data.length <= MAX_AVATAR_BYTES ? sniffImage(rawAvatar.data) : null
      if (!kind) errors.avatar = [INVALID_IMAGE]
      else avatar = { data: rawAvatar.data, ext: extensionFor(kind, rawAvatar.filename ?? '') }
    }
  }

  const password = optionalText(errors, data, 'password', 4096)
  const confirm = optionalText(errors, data, 'password_confirm', 4096)
  if (!errors.password && !errors.password_confirm) {
    if (password !== undefined && confirm === undefined) errors.password_confirm = ['Confirme a senha.']
    else if (password === undefined && confirm !== undefined) errors.password = ['Campo obrigatório para alterar senha.']
    else if (password !== undefined && password !== confirm) errors.password_confirm = ['As senhas não conferem.']
    else if (password !== undefined) {
      const problems = passwordProblems(password) // DECISIONS 8: the sign-up rules apply here too
      if (problems.length > 0) errors.password = problems
    }
  }

  // Role: only an admin may set one, only a known one; everyone else's `role` is ignored (no self-promotion).
  const rawRole = data.role
  let newRole: string | undefined
  if (user.isAdmin() && typeof rawRole === 'string' && rawRole.trim() !== '') {
    const role = rawRole.trim()
    if (!(ROLES as readonly string[]).includes(role)) errors.role = [`"${role}" is not a valid choice.`]
    else if (role !== user.role) newRole = role
  }
  if (Object.keys(errors).length > 0) throw validationError(errors)

  const hash = password !== undefined ? await hashPassword(password) : undefined
  const avatarPath = avatar ? await storeAvatar(deps.config.mediaRoot, toUuid(user.id), avatar.ext, avatar.data) : undefined

  const updated = await deps.knex.transaction(async trx => {
    if (newRole !== undefined) {
      if (!isAdminRole(newRole) && await otherActiveAdmins(trx, deps, user.id) === 0) throw validationError({ role: [LAST_ADMIN] })
      changes.role = newRole
    }
    const patch: Record<string, unknown> = { ...changes }
    if (avatarPath !== undefined) patch.avatar = avatarPath
    if (hash !== undefined) patch.password = hash
    // Full-row semantics of the original: updated_at is set even when nothing else changed.
    await deps.models.User.query(trx).findById(user.id).patch(patch)
    // A new password revokes every recorded refresh token of the user (§12.8); access tokens expire on their own.
    if (hash !== undefined) await revokeUserTokens(user.id, deps, trx)
    return deps.models.User.query(trx).findById(user.id)
  }).catch(async (err: unknown) => {
    if (avatarPath !== undefined) await discardAvatar(deps.config.mediaRoot, avatarPath) // the row never named it
    if (username !== undefined) {
      const raced: FieldMap = {}
      await checkUnique(deps, { username }, raced, user.id)
      if (raced.username) throw validationError(raced)
    }
    throw err
  })
  if (!updated) throw new ApiError('not_authenticated', { headers: WWW_AUTHENTICATE })
  return { status: 200, body: updatedProfileOf(updated, req) }
}

/** Active admins other than `userId`, locking their rows on MySQL so two admins cannot both step down. */
async function otherActiveAdmins(trx: Knex.Transaction, deps: Deps, userId: string): Promise<number> {
  const q = deps.models.User.query(trx)
    .select('id')
    .where('is_active', true)
    .whereNot('id', userId)
    .whereRaw("upper(role) in ('ADMIN', 'ADMINISTRATOR')")
  if (dialectOf(deps.knex) === 'mysql') q.forUpdate()
  return (await q).length
}
