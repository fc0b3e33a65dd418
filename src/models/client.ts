import type { RelationMappings } from 'objection'
import { BaseModel, hasMany, metaFor } from './base.js'
import { Board } from './board.js'
import { Invite } from './invite.js'
import { Project } from './project.js'
import { User } from './user.js'

/** authentication_clients. */
export class Client extends BaseModel {
  static override tableName = 'authentication_clients'
  static override columns = metaFor('authentication_clients')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare name: string

  declare projects?: Project[]
  declare users?: User[]

  static override get relationMappings(): RelationMappings {
    return {
      projects: hasMany(Project, 'authentication_clients.id', 'authentication_projects.client_id'),
      users: hasMany(User, 'authentication_clients.id', 'authentication_userprofile.client_id'),
      boards: hasMany(Board, 'authentication_clients.id', 'authentication_boards.client_id'),
      invites: hasMany(Invite, 'authentication_clients.id', 'authentication_invite.client_id'),
    }
  }
}
