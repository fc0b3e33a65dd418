import type { RelationMappings } from 'objection'
import { BaseModel, belongsToOne, hasMany, metaFor } from './base.js'
import { Bot } from './bot.js'
import { ChatFavorite } from './chat-favorite.js'
import { User } from './user.js'

/** authentication_chatsession. `data` is the first message text, not a message array. */
export class ChatSession extends BaseModel {
  static override tableName = 'authentication_chatsession'
  static override columns = metaFor('authentication_chatsession')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare created_at: string
  declare updated_at: string | null
  declare session_key: string
  declare data: string | null
  declare agent_id: string
  declare user_id: string

  declare user?: User
  declare bot?: Bot
  declare favorites?: ChatFavorite[]

  static override get relationMappings(): RelationMappings {
    return {
      user: belongsToOne(User, 'authentication_chatsession.user_id', 'authentication_userprofile.id'),
      bot: belongsToOne(Bot, 'authentication_chatsession.agent_id', 'agents.id'),
      favorites: hasMany(ChatFavorite, 'authentication_chatsession.id', 'authentication_chatfavorite.session_id'),
    }
  }
}
