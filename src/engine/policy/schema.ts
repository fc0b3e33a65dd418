// What the policy engine knows about the models: table, id, columns and relations, read from the
// Objection registry (relation mappings) and the frozen Django schema (columns).
import type { Knex } from 'knex'
import type { Model } from 'objection'
import { DJANGO_TABLES } from '../../db/django-schema.js'

export type RelationKind = 'belongsTo' | 'hasMany' | 'manyToMany'

export interface RelationInfo {
  name: string
  kind: RelationKind
  /** True for hasMany / manyToMany: the path yields a list. */
  toMany: boolean
  /** Column of the owner table (belongsTo: the foreign key; otherwise the owner's key). */
  ownerCol: string
  /** Column of the related table (belongsTo: the related key; hasMany: its foreign key; manyToMany: its key). */
  relatedCol: string
  joinTable?: string
  joinOwnerCol?: string
  joinRelatedCol?: string
  related: string
}

export interface ModelInfo {
  name: string
  table: string
  idColumn: string
  columns: string[]
  relations: Map<string, RelationInfo>
  modelClass: ModelClass
}

export type ModelClass = typeof Model & { columns?: Record<string, unknown>, columnNames?: string[] }
export type ModelRegistry = Record<string, ModelClass>
export type Schema = Map<string, ModelInfo>

export interface SchemaOptions {
  /** Exact column lists per model name (e.g. from `columnsFromDatabase`); wins over everything else. */
  columns?: Record<string, string[]>
}

/** Describes every model of the registry. Throws on relations the SQL compiler cannot follow. */
export function describeModels(models: ModelRegistry, options: SchemaOptions = {}): Schema {
  const byTable = new Map<string, string>()
  for (const [name, M] of Object.entries(models)) byTable.set(M.tableName, name)
  const schema: Schema = new Map()
  for (const [name, M] of Object.entries(models)) {
    const idColumn = single(M.idColumn, `${name}.idColumn`)
    const relations = new Map<string, RelationInfo>()
    for (const [relName, rel] of Object.entries<any>((M as any).getRelations())) {
      const related = byTable.get(rel.relatedModelClass.tableName)
      if (!related) continue // a relation to a model outside the registry cannot appear in a policy
      const kindName: string = rel.constructor.name
      const ownerCol = single(rel.ownerProp.cols, `${name}.${relName}`)
      const relatedCol = single(rel.relatedProp.cols, `${name}.${relName}`)
      if (kindName === 'ManyToManyRelation') {
        relations.set(relName, {
          name: relName, kind: 'manyToMany', toMany: true, ownerCol, relatedCol, related,
          joinTable: rel.joinTable,
          joinOwnerCol: single(rel.joinTableOwnerProp.cols, `${name}.${relName}`),
          joinRelatedCol: single(rel.joinTableRelatedProp.cols, `${name}.${relName}`),
        })
      } else if (kindName === 'BelongsToOneRelation') {
        relations.set(relName, { name: relName, kind: 'belongsTo', toMany: false, ownerCol, relatedCol, related })
      } else if (kindName === 'HasManyRelation' || kindName === 'HasOneRelation') {
        // HasOne behaves like HasMany in SQL (EXISTS) and in memory (a single object or none).
        relations.set(relName, { name: relName, kind: 'hasMany', toMany: kindName === 'HasManyRelation', ownerCol, relatedCol, related })
      }
    }
    schema.set(name, {
      name, table: M.tableName, idColumn, relations, modelClass: M,
      columns: options.columns?.[name] ?? columnsOf(M, relations, idColumn),
    })
  }
  return schema
}

function single(cols: string | string[], where: string): string {
  const list = Array.isArray(cols) ? cols : [cols]
  if (list.length !== 1) throw new Error(`policy engine: ${where} uses a composite key (${list.join(', ')}), which policies cannot follow`)
  return list[0]
}

// database.md tables come from the frozen Django schema (orphan columns excluded: never read).
// Other tables (new, additive ones; test fixtures) fall back to what the model itself declares.
function columnsOf(M: ModelClass, relations: Map<string, RelationInfo>, idColumn: string): string[] {
  const table = DJANGO_TABLES.find((t) => t.name === M.tableName)
  if (table) {
    const orphan = new Set(table.orphanColumns ?? [])
    return table.columns.map((c) => c.name).filter((c) => !orphan.has(c))
  }
  const cols = new Set<string>([idColumn])
  for (const c of M.columnNames ?? []) cols.add(c)
  const meta = (M.columns ?? {}) as Record<string, unknown>
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'orphan') continue
    if (Array.isArray(value)) value.forEach((c) => cols.add(String(c)))
    else if (value && typeof value === 'object') Object.keys(value).forEach((c) => cols.add(c))
  }
  const props = (M as any).jsonSchema?.properties
  if (props && typeof props === 'object') Object.keys(props).forEach((c) => cols.add(c))
  for (const r of relations.values()) if (r.kind === 'belongsTo') cols.add(r.ownerCol)
  for (const c of (meta.orphan as string[] | undefined) ?? []) cols.delete(c)
  return [...cols]
}

/** Exact column lists read from the database (for models whose table is not in database.md). */
export async function columnsFromDatabase(knex: Knex, models: ModelRegistry): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const [name, M] of Object.entries(models)) {
    if (!(await knex.schema.hasTable(M.tableName))) continue
    const orphan = new Set<string>(((M.columns as any)?.orphan as string[] | undefined) ?? [])
    out[name] = Object.keys(await knex(M.tableName).columnInfo()).filter((c) => !orphan.has(c))
  }
  return out
}

/** Walks a dotted path: leading segments that are relations, then at most one column. */
export interface ResolvedPath {
  hops: RelationInfo[]
  /** The column at the end, or '' when the path ends at a relation. */
  column: string
  /** The model the column (or the last relation) belongs to. */
  model: ModelInfo
}

export function resolvePath(schema: Schema, model: ModelInfo, path: string): ResolvedPath | { error: string, at: number, model: ModelInfo } {
  const segments = path.split('.')
  const hops: RelationInfo[] = []
  let current = model
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]
    const rel = current.relations.get(seg)
    if (rel) {
      hops.push(rel)
      current = schema.get(rel.related)!
      continue
    }
    if (current.columns.includes(seg) && i === segments.length - 1) return { hops, column: seg, model: current }
    if (current.columns.includes(seg)) return { error: `"${seg}" is a column of ${current.name}, not a relation`, at: i, model: current }
    return { error: `unknown field "${seg}" on ${current.name}`, at: i, model: current }
  }
  return { hops, column: '', model: current }
}
