// SQL that does not change between requests, compiled by knex once and reused as raw SQL: the part of a
// builder's statement after a known prefix (`select * where ` for a condition, `select ` for a column).
import type { Knex } from 'knex'

export interface SqlFragment { text: string, bindings: readonly unknown[] }

export function sqlFragment(builder: Knex.QueryBuilder, prefix: string): SqlFragment {
  const { sql, bindings } = builder.toSQL()
  if (!sql.startsWith(prefix)) throw new Error(`expected SQL starting with "${prefix}", got ${sql}`)
  return { text: sql.slice(prefix.length), bindings }
}
