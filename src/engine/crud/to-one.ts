// A column read through to-one relations (`client.name` from a project) as a correlated subquery:
//   (select `__r1`.`name` from `authentication_clients` as `__r1` where `__r1`.`id` = `authentication_projects`.`client_id`)
// Output fields and orderings select it. Its SQL depends only on the path, the outer table's name in the
// query and the dialect, so it is built and compiled once for each and reused as raw SQL.
import type { Knex } from 'knex'
import { dialectOf } from '../../db/connection.js'
import { sqlFragment } from '../../db/fragment.js'
import { nextAlias, relationKeys, type ModelMeta } from './model-meta.js'

interface Hop { table: string, alias: string, ownerColumn: string, relatedColumn: string }

export class ToOnePath {
  private readonly hops: Hop[]
  private readonly compiled = new Map<string, string>()

  constructor(chain: ModelMeta[], relations: string[], private readonly column: string) {
    this.hops = relations.map((name, i) => {
      const relation = chain[i].relation(name) as any
      const keys = relationKeys(relation)
      // Of the to-one relations, the model helpers make only belongs-to-one and has-one (one key each, no join table).
      if (!relation?.isOneToOne() || !keys || keys.through) {
        throw new Error(`${chain[i].name}.${name}: a path must follow to-one relations on one key column`)
      }
      return { table: relation.relatedModelClass.getTableName(), alias: nextAlias(), ownerColumn: keys.ownerKey, relatedColumn: keys.relatedKey }
    })
  }

  /** `(subquery) as <as>`, for a query (Objection or knex) whose outer table is referred to as `outerRef`. */
  selectAs(knex: Knex, outerRef: string, as: string): Knex.Raw {
    const key = `${dialectOf(knex)}\u0000${outerRef}\u0000${as}`
    let sql = this.compiled.get(key)
    if (sql === undefined) {
      sql = sqlFragment(knex.queryBuilder().select(this.subquery(knex, 0, outerRef).as(as)), 'select ').text
      this.compiled.set(key, sql)
    }
    return knex.raw(sql)
  }

  private subquery(knex: Knex, index: number, outerRef: string): Knex.QueryBuilder {
    const hop = this.hops[index]
    const sub = knex.from({ [hop.alias]: hop.table }).where(`${hop.alias}.${hop.relatedColumn}`, knex.ref(`${outerRef}.${hop.ownerColumn}`))
    if (index === this.hops.length - 1) return sub.select(`${hop.alias}.${this.column}`)
    return sub.select(this.subquery(knex, index + 1, hop.alias).as('v'))
  }
}
