// Password reset by e-mail (auth-and-users §5.14, §5.15, §6.1) with DECISIONS 3 and 8: the same answer for
// every valid address, the mail only to active accounts and only after the reply, hashed single-use tokens
// compared in constant time, sign-up password rules, and every refresh token of the user revoked on success.
import type { Handler } from '../../generated/handlers.js'
import { isValidEmail } from '../auth/email.js'
import { passwordProblems } from '../auth/password-rules.js'
import { hashPassword } from '../auth/passwords.js'
import { revokeUserTokens } from '../auth/tokens.js'
import { toUuid } from '../db/ids.js'
import { dbDateTimeIn, dbDateTimeToDate, nowDb } from '../db/time.js'
import type { Deps } from '../deps.js'
import { ApiError, validationError } from '../engine/errors.js'
import { greetingName, renderResetMail, resetLink } from '../services/mail-templates.js'
import { afterReply, mailerFor } from '../services/mailer.js'
import { newResetToken, RESET_TOKEN_TTL_S, resetTokenDigest, resetTokenMatches } from '../services/one-time-tokens.js'
import { userByEmail } from './users.js'

const SENT = 'Email enviado com sucesso'

const asRecord = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {})

// ── POST /api/password/forgot/ ──
export const forgotPassword: Handler<'forgotPassword'> = async ({ body, deps, reply, req }) => {
  const raw = asRecord(body).email
  const email = typeof raw === 'string' ? raw.trim() : ''
  if (email === '') throw validationError({ email: ['This field is required.'] })
  if (!isValidEmail(email)) throw validationError({ email: ['Enter a valid email address.'] })
  // Nothing about the account is looked at before the answer: status, body and time are the same for
  // every valid address (§12.6). The lookup, the token and the mail happen once the reply is out.
  const log = req.log
  afterReply(reply.raw, () => sendResetMail(deps, email), err => log.error({ err }, 'password reset e-mail failed'))
  return { status: 200, body: { detail: SENT } }
}

async function sendResetMail(deps: Deps, email: string): Promise<void> {
  const user = await userByEmail(deps, email)
  if (!user || !user.is_active) return // DECISIONS 3: mail goes only to active accounts
  const token = newResetToken()
  const expiresAt = dbDateTimeIn(RESET_TOKEN_TTL_S)
  // A new request replaces the previous token (§5.14); only its digest is stored (§12.8).
  await deps.models.User.query().findById(user.id).patch({
    password_reset_token: resetTokenDigest(token),
    password_reset_token_expires_at: expiresAt,
  })
  const mail = renderResetMail({
    name: greetingName(user.first_name, user.email),
    link: resetLink(deps.config.frontendUrl, user.email, token),
    expiresAt: dbDateTimeToDate(expiresAt),
  })
  await mailerFor(deps.config).send({ to: user.email, ...mail })
  deps.log.info({ event: 'password_reset_mail', user: toUuid(user.id) }, 'password reset e-mail sent')
}

// ── POST /api/password/reset/ ──
const badToken = () => new ApiError('bad_request', { body: { error: 'Token inválido ou expirado' } })

export const resetPassword: Handler<'resetPassword'> = async ({ query, body, deps }) => {
  const email = typeof query.email === 'string' ? query.email.trim() : ''
  const token = typeof query.token === 'string' ? query.token : ''
  const rawPassword = asRecord(body).new_password
  // DECISIONS 8: trimmed like login, so a password set here can always be used to log in.
  const password = typeof rawPassword === 'string' ? rawPassword.trim() : ''
  if (!email || !token || !password) {
    throw new ApiError('bad_request', { body: { error: 'Campos obrigatórios: email, token, new_password' } })
  }
  const problems = passwordProblems(password)
  if (problems.length > 0) throw validationError({ new_password: problems })

  // Unknown address, inactive account, wrong or expired token: one answer, and the same work for each.
  const user = await userByEmail(deps, email)
  const stored = user?.password_reset_token ?? null
  const matches = resetTokenMatches(stored, token)
  const expiry = user?.password_reset_token_expires_at ?? null
  if (!user || !user.is_active || !matches || !expiry || expiry < nowDb()) throw badToken()

  const hash = await hashPassword(password)
  await deps.knex.transaction(async trx => {
    // Single use: only the request that still sees this token clears it (a concurrent second use gets 400).
    const changed = await deps.models.User.query(trx)
      .where({ id: user.id, password_reset_token: stored })
      .patch({ password: hash, password_reset_token: null, password_reset_token_expires_at: null })
    if (changed !== 1) throw badToken()
    await revokeUserTokens(user.id, deps, trx) // §12.8: a new password ends every session's refresh token
  })
  deps.log.info({ event: 'password_reset', user: toUuid(user.id) }, 'password changed through a reset link')
  return { status: 200, body: { detail: 'Senha redefinida com sucesso' } }
}
