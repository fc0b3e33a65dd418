import type { RelationMappings } from 'objection'
import { BaseModel, metaFor } from './base.js'
import { Bot } from './bot.js'
import { ChatSession } from './chat-session.js'
import { User } from './user.js'

/** authentication_chatfavorite: bigint id, created_at only (not a Base model). */
export class ChatFavorite extends BaseModel {
  static override tableName = 'authentication_chatfavorite'
  static override columns = metaFor('authentication_chatfavorite')
  static override timestamps = 'created' as const

  declare id: number
  declare message_id: string
  declare text: string
  declare created_at: string
  declare agent_id: string
  declare session_id: string
  declare user_id: string

  declare user?: User
  declare bot?: Bot
  declare session?: ChatSession

  static override get relationMappings(): RelationMappings {
    return {
      user: {
        relation: BaseModel.BelongsToOneRelation, modelClass: User,
        join: { from: 'authentication_chatfavorite.user_id', to: 'authentication_userprofile.id' },
      },
      bot: {
        relation: BaseModel.BelongsToOneRelation, modelClass: Bot,
        join: { from: 'authentication_chatfavorite.agent_id', to: 'agents.id' },
      },
      session: {
        relation: BaseModel.BelongsToOneRelation, modelClass: ChatSession,
        join: { from: 'authentication_chatfavorite.session_id', to: 'authentication_chatsession.id' },
      },
    }
  }
}
