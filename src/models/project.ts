import type { RelationMappings } from 'objection'
import { BaseModel, metaFor } from './base.js'
import { Board } from './board.js'
import { Bot } from './bot.js'
import { Client } from './client.js'
import { Invite } from './invite.js'
import { KbLink } from './kb-link.js'
import { User } from './user.js'

const members = {
  from: 'authentication_projects.id',
  through: { from: 'authentication_projects_users.projects_id', to: 'authentication_projects_users.userprofile_id' },
  to: 'authentication_userprofile.id',
}
const bots = {
  from: 'authentication_projects.id',
  through: { from: 'authentication_projects_bots.projects_id', to: 'authentication_projects_bots.bots_id' },
  to: 'agents.id',
}

/** authentication_projects. */
export class Project extends BaseModel {
  static override tableName = 'authentication_projects'
  static override columns = metaFor('authentication_projects')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare name: string
  declare client_id: string

  declare client?: Client
  declare members?: User[]
  declare bots?: Bot[]

  static override get relationMappings(): RelationMappings {
    return {
      client: {
        relation: BaseModel.BelongsToOneRelation, modelClass: Client,
        join: { from: 'authentication_projects.client_id', to: 'authentication_clients.id' },
      },
      /** Members (authentication_projects_users). `users` is the same relation under Django's name. */
      members: { relation: BaseModel.ManyToManyRelation, modelClass: User, join: members },
      users: { relation: BaseModel.ManyToManyRelation, modelClass: User, join: members },
      /** Agents (authentication_projects_bots, char(36) columns holding 32-hex). `agents` = Django's name. */
      bots: { relation: BaseModel.ManyToManyRelation, modelClass: Bot, join: bots },
      agents: { relation: BaseModel.ManyToManyRelation, modelClass: Bot, join: bots },
      kbLinks: {
        relation: BaseModel.HasManyRelation, modelClass: KbLink,
        join: { from: 'authentication_projects.id', to: 'kb_links.project_id' },
      },
      boards: {
        relation: BaseModel.HasManyRelation, modelClass: Board,
        join: { from: 'authentication_projects.id', to: 'authentication_boards.project_id' },
      },
      invites: {
        relation: BaseModel.HasManyRelation, modelClass: Invite,
        join: { from: 'authentication_projects.id', to: 'authentication_invite.project_id' },
      },
    }
  }
}
