import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, hasMany, manyToMany, metaFor } from './base.js'
import { ChatFavorite } from './chat-favorite.js'
import { ChatSession } from './chat-session.js'
import { ExpertiseArea } from './expertise-area.js'
import { Project } from './project.js'

/** agents (bots/assistants). The orphan `active` column is never read nor written (database.md §5.3). */
export class Bot extends BaseModel {
  static override tableName = 'agents'
  static override columns = metaFor('agents')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare name: string
  declare description: string | null
  declare avatar: string | null
  declare url_n8n: string
  declare expertise_area_id: string | null

  declare projects?: Project[]
  declare expertiseArea?: ExpertiseArea | null
  declare chatSessions?: ChatSession[]

  static override get relationMappings(): RelationMappings {
    return {
      projects: manyToMany(
        Project, 'agents.id',
        { from: 'authentication_projects_bots.bots_id', to: 'authentication_projects_bots.projects_id' },
        'authentication_projects.id',
      ),
      expertiseArea: belongsToOne(ExpertiseArea, 'agents.expertise_area_id', 'expertise_areas.id'),
      chatSessions: hasMany(ChatSession, 'agents.id', 'authentication_chatsession.agent_id'),
      favorites: hasMany(ChatFavorite, 'agents.id', 'authentication_chatfavorite.agent_id'),
    }
  }
}
