// Invitations (auth-and-users §5.12, §5.13, §6.2) with DECISIONS 5 and 8 and the Roles matrix: every check
// first, then one transaction (rename an inactive holder, delete expired invites, insert the invitee and the
// invite), the mail after the commit. A mail that cannot be sent withdraws the invitation, so nothing is left
// half-made and inviting again is the retry. The link's token is stored only as a digest.
import type { Knex } from 'knex'
import type { Handler } from '../../generated/handlers.js'
import { isValidEmail } from '../auth/email.js'
import { passwordProblems } from '../auth/password-rules.js'
import { hashPassword, makeUnusablePassword } from '../auth/passwords.js'
import { revokeUserTokens } from '../auth/tokens.js'
import { dialectOf } from '../db/connection.js'
import { toHex, toUuid } from '../db/ids.js'
import { dbDateTimeIn, nowDb } from '../db/time.js'
import type { Deps } from '../deps.js'
import { ApiError, validationError } from '../engine/errors.js'
import type { Invite, Project, User } from '../models/index.js'
import { greetingName, inviteLink, renderAccountExistsMail, renderInviteMail, type RenderedMail } from '../services/mail-templates.js'
import { mailerFor } from '../services/mailer.js'
import { INVITE_TTL_S, inviteTokenDigest, inviteTokenMatches, newInviteToken } from '../services/one-time-tokens.js'
import { isUniqueViolation, uniqueUsername, userByEmail } from './users.js'

const INVITE_ROLES = ['ADMINISTRATOR', 'MANAGER', 'USER'] as const
type InviteRole = typeof INVITE_ROLES[number]

const asRecord = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {})
const error = (reason: 'bad_request' | 'forbidden' | 'not_found', text: string) => new ApiError(reason, { body: { error: text } })
const pendingInvite = () => new ApiError('bad_request', { body: { detail: 'Already exists a pending invite for this user.' } })
const activeUserExists = () => error('bad_request', 'User with this email already exists.')
/** A concurrent request changed what the checks saw (an account became active, an invite appeared). */
class RaceLost extends Error {}

const MAIL_FAILED = 'The invitation e-mail could not be sent, so the invitation was withdrawn. Please try again later.'

/** Who may invite (DECISIONS Roles): administrators anywhere, managers in their member projects. */
function inviterKind(user: User | null): 'admin' | 'manager' | null {
  if (!user) return null
  if (user.isAdmin()) return 'admin'
  return (user.role ?? '').toUpperCase() === 'MANAGER' ? 'manager' : null // policies/roles.yaml: any case
}

interface CheckedInvite {
  email: string
  role: InviteRole
  project: Project
  clientId: string
}

// ── POST /api/invite/ ──
export const inviteUser: Handler<'inviteUser'> = async ({ body, user, deps, req }) => {
  const kind = inviterKind(user)
  if (!user || !kind) throw error('forbidden', 'User does not have permission to invite')
  const checked = await checkInvite(deps, user, kind, asRecord(body))

  // An address with an active account: administrators are told (they can list every user anyway); a manager
  // gets the answer of a successful invitation and the owner a note that they already have an account, so
  // managers cannot probe which addresses exist (§12.6). Nothing is written.
  const holder = await userByEmail(deps, checked.email)
  if (holder?.is_active) {
    if (kind === 'admin') throw activeUserExists()
    await sendOrFail(deps, holder.email, renderAccountExistsMail({
      name: greetingName(holder.first_name, holder.email),
      loginUrl: `${deps.config.frontendUrl}/login`,
      forgotUrl: `${deps.config.frontendUrl}/forgot-password`,
    }), async () => {})
    req.log.info({ event: 'invite_existing_account', actor: toUuid(user.id) }, 'invitation to an existing account answered with a notice')
    return { status: 200, body: { detail: 'Convite enviado com sucesso.' } }
  }
  const now = nowDb()
  const pending = await deps.models.Invite.query().where('email', checked.email).where('expires_at', '>=', now).first()
  if (pending) throw pendingInvite()

  const secret = newInviteToken()
  const { invite, invitee } = await deps.knex.transaction(trx => storeInvite(trx, deps, user, checked, secret.digest))
    .catch(async (err: unknown) => {
      // Lost a race with a concurrent invitation of the same address: answer like the checks above.
      if (!(err instanceof RaceLost) && !isUniqueViolation(err)) throw err
      if (kind === 'admin' && (await userByEmail(deps, checked.email))?.is_active) throw activeUserExists()
      throw pendingInvite()
    })

  const mail = renderInviteMail({
    name: greetingName('', checked.email),
    link: inviteLink(deps.config.frontendUrl, secret.token, checked.email),
  })
  await sendOrFail(deps, checked.email, mail, () => withdraw(deps, invite, invitee))
  req.log.info({ event: 'invite_sent', actor: toUuid(user.id), invite: toUuid(invite.id), project: toUuid(checked.project.id), role: checked.role }, 'invitation sent')
  return { status: 200, body: { detail: 'Convite enviado com sucesso.' } }
}

/** Every check of §5.12 before anything is written (DECISIONS 5: a refusal writes nothing). */
async function checkInvite(deps: Deps, user: User, kind: 'admin' | 'manager', data: Record<string, unknown>): Promise<CheckedInvite> {
  const rawEmail = typeof data.email === 'string' ? data.email.trim() : ''
  const rawProject = typeof data.project_id === 'string' ? data.project_id.trim() : ''
  if (!rawEmail || !rawProject) throw error('bad_request', 'Missing required fields: email, project_id')
  const role = data.role === undefined ? 'USER' : data.role
  if (typeof role !== 'string' || !(INVITE_ROLES as readonly string[]).includes(role)) throw error('bad_request', 'Invalid invited role')
  // §12.11 / §12.13: a malformed address or id is a 400, never a 500.
  if (!isValidEmail(rawEmail) || [...rawEmail].length > 254) throw validationError({ email: ['Enter a valid email address.'] })
  const projectId = toHex(rawProject)
  if (!projectId) throw validationError({ project_id: ['Must be a valid UUID.'] })
  const rawClient = kind === 'admin' ? data.client_id : undefined // managers' client_id is ignored (§5.12)
  let clientId: string | null = null
  if (rawClient !== undefined && rawClient !== null && rawClient !== '') {
    clientId = typeof rawClient === 'string' ? toHex(rawClient.trim()) : null
    if (!clientId) throw validationError({ client_id: ['Must be a valid UUID.'] })
  }

  const project = await deps.models.Project.query().findById(projectId)
  // A manager cannot see projects they are not a member of: same answer as a missing one (DECISIONS Roles).
  const visible = project && (kind === 'admin' || await isMember(deps, projectId, user.id))
  if (!project || !visible) throw error('not_found', 'Project não encontrado')
  const effectiveClient = clientId ?? project.client_id
  if (!effectiveClient) throw error('bad_request', 'Cannot determine client')
  if (clientId && !(await deps.models.Client.query().findById(clientId))) throw error('not_found', 'Client not found')
  if (project.client_id !== effectiveClient) throw error('bad_request', 'Project does not belong to the informed client')
  if (kind === 'manager' && role === 'ADMINISTRATOR') throw error('forbidden', 'Manager cannot invite an ADMINISTRATOR')
  return { email: rawEmail, role: role as InviteRole, project, clientId: effectiveClient }
}

async function isMember(deps: Deps, projectId: string, userId: string, db: Knex | Knex.Transaction = deps.knex): Promise<boolean> {
  return (await deps.models.ProjectMember.query(db).where({ projects_id: projectId, userprofile_id: userId }).first()) !== undefined
}

/** `<email>+EXPIRED`, then `+EXPIRED1`, `+EXPIRED2`, … : the first spelling no user has (§5.12 step 5a). */
async function expiredAlias(trx: Knex.Transaction, deps: Deps, email: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = `${email}+EXPIRED${n === 0 ? '' : n}`
    if (!(await deps.models.User.query(trx).where('email', candidate).first())) return candidate
  }
}

async function storeInvite(trx: Knex.Transaction, deps: Deps, sender: User, checked: CheckedInvite, digest: string) {
  const lock = dialectOf(deps.knex) === 'mysql'
  const holderQuery = deps.models.User.query(trx).where('email', checked.email)
  if (lock) holderQuery.forUpdate()
  const holders = await holderQuery
  if (holders.some(h => h.is_active)) throw new RaceLost()
  if (await deps.models.Invite.query(trx).where('email', checked.email).where('expires_at', '>=', nowDb()).first()) throw new RaceLost()
  for (const holder of holders) {
    // DECISIONS 5: the old inactive account keeps its memberships under a renamed address; a new one is made.
    await deps.models.User.query(trx).findById(holder.id).patch({ email: await expiredAlias(trx, deps, holder.email) })
  }
  await deps.models.Invite.query(trx).where('email', checked.email).where('expires_at', '<', nowDb()).delete()
  const invitee = await deps.models.User.query(trx).insert({
    email: checked.email,
    username: await uniqueUsername(deps, checked.email, trx),
    password: makeUnusablePassword(),
    is_active: false,
    active: true,
    role: 'USER',
    full_name: '',
    first_name: '',
    last_name: '',
    client_id: null,
    is_staff: false,
    is_superuser: false,
  })
  const invite = await deps.models.Invite.query(trx).insert({
    email: checked.email,
    token: digest,
    expires_at: dbDateTimeIn(INVITE_TTL_S),
    sender_id: sender.id,
    role: checked.role,
    client_id: checked.clientId,
    project_id: checked.project.id,
  })
  return { invite, invitee }
}

/** Takes back an invitation whose mail could not be sent: the invite and the untouched account made for it. */
async function withdraw(deps: Deps, invite: Invite, invitee: User): Promise<void> {
  await deps.knex.transaction(async trx => {
    await deps.models.Invite.query(trx).where({ id: invite.id, token: invite.token }).delete()
    await deps.models.User.query(trx).where({ id: invitee.id, is_active: false, password: invitee.password }).delete()
  })
}

async function sendOrFail(deps: Deps, to: string, mail: RenderedMail, undo: () => Promise<void>): Promise<void> {
  try {
    await mailerFor(deps.config).send({ to, ...mail })
  } catch (err) {
    deps.log.error({ err }, 'invitation e-mail failed')
    try {
      await undo()
    } catch (undoErr) {
      deps.log.error({ err: undoErr }, 'could not withdraw an invitation whose e-mail failed')
    }
    throw new ApiError('upstream_error', { detail: MAIL_FAILED })
  }
}

// ── GET /api/invite/confirm/ ──
export const redirectInviteConfirm: Handler<'redirectInviteConfirm'> = async ({ req, deps }) => {
  const q = req.url.indexOf('?')
  const query = q === -1 ? '' : req.url.slice(q + 1)
  // The query is passed through as it came, except characters that are not allowed in a header value.
  const safe = query.replace(/[^\x21-\x7e]/g, ch => encodeURIComponent(ch))
  const location = `${deps.config.frontendUrl}/confirm-invite${safe ? `?${safe}` : ''}`
  return { status: 302, body: undefined as never, headers: { location } }
}

// ── POST /api/invite/confirm/ ──
const inviteNotFound = () => error('bad_request', 'Convite não encontrado')

export const confirmInvite: Handler<'confirmInvite'> = async ({ query, body, deps, req }) => {
  const email = typeof query.email === 'string' ? query.email.trim() : ''
  const token = typeof query.token === 'string' ? query.token.trim() : ''
  const rawPassword = asRecord(body).password
  const password = typeof rawPassword === 'string' ? rawPassword.trim() : '' // DECISIONS 8: trimmed like login
  if (!email || !token || !password) throw error('bad_request', 'Campos obrigatórios: email, token, password')
  if (inviteTokenDigest(token) === null) throw error('bad_request', 'Token malformado')
  let projectId: string | null = null
  if (typeof query.project_id === 'string' && query.project_id.trim() !== '') {
    projectId = toHex(query.project_id.trim())
    if (!projectId) throw inviteNotFound() // §12.13: was a 500
  }
  const problems = passwordProblems(password)
  if (problems.length > 0) throw validationError({ password: problems })

  // Invite e-mails are unique: find the row by address, then compare the token digest in constant time.
  const invite = await deps.models.Invite.query().where('email', email).first()
  const matches = inviteTokenMatches(invite?.token, token)
  if (!invite || !matches || (projectId !== null && invite.project_id !== projectId)) throw inviteNotFound()
  if (invite.expires_at < nowDb()) throw error('bad_request', 'Convite expirado')
  const user = await userByEmail(deps, invite.email)
  if (!user) throw error('not_found', 'Usuário não encontrado')

  const hash = await hashPassword(password)
  await deps.knex.transaction(async trx => {
    // Single use: the invite is consumed by exactly one request.
    const consumed = await deps.models.Invite.query(trx).where({ id: invite.id, token: invite.token }).delete()
    if (consumed !== 1) throw inviteNotFound()
    // is_staff/is_superuser are not raised for ADMINISTRATOR invites: they grant nothing here (DECISIONS Roles).
    await deps.models.User.query(trx).findById(user.id).patch({
      password: hash,
      is_active: true,
      active: true,
      role: invite.role,
      client_id: invite.client_id,
    })
    if (invite.project_id) await joinProject(trx, deps, invite, user.id)
    await revokeUserTokens(user.id, deps, trx)
  })
  req.log.info({ event: 'invite_confirmed', user: toUuid(user.id), invite: toUuid(invite.id) }, 'invitation accepted')
  return { status: 200, body: { detail: 'Conta ativada e senha definida com sucesso.' } }
}

/** Adds the new member unless already there; the client-scope rule of the triggers is checked first (database.md §4). */
async function joinProject(trx: Knex.Transaction, deps: Deps, invite: Invite, userId: string): Promise<void> {
  const project = await deps.models.Project.query(trx).findById(invite.project_id!)
  if (!project) return
  if (invite.role !== 'ADMINISTRATOR' && project.client_id !== invite.client_id) return
  if (await isMember(deps, project.id, userId, trx)) return
  await deps.models.ProjectMember.query(trx).insert({ projects_id: project.id, userprofile_id: userId })
}
