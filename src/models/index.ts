// The model registry.
//
// ID CONVENTION (one rule, everywhere): model properties hold UUIDs exactly as stored — 32 lowercase
// hex digits, no hyphens (Django's uuid.hex, database.md §1.3) — for `id` and every column that
// points at a UUID pk (client_id, user_id, agent_id, projects_id/bots_id of the char(36) through
// table, ...). Convert only at the API edge: incoming ids with `toHex()` (src/db/ids.ts; null means
// "not a UUID" -> 404/400 before any SQL), outgoing ids with `toUuid()` (hyphenated lowercase).
// On write, a UUID column given in any accepted spelling is normalised to 32-hex (garbage throws an
// objection ValidationError, statusCode 400); on read, hyphenated values found in old rows are
// normalised to 32-hex (DECISIONS 36). Not UUID columns: message_id, external_id, session_key, jti,
// invite `token` (holds a token hash), and the int/bigint ids (favorites, tokens, groups, join rows).
//
// DATETIMES: properties hold naive-UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (microseconds kept; a JS Date
// would drop them), `joined_at` holds 'YYYY-MM-DD'. Helpers in src/db/time.ts (nowDb, toApiDateTime...).
// Writing a Date works too (it is converted). BOOLEANS: true/false on both dialects.
//
// TIMESTAMPS (database.md §1.8): Base tables get id (v4), created_at = now, updated_at = null on insert
// and updated_at = now on every update (skip with `.context({ skipUpdatedAt: true })`, like Django's
// QuerySet.update()). Chat favorites get created_at only; kb_links nothing. Every NOT NULL column gets
// Django's app default when left out (User, Invite, KbLink, Translation, BlacklistedToken).
//
// Unbound classes are exported for types and static metadata; use `bindModels(knex)` for queries so
// two app instances with different databases can live in one process.
import type { Knex } from 'knex'
import { BlacklistedToken } from './blacklisted-token.js'
import { Board } from './board.js'
import { Bot } from './bot.js'
import { ChatFavorite } from './chat-favorite.js'
import { ChatSession } from './chat-session.js'
import { Client } from './client.js'
import { ExpertiseArea } from './expertise-area.js'
import { Group } from './group.js'
import { ImpersonationLog } from './impersonation-log.js'
import { Invite } from './invite.js'
import { ProjectBot, ProjectMember, UserGroup } from './join-tables.js'
import { KbLink } from './kb-link.js'
import { OutstandingToken } from './outstanding-token.js'
import { Project } from './project.js'
import { Translation } from './translation.js'
import { UserInvite } from './user-invite.js'
import { User } from './user.js'

export {
  BlacklistedToken, Board, Bot, ChatFavorite, ChatSession, Client, ExpertiseArea, Group, ImpersonationLog, Invite,
  KbLink, OutstandingToken, Project, ProjectBot, ProjectMember, Translation, User, UserGroup, UserInvite,
}
export { BaseModel } from './base.js'
export { ROLES, unusablePassword } from './user.js'

export const models = {
  User,
  Client,
  Project,
  Bot,
  ExpertiseArea,
  KbLink,
  ChatSession,
  ChatFavorite,
  Board,
  Invite,
  UserInvite,
  Translation,
  OutstandingToken,
  BlacklistedToken,
  Group,
  ImpersonationLog,
  ProjectMember,
  ProjectBot,
  UserGroup,
}

export type Models = typeof models
export type ModelName = keyof Models

/** The registry bound to one knex instance (or transaction). Cheap; relations follow the binding. */
export function bindModels(knex: Knex): Models {
  const bound: Record<string, unknown> = {}
  for (const [name, M] of Object.entries(models)) bound[name] = M.bindKnex(knex)
  return bound as Models
}
