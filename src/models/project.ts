import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, hasMany, manyToMany, metaFor } from './base.js'
import { Board } from './board.js'
import { Bot } from './bot.js'
import { Client } from './client.js'
import { Invite } from './invite.js'
import { KbLink } from './kb-link.js'
import { User } from './user.js'

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
    const members = manyToMany(
      User, 'authentication_projects.id',
      { from: 'authentication_projects_users.projects_id', to: 'authentication_projects_users.userprofile_id' },
      'authentication_userprofile.id',
    )
    const bots = manyToMany(
      Bot, 'authentication_projects.id',
      { from: 'authentication_projects_bots.projects_id', to: 'authentication_projects_bots.bots_id' },
      'agents.id',
    )
    return {
      client: belongsToOne(Client, 'authentication_projects.client_id', 'authentication_clients.id'),
      /** Members (authentication_projects_users). `users` is the same relation under Django's name. */
      members,
      users: { ...members },
      /** Agents (authentication_projects_bots, char(36) columns holding 32-hex). `agents` = Django's name. */
      bots,
      agents: { ...bots },
      kbLinks: hasMany(KbLink, 'authentication_projects.id', 'kb_links.project_id'),
      boards: hasMany(Board, 'authentication_projects.id', 'authentication_boards.project_id'),
      invites: hasMany(Invite, 'authentication_projects.id', 'authentication_invite.project_id'),
    }
  }
}
