import { randomInt } from 'node:crypto'
import type { QueryContext, RelationMappings } from 'objection'
import { dbDateTimeIn, nowDb, todaySaoPaulo } from '../db/time.js'
import { BaseModel, belongsToOne, hasMany, manyToMany, metaFor } from './base.js'
import { ChatSession } from './chat-session.js'
import { Client } from './client.js'
import { Group } from './group.js'
import { Invite } from './invite.js'
import { OutstandingToken } from './outstanding-token.js'
import { Project } from './project.js'

export const ROLES = ['ADMINISTRATOR', 'MANAGER', 'USER'] as const

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
/** Django's unusable password: '!' + 40 random [a-zA-Z0-9] (never verifies). */
export function unusablePassword(): string {
  let s = '!'
  for (let i = 0; i < 40; i++) s += ALNUM[randomInt(ALNUM.length)]
  return s
}

/** authentication_userprofile (AUTH_USER_MODEL). */
export class User extends BaseModel {
  static override tableName = 'authentication_userprofile'
  static override columns = metaFor('authentication_userprofile')
  static override timestamps = 'base' as const
  static override generatesId = true

  declare id: string
  declare password: string
  declare last_login: string | null
  declare is_superuser: boolean
  declare username: string
  declare first_name: string
  declare last_name: string
  declare is_staff: boolean
  declare is_active: boolean
  declare date_joined: string
  declare created_at: string
  declare updated_at: string | null
  declare email: string
  declare role: string
  declare password_reset_token: string | null
  declare password_reset_token_expires_at: string | null
  declare active: boolean
  declare avatar: string | null
  declare client_id: string | null
  declare department: string
  declare full_name: string
  declare job_title: string
  declare joined_at: string

  declare client?: Client | null
  declare projects?: Project[]
  declare groups?: Group[]
  declare chatSessions?: ChatSession[]

  /** Django's model defaults for every NOT NULL column left out (database.md §3.1, §10). */
  override $beforeInsert(ctx: QueryContext) {
    const d = this as unknown as Record<string, unknown>
    const def = (k: string, v: () => unknown) => { if (d[k] === undefined) d[k] = v() }
    def('password', unusablePassword)
    def('last_login', () => null)
    def('is_superuser', () => false)
    def('first_name', () => '')
    def('last_name', () => '')
    def('is_staff', () => false)
    def('is_active', () => true)
    def('date_joined', nowDb)
    def('role', () => 'USER')
    def('password_reset_token', () => null)
    def('password_reset_token_expires_at', () => dbDateTimeIn(3600)) // model default: now + 1 h
    def('active', () => true)
    def('avatar', () => '')
    def('client_id', () => null)
    def('department', () => '')
    def('full_name', () => '')
    def('job_title', () => '')
    def('joined_at', () => todaySaoPaulo())
    return super.$beforeInsert(ctx)
  }

  /** Admin = role ADMINISTRATOR or legacy ADMIN, any case (DECISIONS, Roles). */
  isAdmin(): boolean {
    const r = (this.role ?? '').toUpperCase()
    return r === 'ADMINISTRATOR' || r === 'ADMIN'
  }

  /**
   * `query().findById(id)`, same SQL, through knex alone: Objection's query-builder machinery costs some
   * 35 µs of CPU a statement, and the user lookup runs on every authenticated request.
   */
  static async readById(id: string): Promise<User | undefined> {
    const table = this.tableName
    const row = await this.knex()(table).select(`${table}.*`).where(`${table}.id`, id).first()
    return row === undefined ? undefined : this.fromDatabaseJson(row)
  }

  static override get relationMappings(): RelationMappings {
    return {
      client: belongsToOne(Client, 'authentication_userprofile.client_id', 'authentication_clients.id'),
      projects: manyToMany(
        Project, 'authentication_userprofile.id',
        { from: 'authentication_projects_users.userprofile_id', to: 'authentication_projects_users.projects_id' },
        'authentication_projects.id',
      ),
      groups: manyToMany(
        Group, 'authentication_userprofile.id',
        { from: 'authentication_userprofile_groups.userprofile_id', to: 'authentication_userprofile_groups.group_id' },
        'auth_group.id',
      ),
      chatSessions: hasMany(ChatSession, 'authentication_userprofile.id', 'authentication_chatsession.user_id'),
      invitesSent: hasMany(Invite, 'authentication_userprofile.id', 'authentication_invite.sender_id'),
      outstandingTokens: hasMany(OutstandingToken, 'authentication_userprofile.id', 'token_blacklist_outstandingtoken.user_id'),
    }
  }
}
