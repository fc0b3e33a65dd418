import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { Client } from './client.js'
import { Project } from './project.js'

/** authentication_boards: one opaque dashboard config per project (DECISIONS 11). */
export class Board extends BaseModel {
  static override tableName = 'authentication_boards'
  static override columns = metaFor('authentication_boards')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare config: string
  declare project_id: string
  declare client_id: string | null

  declare project?: Project
  declare client?: Client | null

  static override get relationMappings(): RelationMappings {
    return {
      project: belongsToOne(Project, 'authentication_boards.project_id', 'authentication_projects.id'),
      client: belongsToOne(Client, 'authentication_boards.client_id', 'authentication_clients.id'),
    }
  }
}
