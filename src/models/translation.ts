import type { QueryContext } from 'objection'
import { BaseModel, metaFor } from './base.js'

/** authentication_translation: the translation cache. target_lang = lowercased primary subtag. */
export class Translation extends BaseModel {
  static override tableName = 'authentication_translation'
  static override columns = metaFor('authentication_translation')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare source_text: string
  declare target_lang: string
  declare translated_text: string
  declare namespace: string

  override $beforeInsert(ctx: QueryContext) {
    const d = this as unknown as Record<string, unknown>
    if (d.namespace === undefined || d.namespace === null) d.namespace = ''
    return super.$beforeInsert(ctx)
  }
}
