import type { RelationMappings } from 'objection'
import { BaseModel, metaFor } from './base.js'
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
      projects: {
        relation: BaseModel.HasManyRelation, modelClass: Project,
        join: { from: 'authentication_clients.id', to: 'authentication_projects.client_id' },
      },
      users: {
        relation: BaseModel.HasManyRelation, modelClass: User,
        join: { from: 'authentication_clients.id', to: 'authentication_userprofile.client_id' },
      },
      boards: {
        relation: BaseModel.HasManyRelation, modelClass: Board,
        join: { from: 'authentication_clients.id', to: 'authentication_boards.client_id' },
      },
      invites: {
        relation: BaseModel.HasManyRelation, modelClass: Invite,
        join: { from: 'authentication_clients.id', to: 'authentication_invite.client_id' },
      },
    }
  }
}
