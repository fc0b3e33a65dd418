import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, hasOne, metaFor } from './base.js'
import { BlacklistedToken } from './blacklisted-token.js'
import { User } from './user.js'

/** token_blacklist_outstandingtoken (simplejwt). created_at is the token's issue time, set by the caller. */
export class OutstandingToken extends BaseModel {
  static override tableName = 'token_blacklist_outstandingtoken'
  static override columns = metaFor('token_blacklist_outstandingtoken')
  static override timestamps = 'none' as const

  declare id: number
  declare token: string
  declare created_at: string | null
  declare expires_at: string
  declare user_id: string | null
  declare jti: string

  declare user?: User | null
  declare blacklisted?: BlacklistedToken | null

  static override get relationMappings(): RelationMappings {
    return {
      user: belongsToOne(User, 'token_blacklist_outstandingtoken.user_id', 'authentication_userprofile.id'),
      blacklisted: hasOne(BlacklistedToken, 'token_blacklist_outstandingtoken.id', 'token_blacklist_blacklistedtoken.token_id'),
    }
  }
}
