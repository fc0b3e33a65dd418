// Shared behaviour of every model: column conversions both ways and the Base timestamps (database.md §1.8).
import { Model, ValidationError, type JSONSchema, type ModelClass, type Pojo, type QueryContext, type ModelOptions, type RelationMapping } from 'objection'
import { DJANGO_TABLES } from '../db/django-schema.js'
import { newId, toHex } from '../db/ids.js'
import { normalizeDbDate, normalizeDbDateTime, nowDb } from '../db/time.js'

export type Timestamps = 'base' | 'created' | 'none'

export interface ColumnMeta {
  uuid: string[] // char(32)/char(36) holding UUIDs: 32-hex in and out
  boolean: string[] // tinyint(1)
  datetime: string[] // datetime(6): storage text 'YYYY-MM-DD HH:MM:SS.ffffff'
  date: string[] // date: 'YYYY-MM-DD'
  maxLength: Record<string, number> // varchar/char lengths (checked before SQL: SQLite does not)
  orphan: string[] // in the DB, not in the model (database.md §5.3): never read, never written
}

/** Column metadata derived from the frozen Django schema, plus overrides. */
export function metaFor(table: string, opts: { notUuid?: string[]; extra?: Partial<ColumnMeta> } = {}): ColumnMeta {
  const t = DJANGO_TABLES.find((x) => x.name === table)
  const meta: ColumnMeta = { uuid: [], boolean: [], datetime: [], date: [], maxLength: {}, orphan: [...(t?.orphanColumns ?? [])] }
  for (const col of t?.columns ?? []) {
    if (meta.orphan.includes(col.name)) continue
    const type = col.type.toLowerCase()
    const len = /^(?:var)?char\((\d+)\)$/.exec(type)
    if (/^char\((32|36)\)$/.test(type) && !(opts.notUuid ?? []).includes(col.name)) meta.uuid.push(col.name)
    else if (len) meta.maxLength[col.name] = Number(len[1])
    if (type === 'tinyint(1)') meta.boolean.push(col.name)
    if (type.startsWith('datetime')) meta.datetime.push(col.name)
    if (type === 'date') meta.date.push(col.name)
  }
  const x = opts.extra ?? {}
  return {
    uuid: [...meta.uuid, ...(x.uuid ?? [])],
    boolean: [...meta.boolean, ...(x.boolean ?? [])],
    datetime: [...meta.datetime, ...(x.datetime ?? [])],
    date: [...meta.date, ...(x.date ?? [])],
    maxLength: { ...meta.maxLength, ...(x.maxLength ?? {}) },
    orphan: [...meta.orphan, ...(x.orphan ?? [])],
  }
}

function toBool(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'boolean') return v
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0
  if (typeof v === 'string') return v !== '0' && v !== '' && v.toLowerCase() !== 'false'
  return v
}

export abstract class BaseModel extends Model {
  /** Column conversions; every concrete model sets it. */
  static columns: ColumnMeta = { uuid: [], boolean: [], datetime: [], date: [], maxLength: {}, orphan: [] }
  /** 'base' = id + created_at + updated_at (Django's Base); 'created' = created_at only; 'none'. */
  static timestamps: Timestamps = 'none'
  /** The pk is a char(32) UUID generated on insert when absent. */
  static generatesId = false

  static override useLimitInFirst = true

  static override get jsonSchema(): JSONSchema {
    const properties: Record<string, JSONSchema> = {}
    for (const [col, max] of Object.entries(this.columns.maxLength)) properties[col] = { type: ['string', 'null'], maxLength: max }
    return { type: 'object', properties }
  }

  private get meta(): ColumnMeta {
    return (this.constructor as typeof BaseModel).columns
  }

  override $parseDatabaseJson(json: Pojo): Pojo {
    json = super.$parseDatabaseJson(json)
    const m = this.meta
    for (const c of m.orphan) delete json[c]
    for (const c of m.boolean) if (c in json) json[c] = toBool(json[c])
    for (const c of m.uuid) {
      // DECISIONS 36: normalise hyphenated (or upper-case) ids on read; leave garbage as it is.
      if (typeof json[c] === 'string' && json[c].length !== 32) json[c] = toHex(json[c]) ?? json[c]
    }
    for (const c of m.datetime) if (c in json && json[c] !== null) json[c] = normalizeDbDateTime(json[c])
    for (const c of m.date) if (c in json && json[c] !== null) json[c] = normalizeDbDate(json[c])
    return json
  }

  override $formatDatabaseJson(json: Pojo): Pojo {
    json = super.$formatDatabaseJson(json)
    const m = this.meta
    for (const c of m.orphan) delete json[c]
    for (const c of m.uuid) {
      const v = json[c]
      if (v === undefined || v === null) continue
      const hex = toHex(v)
      if (hex === null) {
        throw new ValidationError({
          type: 'ModelValidation', statusCode: 400, message: `${c}: not a valid UUID`,
          data: { [c]: [{ message: 'Must be a valid UUID.', keyword: 'format', params: { format: 'uuid' } }] },
        })
      }
      json[c] = hex
    }
    for (const c of m.boolean) if (c in json && json[c] !== null && json[c] !== undefined) json[c] = toBool(json[c]) ? 1 : 0
    for (const c of m.datetime) if (c in json && json[c] !== undefined) json[c] = normalizeDbDateTime(json[c])
    for (const c of m.date) if (c in json && json[c] !== undefined) json[c] = normalizeDbDate(json[c])
    return json
  }

  override $beforeInsert(ctx: QueryContext): void | Promise<void> {
    const res = super.$beforeInsert(ctx)
    const self = this as unknown as Record<string, unknown>
    const cls = this.constructor as typeof BaseModel
    if (cls.generatesId && (self.id === undefined || self.id === null)) self.id = newId()
    if (cls.timestamps === 'base' || cls.timestamps === 'created') {
      if (self.created_at === undefined || self.created_at === null) self.created_at = nowDb()
    }
    if (cls.timestamps === 'base' && self.updated_at === undefined) self.updated_at = null
    return res
  }

  override $beforeUpdate(opt: ModelOptions, ctx: QueryContext): void | Promise<void> {
    const res = super.$beforeUpdate(opt, ctx)
    // Django's QuerySet.update()/save(update_fields=[...]) leave updated_at alone; do the same with
    // Model.query().context({ skipUpdatedAt: true }).patch(...).
    if ((this.constructor as typeof BaseModel).timestamps === 'base' && !(ctx as { skipUpdatedAt?: boolean }).skipUpdatedAt) {
      ;(this as unknown as Record<string, unknown>).updated_at = nowDb()
    }
    return res
  }
}

// Relation mappings; columns are written 'table.column'.
export function hasMany(modelClass: ModelClass<any>, from: string, to: string): RelationMapping<any> {
  return { relation: Model.HasManyRelation, modelClass, join: { from, to } }
}

export function hasOne(modelClass: ModelClass<any>, from: string, to: string): RelationMapping<any> {
  return { relation: Model.HasOneRelation, modelClass, join: { from, to } }
}

export function belongsToOne(modelClass: ModelClass<any>, from: string, to: string): RelationMapping<any> {
  return { relation: Model.BelongsToOneRelation, modelClass, join: { from, to } }
}

export function manyToMany(modelClass: ModelClass<any>, from: string, through: { from: string; to: string }, to: string): RelationMapping<any> {
  return { relation: Model.ManyToManyRelation, modelClass, join: { from, through, to } }
}
