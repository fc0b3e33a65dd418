// x-crud `output`: compiled once per operation into (1) what to select — the row, to-one paths as
// correlated subqueries — (2) the nested relations, loaded after the rows with one knex query each for
// all of them, and (3) how to print a row. A list therefore costs a fixed number of queries whatever its
// length (no N+1).
import type { Knex } from 'knex'
import { toBool } from './values.js'
import { storageKey, toUuidOrNull } from '../../db/ids.js'
import { normalizeDbDate, normalizeDbDateTime, toApiDateTime, toApiUtcPlus0000 } from '../../db/time.js'
import { mediaPath } from '../../auth/tokens.js'
import { applyConditions, checkConditions } from './conditions.js'
import type { RequestState } from './context.js'
import type { OutputFieldDecl, OutputValueDecl } from './declaration.js'
import { metaOf, nameOfModel, relationKeys, tableRef, type ColumnKind, type ModelClass, type ModelMeta, type RelationKeys } from './model-meta.js'
import { ToOnePath } from './to-one.js'

type QB = any
type Format = 'utc0000' | 'first-word' | 'other-words' | 'email-local' | 'media-path' | 'string'

interface Subselect { alias: string, path: ToOnePath }

type Field =
  | { key: string, kind: 'value', get: Getter }
  | { key: string, kind: 'nested', nested: Nested }

interface Getter { read: (row: any) => unknown, format?: Format, valueKind: ColumnKind, fallback?: Getter, constant?: boolean }

export interface Nested {
  relation: string
  many: boolean
  link: RelationKeys
  meta: ModelMeta
  subject: string
  scope?: string
  where?: Record<string, unknown>
  order: OrderTerm[]
  output: CompiledOutput
}

export interface OrderTerm { column: string, desc: boolean }

export interface CompiledOutput {
  meta: ModelMeta
  fields: Field[]
  subselects: Subselect[]
  nested: Nested[]
}

export interface CompileEnv {
  models: Record<string, ModelClass>
  problems: string[]
  where: string
}

let aliasCounter = 0

export function compileOutput(decl: OutputFieldDecl[] | undefined, meta: ModelMeta, env: CompileEnv): CompiledOutput {
  const out: CompiledOutput = { meta, fields: [], subselects: [], nested: [] }
  const fields = decl ? decl.flat() : defaultOutput(meta)
  fields.forEach((f, i) => {
    const [key, value] = typeof f === 'string' ? [f, f as OutputValueDecl] : Object.entries(f)[0]
    const at = `${env.where}/output/${i}`
    if (typeof value === 'object' && value !== null && 'relation' in value) {
      const nested = compileNested(value as any, meta, { ...env, where: at })
      if (nested) {
        out.nested.push(nested)
        out.fields.push({ key, kind: 'nested', nested })
      }
      return
    }
    const get = compileGetter(value, meta, out, { ...env, where: at })
    if (get) out.fields.push({ key, kind: 'value', get })
  })
  return out
}

function defaultOutput(meta: ModelMeta): string[] {
  return meta.knownColumns.size ? [...meta.knownColumns] : [meta.idColumn]
}

function compileGetter(value: OutputValueDecl, meta: ModelMeta, out: CompiledOutput, env: CompileEnv): Getter | undefined {
  if (typeof value === 'object' && value !== null && 'const' in value) {
    const c = (value as { const: unknown }).const
    return { read: () => c, valueKind: 'string', constant: true }
  }
  const spec = typeof value === 'string' ? { path: value } : value as { path: string, format?: Format, fallback?: OutputValueDecl }
  const segments = spec.path.split('.')
  const column = segments.pop()!
  let target = meta
  const chain: ModelMeta[] = []
  for (const rel of segments) {
    chain.push(target)
    const relation = target.relation(rel)
    if (!relation) { env.problems.push(`${env.where}: ${target.name} has no relation "${rel}"`); return undefined }
    if (!(relation as any).isOneToOne()) {
      env.problems.push(`${env.where}: "${rel}" is a to-many relation; print it as {relation: ${rel}, output: [...]}`)
      return undefined
    }
    const relatedName = nameOfModel(env.models, relation.relatedModelClass)
    if (!relatedName) { env.problems.push(`${env.where}: the model of relation "${rel}" is not in the registry`); return undefined }
    target = metaOf(relatedName, env.models[relatedName])
  }
  if (target.knownColumns.size && !target.knownColumns.has(column) && column !== target.idColumn) {
    env.problems.push(`${env.where}: ${target.name} has no column "${column}"${hint(column, target)}`)
    return undefined
  }
  let read: (row: any) => unknown
  if (segments.length === 0) {
    read = row => row[column]
  } else {
    const alias = `__o${++aliasCounter}`
    out.subselects.push({ alias, path: new ToOnePath(chain, segments, column) })
    read = row => row[alias]
  }
  const fallback = spec.fallback !== undefined ? compileGetter(spec.fallback, meta, out, { ...env, where: `${env.where}/fallback` }) : undefined
  return { read, format: spec.format, valueKind: target.kindOf(column), fallback }
}

function hint(column: string, meta: ModelMeta): string {
  const near = [...meta.knownColumns].find(c => c.includes(column) || column.includes(c))
  return near ? ` (did you mean "${near}"?)` : ''
}

function compileNested(value: { relation: string, output: OutputFieldDecl[], order?: string[], scope?: string, where?: Record<string, unknown> },
  meta: ModelMeta, env: CompileEnv): Nested | undefined {
  const relation = meta.relation(value.relation)
  if (!relation) { env.problems.push(`${env.where}: ${meta.name} has no relation "${value.relation}"`); return undefined }
  const name = nameOfModel(env.models, relation.relatedModelClass)
  if (!name) { env.problems.push(`${env.where}: the model of relation "${value.relation}" is not in the registry`); return undefined }
  const related = metaOf(name, env.models[name])
  if (value.where) env.problems.push(...checkConditions(value.where, related, `${env.where}.where`))
  const link = relationKeys(relation)
  if (!link) { env.problems.push(`${env.where}: relation "${value.relation}" must join on one key column`); return undefined }
  return {
    relation: value.relation,
    many: !(relation as any).isOneToOne(),
    link,
    meta: related,
    subject: name,
    scope: value.scope,
    where: value.where,
    order: compileOrder(value.order ?? [], related, env),
    output: compileOutput(value.output, related, env),
  }
}

export function compileOrder(order: string[], meta: ModelMeta, env: CompileEnv): OrderTerm[] {
  const terms: OrderTerm[] = []
  for (const o of order) {
    const desc = o.startsWith('-')
    const column = desc ? o.slice(1) : o
    if (meta.knownColumns.size && !meta.knownColumns.has(column)) env.problems.push(`${env.where}: order: ${meta.name} has no column "${column}"`)
    terms.push({ column, desc })
  }
  if (!terms.some(t => t.column === meta.idColumn)) terms.push({ column: meta.idColumn, desc: false }) // tie-breaker
  return terms
}

// ---- fetching --------------------------------------------------------------------------------------

/** Adds the row and the to-one paths of `out` to a query (Objection or knex) on out.meta's table. */
export function selectOutput(qb: QB, out: CompiledOutput, state: RequestState): QB {
  const table = tableRef(qb, out.meta)
  qb.select(`${table}.*`)
  for (const s of out.subselects) qb.select(s.path.selectAs(state.db as Knex, table, s.alias))
  return qb
}

/**
 * Runs a query that selectOutput prepared (resolving to rows, or to one row or none with `.first()`) and loads
 * the output's nested relations onto what it read.
 */
export async function readOutput<R>(query: PromiseLike<R>, out: CompiledOutput, state: RequestState): Promise<R> {
  const result: any = await query
  await attachNested(Array.isArray(result) ? result : result ? [result] : [], out, state)
  return result
}

/** Loads the nested relations of `out` onto `rows` (models of out.meta): one query per relation for all rows. */
async function attachNested(rows: any[], out: CompiledOutput, state: RequestState): Promise<void> {
  for (const n of out.nested) {
    const related = await fetchRelated(rows, n, state)
    if (n.output.nested.length) await attachNested(related, n.output, state)
  }
}

const OWNER = '__owner'

async function fetchRelated(rows: any[], n: Nested, state: RequestState): Promise<any[]> {
  const { ownerKey, relatedKey, through } = n.link
  const keys = [...new Set(rows.map(r => r[ownerKey]).filter(k => k !== null && k !== undefined))]
  let related: any[] = []
  if (keys.length) {
    const db = state.db as Knex
    const table = n.meta.table
    const qb = db(table)
    if (through) {
      qb.select(`${through.table}.${through.ownerColumn} as ${OWNER}`)
        .innerJoin(through.table, `${through.table}.${through.relatedColumn}`, `${table}.${relatedKey}`)
        .whereIn(`${through.table}.${through.ownerColumn}`, keys)
    } else {
      qb.whereIn(`${table}.${relatedKey}`, keys)
    }
    selectOutput(qb, n.output, state)
    if (n.scope) state.policies.scopeKnex(qb, db, state.user, n.scope, n.subject)
    if (n.where) applyConditions(qb, n.where, n.meta, state, table)
    for (const o of n.order) qb.orderBy(`${table}.${o.column}`, o.desc ? 'desc' : 'asc')
    related = await qb
  }
  const byOwner = new Map<unknown, any[]>()
  related = related.map((raw) => {
    // In storage form: a join table or an old row may spell a uuid with hyphens or in upper case.
    const owner = storageKey(through ? raw[OWNER] : raw[relatedKey])
    if (through) delete raw[OWNER]
    const model = n.meta.Model.fromDatabaseJson(raw)
    const list = byOwner.get(owner)
    if (list) list.push(model)
    else byOwner.set(owner, [model])
    return model
  })
  for (const row of rows) {
    const mine = byOwner.get(storageKey(row[ownerKey])) ?? []
    row[n.relation] = n.many ? mine : mine[0] ?? null
  }
  return related
}

// ---- printing --------------------------------------------------------------------------------------

export function printRow(row: any, out: CompiledOutput): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const f of out.fields) {
    if (f.kind === 'nested') {
      const v = row[f.nested.relation]
      o[f.key] = f.nested.many ? (v ?? []).map((r: any) => printRow(r, f.nested.output)) : v ? printRow(v, f.nested.output) : null
    } else {
      o[f.key] = readValue(row, f.get)
    }
  }
  return o
}

function readValue(row: any, get: Getter): unknown {
  let v = get.constant ? get.read(row) : formatValue(get.read(row), get.valueKind, get.format)
  if ((v === null || v === '' || v === undefined) && get.fallback) v = readValue(row, get.fallback)
  return v === undefined ? null : v
}

function words(v: unknown): string[] {
  return typeof v === 'string' ? v.trim().split(/\s+/).filter(Boolean) : []
}

export function formatValue(v: unknown, kind: ColumnKind, format?: Format): unknown {
  switch (format) {
    case 'utc0000': return v == null ? null : toApiUtcPlus0000(normalizeDbDateTime(v))
    case 'first-word': { const w = words(v); return w.length ? w[0] : null }
    case 'other-words': { const w = words(v); return w.length ? w.slice(1).join(' ') : null }
    case 'email-local': return typeof v === 'string' && v ? v.split('@')[0] : null
    case 'media-path': return mediaPath(v as string | null)
    case 'string': return v == null ? null : String(v)
  }
  if (v === null || v === undefined) return null
  switch (kind) {
    case 'uuid': return toUuidOrNull(String(v))
    case 'datetime': return toApiDateTime(normalizeDbDateTime(v))
    case 'date': return normalizeDbDate(v)
    case 'boolean': return toBool(v)
    case 'int': return typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v
    default: return v
  }
}
