import type { RelationMappings } from 'objection'
import { BaseModel, hasMany, metaFor } from './base.js'
import { Bot } from './bot.js'

/** expertise_areas. Name unique case-insensitively (uq_expertisearea_name_ci). Orphan `active` ignored. */
export class ExpertiseArea extends BaseModel {
  static override tableName = 'expertise_areas'
  static override columns = metaFor('expertise_areas')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare name: string
  declare description: string | null

  declare bots?: Bot[]

  static override get relationMappings(): RelationMappings {
    return {
      bots: hasMany(Bot, 'expertise_areas.id', 'agents.expertise_area_id'),
    }
  }
}
