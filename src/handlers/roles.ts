// The role catalogue and a user's Django groups, which the original calls "roles" (auth-and-users §5.9,
// §5.10). The group endpoints are administrators-only (DECISIONS 7, §12.2); they never touch `role`.
import type { Handler } from '../../generated/handlers.js'
import { toHex, toUuid } from '../db/ids.js'
import type { Deps } from '../deps.js'
import { ApiError } from '../engine/errors.js'
import { ROLES, type User } from '../models/index.js'
import { isUniqueViolation, requireAdmin } from './users.js'

export const listRoles: Handler<'listRoles'> = async () => ({
  status: 200,
  body: { roles: ROLES.map(value => ({ value, label: value })) },
})

const userNotFound = () => new ApiError('not_found', { body: { error: 'Usuário não encontrado' } })
const roleRequired = () => new ApiError('bad_request', { body: { error: "Campo 'role' obrigatório." } })

/** The group name of the body: a non-empty string, else the original's 400 (checked before the user, §5.10). */
function roleName(body: unknown): string {
  const role = (body !== null && typeof body === 'object' ? (body as Record<string, unknown>).role : undefined)
  if (typeof role !== 'string' || role === '') throw roleRequired()
  return role
}

async function targetUser(deps: Deps, id: string): Promise<User> {
  const hex = toHex(id)
  const user = hex ? await deps.models.User.query().findById(hex) : undefined
  if (!user) throw userNotFound()
  return user
}

export const listUserRoles: Handler<'listUserRoles'> = async ({ params, user, deps }) => {
  requireAdmin(user)
  const target = await targetUser(deps, params.id)
  const groups = await deps.models.Group.query()
    .join('authentication_userprofile_groups', 'authentication_userprofile_groups.group_id', 'auth_group.id')
    .where('authentication_userprofile_groups.userprofile_id', target.id)
    .orderBy('authentication_userprofile_groups.id')
    .select('auth_group.name')
  return { status: 200, body: { roles: groups.map(g => g.name) } }
}

export const addUserRole: Handler<'addUserRole'> = async ({ params, body, user, deps }) => {
  requireAdmin(user)
  const name = roleName(body)
  const target = await targetUser(deps, params.id)
  // Get-or-create the group, then the membership; concurrent requests meet at the unique keys.
  const groupId = await deps.knex.transaction(async trx => {
    let group = await deps.models.Group.query(trx).where('name', name).first()
    if (!group) {
      try {
        await deps.models.Group.query(trx).insert({ name })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
      }
      group = await deps.models.Group.query(trx).where('name', name).first()
    }
    return group!.id
  })
  const exists = await deps.models.UserGroup.query().where({ userprofile_id: target.id, group_id: groupId }).first()
  if (!exists) {
    try {
      await deps.models.UserGroup.query().insert({ userprofile_id: target.id, group_id: groupId })
    } catch (err) {
      if (!isUniqueViolation(err)) throw err // added twice at once: harmless, as the original says
    }
  }
  deps.log.info({ event: 'group_added', actor: toUuid(user.id), user: toUuid(target.id), group: name }, 'user added to a group')
  return { status: 200, body: { detail: `Role '${name}' adicionada ao usuário.` } }
}

export const removeUserRole: Handler<'removeUserRole'> = async ({ params, body, user, deps }) => {
  requireAdmin(user)
  const name = roleName(body)
  const target = await targetUser(deps, params.id)
  const group = await deps.models.Group.query().where('name', name).first()
  if (!group) throw new ApiError('not_found', { body: { error: 'Role não encontrada.' } })
  await deps.models.UserGroup.query().where({ userprofile_id: target.id, group_id: group.id }).delete()
  deps.log.info({ event: 'group_removed', actor: toUuid(user.id), user: toUuid(target.id), group: name }, 'user removed from a group')
  return { status: 200, body: { detail: `Role '${name}' removida do usuário.` } }
}
