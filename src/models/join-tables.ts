// The join tables as models, for direct reads/writes (membership checks, attach/detach, delete plans).
import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { Bot } from './bot.js'
import { Group } from './group.js'
import { Project } from './project.js'
import { User } from './user.js'

/** authentication_projects_users (membership). Guarded by the client-scope triggers (database.md §4). */
export class ProjectMember extends BaseModel {
  static override tableName = 'authentication_projects_users'
  static override columns = metaFor('authentication_projects_users')

  declare id: number
  declare projects_id: string
  declare userprofile_id: string

  static override get relationMappings(): RelationMappings {
    return {
      project: belongsToOne(Project, 'authentication_projects_users.projects_id', 'authentication_projects.id'),
      user: belongsToOne(User, 'authentication_projects_users.userprofile_id', 'authentication_userprofile.id'),
    }
  }
}

/** authentication_projects_bots (ProjectsAgentsThrough): char(36) columns, 32-hex values. */
export class ProjectBot extends BaseModel {
  static override tableName = 'authentication_projects_bots'
  static override columns = metaFor('authentication_projects_bots')

  declare id: number
  declare projects_id: string
  declare bots_id: string

  static override get relationMappings(): RelationMappings {
    return {
      project: belongsToOne(Project, 'authentication_projects_bots.projects_id', 'authentication_projects.id'),
      bot: belongsToOne(Bot, 'authentication_projects_bots.bots_id', 'agents.id'),
    }
  }
}

/** authentication_userprofile_groups. */
export class UserGroup extends BaseModel {
  static override tableName = 'authentication_userprofile_groups'
  static override columns = metaFor('authentication_userprofile_groups')

  declare id: number
  declare userprofile_id: string
  declare group_id: number

  static override get relationMappings(): RelationMappings {
    return {
      user: belongsToOne(User, 'authentication_userprofile_groups.userprofile_id', 'authentication_userprofile.id'),
      group: belongsToOne(Group, 'authentication_userprofile_groups.group_id', 'auth_group.id'),
    }
  }
}
