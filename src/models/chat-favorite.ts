import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, metaFor } from './base.js'
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
      user: belongsToOne(User, 'authentication_chatfavorite.user_id', 'authentication_userprofile.id'),
      bot: belongsToOne(Bot, 'authentication_chatfavorite.agent_id', 'agents.id'),
      session: belongsToOne(ChatSession, 'authentication_chatfavorite.session_id', 'authentication_chatsession.id'),
    }
  }
}
