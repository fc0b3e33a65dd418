import type { QueryContext, RelationMappings } from 'objection'
import { nowDb } from '../db/time.js'
import { BaseModel, belongsToOne, metaFor } from './base.js'
import { OutstandingToken } from './outstanding-token.js'

/** token_blacklist_blacklistedtoken (simplejwt): one row per blacklisted outstanding token. */
export class BlacklistedToken extends BaseModel {
  static override tableName = 'token_blacklist_blacklistedtoken'
  static override columns = metaFor('token_blacklist_blacklistedtoken')
  static override timestamps = 'none' as const

  declare id: number
  declare blacklisted_at: string
  declare token_id: number

  declare token?: OutstandingToken

  override $beforeInsert(ctx: QueryContext) {
    const d = this as unknown as Record<string, unknown>
    if (d.blacklisted_at === undefined || d.blacklisted_at === null) d.blacklisted_at = nowDb()
    return super.$beforeInsert(ctx)
  }

  static override get relationMappings(): RelationMappings {
    return {
      token: belongsToOne(OutstandingToken, 'token_blacklist_blacklistedtoken.token_id', 'token_blacklist_outstandingtoken.id'),
    }
  }
}
