import type { QueryContext, RelationMappings } from 'objection'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { Project } from './project.js'

/** kb_links: project <-> n8n knowledge base. No timestamps (not a Base model). */
export class KbLink extends BaseModel {
  static override tableName = 'kb_links'
  static override columns = metaFor('kb_links')
  static override timestamps = 'none' as const
  static override generatesId = true

  declare id: string
  declare external_id: string
  declare name: string
  declare project_id: string

  declare project?: Project

  override $beforeInsert(ctx: QueryContext) {
    const d = this as unknown as Record<string, unknown>
    if (d.name === undefined || d.name === null) d.name = ''
    return super.$beforeInsert(ctx)
  }

  static override get relationMappings(): RelationMappings {
    return {
      project: belongsToOne(Project, 'kb_links.project_id', 'authentication_projects.id'),
    }
  }
}
