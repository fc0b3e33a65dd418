import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne } from './base.js'
import { User } from './user.js'

/** enlaight_impersonation_log (new, additive): every login-as. No FKs, so it survives user deletes. */
export class ImpersonationLog extends BaseModel {
  static override tableName = 'enlaight_impersonation_log'
  static override columns = {
    uuid: ['id', 'actor_id', 'target_id'], boolean: [], datetime: ['created_at'], date: [], maxLength: { ip: 64 }, orphan: [],
  }
  static override timestamps = 'created' as const
  static override generatesId = true

  declare id: string
  declare actor_id: string
  declare target_id: string
  declare created_at: string
  declare ip: string | null

  declare actor?: User | null
  declare target?: User | null

  static override get relationMappings(): RelationMappings {
    return {
      actor: belongsToOne(User, 'enlaight_impersonation_log.actor_id', 'authentication_userprofile.id'),
      target: belongsToOne(User, 'enlaight_impersonation_log.target_id', 'authentication_userprofile.id'),
    }
  }
}
