// What the engine needs to know about a model: table, primary key, column kinds, relations; and models
// defined generically from an x-crud declaration (`table:`) plus the spec's component schema.
import { type Model, type ModelClass as ObjectionModelClass, type Relation, type RelationMappings } from 'objection'
import type { Knex } from 'knex'
import { DJANGO_TABLES } from '../../db/django-schema.js'
import { BaseModel, belongsToOne, hasMany, manyToMany, type ColumnMeta, type Timestamps } from '../../models/base.js'
import type { ColumnTypeDecl, RelationDecl } from './declaration.js'

export type ModelClass = typeof BaseModel
export type ColumnKind = 'uuid' | 'datetime' | 'date' | 'boolean' | 'int' | 'string'

export interface ModelMeta {
  name: string
  Model: any // the (bound) Objection class; typed loosely because BaseModel is abstract
  table: string
  idColumn: string
  idKind: ColumnKind
  columns: ColumnMeta
  /** Column names in table order (Django schema or declared), for start-up checks. Empty = unknown (not checked). */
  knownColumns: Set<string>
  kindOf(column: string): ColumnKind
  relation(name: string): Relation | undefined
}

const metaCache = new WeakMap<object, ModelMeta>()

export function metaOf(name: string, M: ModelClass): ModelMeta {
  const hit = metaCache.get(M)
  if (hit && hit.name === name) return hit
  const columns: ColumnMeta = (M as any).columns ?? { uuid: [], boolean: [], datetime: [], date: [], maxLength: {}, orphan: [] }
  const django = DJANGO_TABLES.find(t => t.name === M.tableName)
  const ints: string[] = [
    ...((M as any).intColumns ?? []),
    ...(django?.columns.filter(c => /^(big|small)?int\b/.test(c.type)).map(c => c.name) ?? []),
  ]
  const idColumn = String(M.idColumn)
  const kindOf = (c: string): ColumnKind => {
    if (columns.uuid.includes(c)) return 'uuid'
    if (columns.datetime.includes(c)) return 'datetime'
    if (columns.date.includes(c)) return 'date'
    if (columns.boolean.includes(c)) return 'boolean'
    if (ints.includes(c)) return 'int'
    return 'string'
  }
  const declared: string[] = (M as any).declaredColumns ?? []
  const known = new Set<string>([
    ...(django?.columns.map(c => c.name).filter(c => !columns.orphan.includes(c)) ?? []), ...declared,
  ])
  const idKind: ColumnKind = columns.uuid.includes(idColumn) ? 'uuid' : 'int'
  const meta: ModelMeta = {
    name, Model: M, table: M.tableName, idColumn, idKind, columns, knownColumns: known, kindOf,
    relation(rel) {
      try { return M.getRelations()[rel] } catch { return undefined }
    },
  }
  metaCache.set(M, meta)
  return meta
}

/** How a query names the model's table: its alias when Objection aliased it (relatedQuery subqueries), else the table. */
export function tableRef(qb: any, meta: { table: string }): string {
  return typeof qb?.tableRefFor === 'function' ? qb.tableRefFor(meta.table) : meta.table
}

/**
 * A relation's key columns when each side joins on one column: owner[ownerKey] = related[relatedKey], or through
 * a join table (owner[ownerKey] = join[ownerColumn], join[relatedColumn] = related[relatedKey]). Undefined for a
 * composite key, which the engine does not follow.
 */
export interface RelationKeys { ownerKey: string, relatedKey: string, through?: { table: string, ownerColumn: string, relatedColumn: string } }

export function relationKeys(relation: Relation | undefined): RelationKeys | undefined {
  const r = relation as any
  const one = (prop: { cols?: string[] } | undefined) => (prop?.cols?.length === 1 ? prop.cols[0] : undefined)
  const ownerKey = one(r?.ownerProp)
  const relatedKey = one(r?.relatedProp)
  if (!ownerKey || !relatedKey) return undefined
  if (!r.joinTable) return { ownerKey, relatedKey }
  const ownerColumn = one(r.joinTableOwnerProp)
  const relatedColumn = one(r.joinTableRelatedProp)
  if (!ownerColumn || !relatedColumn) return undefined
  return { ownerKey, relatedKey, through: { table: r.joinTable, ownerColumn, relatedColumn } }
}

let aliasSeq = 0
/** A fresh table alias for a correlated subquery (so a table joined to itself stays unambiguous). */
export function nextAlias(): string {
  aliasSeq = (aliasSeq + 1) % 1_000_000
  return `__r${aliasSeq}`
}

/** Model name of a (possibly bound) class, found in the registry by table name. */
export function nameOfModel(models: Record<string, ModelClass>, M: typeof Model): string | undefined {
  for (const [name, candidate] of Object.entries(models)) if (candidate.tableName === M.tableName) return name
  return undefined
}

// ---- generic models (the generality proof: a resource with no TypeScript) ----------------------------

export interface GenericModelSpec {
  name: string
  table: string
  columns: Record<string, ColumnTypeDecl>
  relations: Record<string, RelationDecl>
  timestamps?: Timestamps
}

/**
 * Every model an OpenAPI document defines through x-crud `table:` blocks, as unbound BaseModel classes.
 * Columns: the properties of components.schemas[<model>] (format uuid/date-time/date, boolean, integer,
 * maxLength) merged with x-crud `columns`; relations from x-crud `relations` (target models may be existing
 * ones). Call it before the policies are loaded, so policy files can name these subjects.
 */
export function modelsFromSpec(spec: Record<string, any>, existing: Record<string, ModelClass> = {}): Record<string, ModelClass> {
  const specs = new Map<string, GenericModelSpec>()
  for (const item of Object.values<Record<string, any>>(spec.paths ?? {})) {
    for (const op of Object.values<any>(item)) {
      const crud = op && typeof op === 'object' ? op['x-crud'] : undefined
      if (!crud || typeof crud.table !== 'string' || typeof crud.model !== 'string') continue
      const name = crud.model as string
      if (existing[name]) throw new Error(`x-crud defines model ${name} with table ${crud.table}, but ${name} already exists`)
      const prev = specs.get(name) ?? { name, table: crud.table, columns: {}, relations: {}, timestamps: undefined }
      if (prev.table !== crud.table) throw new Error(`x-crud model ${name}: two different tables (${prev.table}, ${crud.table})`)
      Object.assign(prev.columns, columnsFromSchema(spec.components?.schemas?.[crud.schema ?? name]), crud.columns ?? {})
      Object.assign(prev.relations, crud.relations ?? {})
      prev.timestamps = crud.timestamps ?? prev.timestamps
      specs.set(name, prev)
    }
  }
  const defined: Record<string, ModelClass> = {}
  const lookup = (n: string): ModelClass => {
    const M = defined[n] ?? existing[n]
    if (!M) throw new Error(`x-crud relation points at unknown model ${n}`)
    return M
  }
  for (const s of specs.values()) defined[s.name] = defineModel(s, lookup)
  return defined
}

function columnsFromSchema(schema: any): Record<string, ColumnTypeDecl> {
  const out: Record<string, ColumnTypeDecl> = {}
  for (const [col, prop] of Object.entries<any>(schema?.properties ?? {})) {
    const types = ([] as string[]).concat(prop?.type ?? [])
    if (prop?.format === 'uuid') out[col] = 'uuid'
    else if (prop?.format === 'date-time') out[col] = 'datetime'
    else if (prop?.format === 'date') out[col] = 'date'
    else if (types.includes('boolean')) out[col] = 'boolean'
    else if (types.includes('integer')) out[col] = 'int'
    else if (typeof prop?.maxLength === 'number') out[col] = { maxLength: prop.maxLength }
    else if (types.includes('string')) out[col] = 'string'
  }
  return out
}

export function defineModel(s: GenericModelSpec, lookup: (name: string) => ModelClass): ModelClass {
  const meta: ColumnMeta = { uuid: [], boolean: [], datetime: [], date: [], maxLength: {}, orphan: [] }
  const ints: string[] = []
  for (const [col, t] of Object.entries(s.columns)) {
    if (t === 'uuid') meta.uuid.push(col)
    else if (t === 'datetime') meta.datetime.push(col)
    else if (t === 'date') meta.date.push(col)
    else if (t === 'boolean') meta.boolean.push(col)
    else if (t === 'int') ints.push(col)
    else if (typeof t === 'object') meta.maxLength[col] = t.maxLength
  }
  const cols = Object.keys(s.columns)
  const timestamps: Timestamps = s.timestamps
    ?? (cols.includes('created_at') && cols.includes('updated_at') ? 'base' : cols.includes('created_at') ? 'created' : 'none')
  const table = s.table
  const relations = s.relations
  const Generic = class extends BaseModel {
    static override tableName = table
    static override columns = meta
    static override timestamps = timestamps
    static override generatesId = meta.uuid.includes('id')
    static intColumns = ints
    static declaredColumns = cols
    static columnNames = cols // read by the policy engine for tables outside database.md
    static override get relationMappings() {
      const out: RelationMappings = {}
      for (const [rel, r] of Object.entries(relations)) {
        const Target = lookup(r.model) as unknown as ObjectionModelClass<any> // a concrete class (ModelClass is abstract)
        const to = `${Target.tableName}.${r.to ?? 'id'}`
        const from = `${table}.${r.from}`
        if (r.through) out[rel] = manyToMany(Target, from, { from: `${r.through.table}.${r.through.from}`, to: `${r.through.table}.${r.through.to}` }, to)
        else out[rel] = (r.many ? hasMany : belongsToOne)(Target, from, to)
      }
      return out
    }
  }
  Object.defineProperty(Generic, 'name', { value: s.name })
  return Generic as unknown as ModelClass
}

/** Binds generic classes to a knex instance (as bindModels does for the registry). */
export function bindGeneric(models: Record<string, ModelClass>, knex: Knex): Record<string, ModelClass> {
  return Object.fromEntries(Object.entries(models).map(([n, M]) => [n, M.bindKnex(knex) as ModelClass]))
}
