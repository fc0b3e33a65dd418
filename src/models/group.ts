import type { RelationMappings } from 'objection'
import { BaseModel, manyToMany, metaFor } from './base.js'
import { User } from './user.js'

/** auth_group (Django contrib): the "roles" of the role endpoints are group names. int id. */
export class Group extends BaseModel {
  static override tableName = 'auth_group'
  static override columns = metaFor('auth_group')
  static override timestamps = 'none' as const

  declare id: number
  declare name: string

  declare users?: User[]

  static override get relationMappings(): RelationMappings {
    return {
      users: manyToMany(
        User, 'auth_group.id',
        { from: 'authentication_userprofile_groups.group_id', to: 'authentication_userprofile_groups.userprofile_id' },
        'authentication_userprofile.id',
      ),
    }
  }
}
