// x-crud `output`: compiled once per operation into (1) what to select — the row, to-one paths as
// correlated subqueries, nested relations as one batched graph query each — and (2) how to print a row.
// A list therefore costs a fixed number of queries whatever its length (no N+1).
import { toBool } from './values.js'
import { toUuidOrNull } from '../../db/ids.js'
import { normalizeDbDate, normalizeDbDateTime, toApiDateTime, toApiUtcPlus0000 } from '../../db/time.js'
import { mediaPath } from '../../auth/tokens.js'
import { applyConditions, checkConditions } from './conditions.js'
import type { RequestState } from './context.js'
import type { OutputFieldDecl, OutputValueDecl } from './declaration.js'
import { metaOf, nameOfModel, nextAlias, tableRef, type ColumnKind, type ModelClass, type ModelMeta } from './model-meta.js'

type QB = any
type Format = 'utc0000' | 'first-word' | 'other-words' | 'email-local' | 'media-path' | 'string'

interface Subselect { alias: string, relations: string[], column: string, chain: ModelMeta[], target: ModelMeta }

type Field =
  | { key: string, kind: 'value', get: Getter }
  | { key: string, kind: 'nested', nested: Nested }

interface Getter { read: (row: any) => unknown, format?: Format, valueKind: ColumnKind, fallback?: Getter, constant?: boolean }

export interface Nested {
  relation: string
  many: boolean
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
    out.subselects.push({ alias, relations: segments, column, chain, target })
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
  return {
    relation: value.relation,
    many: !(relation as any).isOneToOne(),
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

/** Adds the row, the to-one paths and the nested relations of `out` to a query on out.meta's table. */
export function selectOutput(qb: QB, out: CompiledOutput, state: RequestState): QB {
  qb.select(`${tableRef(qb, out.meta)}.*`)
  for (const s of out.subselects) qb.select(pathSubquery(s.chain, s.relations, s.target, s.column).as(s.alias))
  if (out.nested.length) {
    const modifiers: Record<string, (qb: QB) => void> = {}
    const expr = `[${out.nested.map((n, i) => graphExpression(n, `m${i}`, modifiers, state)).join(', ')}]`
    qb.withGraphFetched(expr).modifiers(modifiers)
  }
  return qb
}

function pathSubquery(chain: ModelMeta[], relations: string[], target: ModelMeta, column: string): QB {
  const [first, ...rest] = relations
  const alias = nextAlias()
  const sub = (chain[0].Model as any).relatedQuery(first).alias(alias)
  if (rest.length === 0) return sub.select(`${alias}.${column}`)
  return sub.select(pathSubquery(chain.slice(1), rest, target, column).as('v'))
}

function graphExpression(n: Nested, name: string, modifiers: Record<string, (qb: QB) => void>, state: RequestState): string {
  modifiers[name] = (qb: QB) => {
    selectOutput(qb, { ...n.output, nested: [] }, state)
    if (n.scope) state.policies.scope(qb, state.user, n.scope, n.subject)
    if (n.where) applyConditions(qb, n.where, n.meta, state)
    for (const o of n.order) qb.orderBy(`${tableRef(qb, n.meta)}.${o.column}`, o.desc ? 'desc' : 'asc')
  }
  const children = n.output.nested.map((c, i) => graphExpression(c, `${name}_${i}`, modifiers, state))
  return children.length ? `${n.relation}(${name}).[${children.join(', ')}]` : `${n.relation}(${name})`
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
