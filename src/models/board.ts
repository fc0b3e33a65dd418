import type { RelationMappings } from 'objection'
import { BaseModel, metaFor } from './base.js'
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
      project: {
        relation: BaseModel.BelongsToOneRelation, modelClass: Project,
        join: { from: 'authentication_boards.project_id', to: 'authentication_projects.id' },
      },
      client: {
        relation: BaseModel.BelongsToOneRelation, modelClass: Client,
        join: { from: 'authentication_boards.client_id', to: 'authentication_clients.id' },
      },
    }
  }
}
