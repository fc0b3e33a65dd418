import type { QueryContext, RelationMappings } from 'objection'
import { newId } from '../db/ids.js'
import { dbDateTimeIn } from '../db/time.js'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { Client } from './client.js'
import { Project } from './project.js'
import { User } from './user.js'

/**
 * authentication_invite. `token` is char(32) UNIQUE; it is NOT treated as a UUID column, so a 32-hex
 * token hash can be stored there (issue 6: tokens stored hashed, no schema change).
 */
export class Invite extends BaseModel {
  static override tableName = 'authentication_invite'
  static override columns = metaFor('authentication_invite', { notUuid: ['token'] })
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare email: string
  declare token: string
  declare expires_at: string
  declare sender_id: string
  declare role: string
  declare client_id: string
  declare project_id: string | null

  declare sender?: User
  declare client?: Client
  declare project?: Project | null

  override $beforeInsert(ctx: QueryContext) {
    const d = this as unknown as Record<string, unknown>
    if (d.token === undefined) d.token = newId()
    if (d.expires_at === undefined) d.expires_at = dbDateTimeIn(15 * 24 * 3600) // now + 15 days
    if (d.role === undefined) d.role = 'USER'
    if (d.project_id === undefined) d.project_id = null
    return super.$beforeInsert(ctx)
  }

  static override get relationMappings(): RelationMappings {
    return {
      sender: belongsToOne(User, 'authentication_invite.sender_id', 'authentication_userprofile.id'),
      client: belongsToOne(Client, 'authentication_invite.client_id', 'authentication_clients.id'),
      project: belongsToOne(Project, 'authentication_invite.project_id', 'authentication_projects.id'),
    }
  }
}
