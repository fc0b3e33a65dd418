import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { User } from './user.js'

/** authentication_userinvites: a dead table (DECISIONS 40); kept, rows deleted with their user. */
export class UserInvite extends BaseModel {
  static override tableName = 'authentication_userinvites'
  static override columns = metaFor('authentication_userinvites')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare invitation_link: string
  declare user_id: string

  declare user?: User

  static override get relationMappings(): RelationMappings {
    return {
      user: belongsToOne(User, 'authentication_userinvites.user_id', 'authentication_userprofile.id'),
    }
  }
}
