// POST /api/users/ (auth-and-users §5.8b): administrators create a user (DECISIONS 7, §12.1). The account
// gets a unique username derived from its e-mail and an unusable password, so its owner sets one through
// the password-reset flow.
import type { Knex } from 'knex'
import type { Handler } from '../../generated/handlers.js'
import { discardAvatar, extensionFor, INVALID_IMAGE, MAX_AVATAR_BYTES, sniffImage, storeAvatar } from '../auth/avatar.js'
import { isValidEmail, normalizeEmail } from '../auth/email.js'
import { makeUnusablePassword } from '../auth/passwords.js'
import { mediaPath } from '../auth/tokens.js'
import { newId, toUuid, toUuidOrNull } from '../db/ids.js'
import type { Deps } from '../deps.js'
import { ApiError, validationError } from '../engine/errors.js'
import type { UploadedFile } from '../engine/multipart.js'
import { ROLES, type User } from '../models/index.js'

type FieldMap = Record<string, string[]>

const USERNAME_MAX = 150

/** Duplicate key on either dialect (MySQL 1062, SQLite UNIQUE constraint). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string, errno?: number }
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/** Only an administrator (role ADMINISTRATOR or legacy ADMIN, any case) passes (DECISIONS, Roles). */
export function requireAdmin(user: User | null, detail?: string): asserts user is User {
  if (!user) throw new ApiError('not_authenticated')
  if (!user.isAdmin()) throw new ApiError('forbidden', detail ? { detail } : {})
}

/** One user by e-mail, compared case-insensitively (the column's collation); ambiguity prefers the exact spelling. */
export async function userByEmail(deps: Deps, email: string, db: Knex | Knex.Transaction = deps.knex): Promise<User | undefined> {
  const rows = await deps.models.User.query(db).where('email', email).limit(2)
  if (rows.length <= 1) return rows[0]
  return rows.find(r => r.email === email) ?? rows[0]
}

/**
 * The invite rule for usernames (§5.12 step 5b): the e-mail's part before the first `@` (the whole string
 * without one), then `1`, `2`, … until no user has it (case-insensitive, like the unique index).
 */
export async function uniqueUsername(deps: Deps, email: string, db: Knex | Knex.Transaction = deps.knex): Promise<string> {
  const at = email.indexOf('@')
  const base = (at >= 0 ? email.slice(0, at) : email) || 'user'
  for (let n = 0; n < 10_000; n++) {
    const suffix = n === 0 ? '' : String(n)
    const candidate = [...base].slice(0, USERNAME_MAX - suffix.length).join('') + suffix
    const taken = await deps.models.User.query(db).where('username', candidate).first()
    if (!taken) return candidate
  }
  // Ten thousand namesakes: fall back to a random suffix rather than loop forever.
  return [...base].slice(0, USERNAME_MAX - 9).join('') + newId().slice(0, 9)
}

function isUpload(v: unknown): v is UploadedFile {
  return v !== null && typeof v === 'object' && Buffer.isBuffer((v as UploadedFile).data)
}

/** DRF CharField on a form value: trimmed; optional fields may be absent or blank. */
function text(errors: FieldMap, data: Record<string, unknown>, name: string, max: number, required: boolean): string | undefined {
  const raw = data[name]
  if (raw === undefined || raw === null) {
    if (required) errors[name] = ['This field is required.']
    return undefined
  }
  if (typeof raw !== 'string') {
    errors[name] = ['Not a valid string.']
    return undefined
  }
  const value = raw.trim()
  if (value === '' && required) {
    errors[name] = ['This field may not be blank.']
    return undefined
  }
  if ([...value].length > max) {
    errors[name] = [`Ensure this field has no more than ${max} characters.`]
    return undefined
  }
  return value
}

const FORM_TYPES = new Set(['multipart/form-data', 'application/x-www-form-urlencoded'])

export const createUser: Handler<'createUser'> = async ({ body, user, req, deps }) => {
  requireAdmin(user)
  const mediaType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (!FORM_TYPES.has(mediaType)) {
    throw new ApiError('unsupported_media_type', { detail: 'Unsupported Media Type. Use multipart/form-data.' })
  }
  const data = (body ?? {}) as Record<string, unknown>
  const errors: FieldMap = {}
  const fullName = text(errors, data, 'full_name', 120, true)
  const rawEmail = text(errors, data, 'email', 254, true)
  let email: string | undefined
  if (rawEmail !== undefined) {
    if (!isValidEmail(rawEmail)) errors.email = ['Enter a valid email address.']
    else email = normalizeEmail(rawEmail)
  }
  const rawRole = data.role
  let role = 'USER'
  if (rawRole !== undefined && rawRole !== null && rawRole !== '') {
    if (typeof rawRole !== 'string' || !(ROLES as readonly string[]).includes(rawRole)) {
      errors.role = [`"${String(rawRole)}" is not a valid choice.`]
    } else role = rawRole
  }
  const jobTitle = text(errors, data, 'job_title', 80, false) ?? ''
  const department = text(errors, data, 'department', 80, false) ?? ''

  let avatar: { data: Buffer, ext: string } | undefined
  const rawAvatar = data.avatar
  if (rawAvatar !== undefined && rawAvatar !== null && rawAvatar !== '') {
    if (!isUpload(rawAvatar)) errors.avatar = ['The submitted data was not a file. Check the encoding type on the form.']
    else if (rawAvatar.data.length === 0) errors.avatar = ['The submitted file is empty.']
    else {
      const kind = rawAvatar.data.length <= MAX_AVATAR_BYTES ? sniffImage(rawAvatar.data) : null
      if (!kind) errors.avatar = [INVALID_IMAGE]
      else avatar = { data: rawAvatar.data, ext: extensionFor(kind, rawAvatar.filename ?? '') }
    }
  }
  const EMAIL_TAKEN = 'user with this email already exists.'
  const emailTaken = () => validationError({ email: [EMAIL_TAKEN] })
  if (email !== undefined && !errors.email && await userByEmail(deps, email)) errors.email = [EMAIL_TAKEN]
  if (Object.keys(errors).length > 0) throw validationError(errors)

  const id = newId()
  const avatarPath = avatar ? await storeAvatar(deps.config.mediaRoot, toUuid(id), avatar.ext, avatar.data) : ''
  // A concurrent insert may take the username chosen here: try again with the next free one.
  let created: User | undefined
  try {
    for (let attempt = 0; attempt < 5 && !created; attempt++) {
      try {
        created = await deps.knex.transaction(async trx => {
          if (await userByEmail(deps, email!, trx)) throw emailTaken()
          return deps.models.User.query(trx).insert({
            id,
            email: email!,
            username: await uniqueUsername(deps, email!, trx),
            password: makeUnusablePassword(), // DECISIONS 7: usable only after a password reset
            full_name: fullName!,
            first_name: '',
            last_name: '',
            role,
            job_title: jobTitle,
            department,
            avatar: avatarPath,
            is_active: true,
            active: true,
            is_staff: false,
            is_superuser: false,
            client_id: null,
          })
        })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        if (await userByEmail(deps, email!)) throw emailTaken()
      }
    }
  } finally {
    if (!created && avatarPath) await discardAvatar(deps.config.mediaRoot, avatarPath) // no row names it
  }
  if (!created) throw new ApiError('conflict', { detail: 'Could not choose a unique username; try again.' })
  deps.log.info({ event: 'user_created', actor: toUuid(user.id), user: toUuid(created.id), role }, 'administrator created a user')
  return {
    status: 201,
    body: {
      id: toUuid(created.id),
      full_name: created.full_name,
      email: created.email,
      role: created.role,
      job_title: created.job_title,
      department: created.department,
      joined_at: created.joined_at,
      avatar: mediaPath(created.avatar),
      active: Boolean(created.active),
      is_staff: Boolean(created.is_staff),
      is_active: Boolean(created.is_active),
      client_id: toUuidOrNull(created.client_id),
    },
  }
}
