// Lists: DRF's search, ordering, declared filters and page-number pagination (resources.md §1.6–§1.7),
// on a query the policy engine has already scoped.
import { raw } from 'objection'
import { toHex } from '../../db/ids.js'
import { ApiError, validationError } from '../errors.js'
import type { RequestState } from './context.js'
import type { CrudDeclaration } from './declaration.js'
import { metaOf, nameOfModel, nextAlias, tableRef, type ModelMeta } from './model-meta.js'
import type { CompileEnv, OrderTerm } from './output.js'
import { ToOnePath } from './to-one.js'

type QB = any

/** A dotted path resolved against the relations: `client.name` → relations [client], column name. */
export interface PathRef { relations: string[], column: string, path: string, target: ModelMeta, chain: ModelMeta[], toOne?: ToOnePath }

export function resolvePath(path: string, meta: ModelMeta, env: CompileEnv, what: string): PathRef | undefined {
  const segments = path.split('.')
  const column = segments.pop()!
  let target = meta
  const chain: ModelMeta[] = []
  for (const rel of segments) {
    chain.push(target)
    const relation = target.relation(rel)
    if (!relation) { env.problems.push(`${env.where}/${what}: ${target.name} has no relation "${rel}"`); return undefined }
    const name = nameOfModel(env.models, relation.relatedModelClass)
    if (!name) { env.problems.push(`${env.where}/${what}: the model of relation "${rel}" is not in the registry`); return undefined }
    target = metaOf(name, env.models[name])
  }
  if (target.knownColumns.size && !target.knownColumns.has(column) && column !== target.idColumn) {
    env.problems.push(`${env.where}/${what}: ${target.name} has no column "${column}"`)
    return undefined
  }
  return { relations: segments, column, path, target, chain }
}

/** A condition on a path: on the row itself, or EXISTS over the relation chain (never a row-multiplying join). */
function wherePath(qb: QB, meta: ModelMeta, ref: PathRef, apply: (qb: QB, column: string) => void, or = false) {
  if (ref.relations.length === 0) {
    const column = `${tableRef(qb, meta)}.${ref.column}`
    return or ? qb.orWhere((w: QB) => apply(w, column)) : qb.where((w: QB) => apply(w, column))
  }
  const sub = existsChain(ref.chain, ref.relations, ref.target, ref.column, apply)
  return or ? qb.orWhereExists(sub) : qb.whereExists(sub)
}

function existsChain(chain: ModelMeta[], relations: string[], target: ModelMeta, column: string, apply: (qb: QB, column: string) => void): QB {
  const [first, ...rest] = relations
  const alias = nextAlias()
  const sub = (chain[0].Model as any).relatedQuery(first).alias(alias).select(raw('1'))
  if (rest.length === 0) {
    apply(sub, `${alias}.${column}`)
    return sub
  }
  return sub.whereExists(existsChain(chain.slice(1), rest, target, column, apply))
}

// ---- search --------------------------------------------------------------------------------------

/** DRF's search_smart_split: whitespace and commas separate terms; a quoted phrase stays one term. */
export function searchTerms(input: unknown): string[] {
  if (typeof input !== 'string') return []
  const text = input.replace(/\u0000/g, '')
  const terms: string[] = []
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s]+/g)) {
    const token = m[0].replace(/^,+|,+$/g, '')
    if (token.length >= 2 && (token[0] === '"' || token[0] === "'") && token[0] === token[token.length - 1]) {
      const phrase = token.slice(1, -1).replace(/\\(.)/g, '$1')
      if (phrase) terms.push(phrase)
    } else {
      for (const part of token.split(',')) if (part.trim()) terms.push(part.trim())
    }
  }
  return terms
}

function likePattern(term: string): string {
  return `%${term.replace(/[!%_]/g, c => `!${c}`)}%`
}

export function applySearch(qb: QB, meta: ModelMeta, fields: PathRef[], input: unknown) {
  for (const term of searchTerms(input).slice(0, 20)) {
    const pattern = likePattern(term.toLowerCase())
    qb.where((any: QB) => {
      for (const f of fields) {
        wherePath(any, meta, f, (w, column) => w.whereRaw("lower(??) like ? escape '!'", [column, pattern]), true)
      }
    })
  }
}

// ---- filters -------------------------------------------------------------------------------------

export interface FilterSpec { param: string, ref: PathRef, type: 'string' | 'uuid' | 'int', match: 'exact' | 'iexact' }

export function applyFilters(qb: QB, meta: ModelMeta, filters: FilterSpec[], query: Record<string, unknown>) {
  const errors: Record<string, string[]> = {}
  for (const f of filters) {
    const rawValue = query[f.param]
    const value = Array.isArray(rawValue) ? rawValue[rawValue.length - 1] : rawValue
    if (value === undefined || value === null || value === '') continue
    let v: unknown = String(value)
    if (f.type === 'uuid') {
      v = toHex(v)
      if (v === null) { errors[f.param] = ['Must be a valid UUID.']; continue }
    } else if (f.type === 'int') {
      if (!/^\s*-?\d+\s*$/.test(String(value))) { errors[f.param] = ['Enter a number.']; continue }
      v = Number(value)
    }
    const ci = f.match === 'iexact' && f.type === 'string'
    wherePath(qb, meta, f.ref, (w, column) => {
      if (ci) w.whereRaw('lower(??) = ?', [column, String(v).toLowerCase()])
      else w.where(column, v)
    })
  }
  if (Object.keys(errors).length) throw validationError(errors)
}

// ---- ordering ------------------------------------------------------------------------------------

export interface OrderingSpec { allowed: Map<string, PathRef>, defaults: { ref: PathRef, desc: boolean }[] }

export function compileOrdering(decl: CrudDeclaration, meta: ModelMeta, env: CompileEnv, fallback: string[] = []): OrderingSpec {
  const allowed = new Map<string, PathRef>()
  const ordering = decl.ordering
  const entries: [string, string][] = Array.isArray(ordering) ? ordering.map(p => [p.replace(/\./g, '__'), p]) : Object.entries(ordering ?? {})
  for (const [param, path] of entries) {
    const ref = orderPath(resolvePath(path, meta, env, `ordering/${param}`), meta, env, `ordering/${param}`)
    if (ref) allowed.set(param, ref)
  }
  const defaults: { ref: PathRef, desc: boolean }[] = []
  for (const o of decl.order ?? fallback) {
    const desc = o.startsWith('-')
    const path = desc ? o.slice(1) : o
    const ref = allowed.get(path) ?? orderPath(resolvePath(path, meta, env, `order/${o}`), meta, env, `order/${o}`)
    if (ref) defaults.push({ ref, desc })
  }
  return { allowed, defaults }
}

/** A path rows can be ordered by (to-one relations only; selected through `toOne`), or undefined with a problem. */
function orderPath(path: PathRef | undefined, meta: ModelMeta, env: CompileEnv, what: string): PathRef | undefined {
  if (!path) return undefined
  let m = meta
  for (const rel of path.relations) {
    const r = m.relation(rel)!
    if (!(r as any).isOneToOne()) {
      env.problems.push(`${env.where}/${what}: cannot order by the to-many relation "${rel}"`)
      return undefined
    }
    const name = nameOfModel(env.models, r.relatedModelClass)!
    m = metaOf(name, env.models[name])
  }
  return path.relations.length ? { ...path, toOne: new ToOnePath(path.chain, path.relations, path.column) } : path
}

/** DRF OrderingFilter: comma list, `-` for descending, unknown names ignored; then the default; then the pk. */
export function applyOrdering(qb: QB, meta: ModelMeta, spec: OrderingSpec, input: unknown) {
  const requested: { ref: PathRef, desc: boolean }[] = []
  if (typeof input === 'string' && spec.allowed.size) {
    for (const part of input.split(',').map(s => s.trim())) {
      const desc = part.startsWith('-')
      const ref = spec.allowed.get(desc ? part.slice(1) : part)
      if (ref) requested.push({ ref, desc })
    }
  }
  const terms = requested.length ? requested : spec.defaults
  let n = 0
  for (const { ref, desc } of terms) {
    if (ref.relations.length === 0) {
      qb.orderBy(`${tableRef(qb, meta)}.${ref.column}`, desc ? 'desc' : 'asc')
    } else {
      const alias = `__ord${n++}`
      qb.select(ref.toOne!.selectAs(qb.knex(), tableRef(qb, meta), alias))
      qb.orderBy(alias, desc ? 'desc' : 'asc')
    }
  }
  if (!terms.some(t => t.ref.relations.length === 0 && t.ref.column === meta.idColumn)) qb.orderBy(`${tableRef(qb, meta)}.${meta.idColumn}`, 'asc')
}

export function applyOrderTerms(qb: QB, meta: ModelMeta, terms: OrderTerm[]) {
  for (const o of terms) qb.orderBy(`${tableRef(qb, meta)}.${o.column}`, o.desc ? 'desc' : 'asc')
}

// ---- pagination ----------------------------------------------------------------------------------

export interface PageRequest { page: number | 'last', size: number }

/** DRF PageNumberPagination: `page_size` positive int clamped to max, else the default; `page` 1-based or 'last'. */
export function pageRequest(query: Record<string, unknown>, size: number, max: number): PageRequest {
  const first = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v)
  const rawSize = first(query.page_size)
  let pageSize = size
  if (typeof rawSize === 'string' && /^\s*\+?\d+\s*$/.test(rawSize)) {
    const n = Number(rawSize)
    if (n > 0) pageSize = Math.min(n, max)
  }
  const rawPage = first(query.page)
  if (rawPage === undefined || rawPage === null) return { page: 1, size: pageSize }
  if (rawPage === 'last') return { page: 'last', size: pageSize }
  const text = String(rawPage)
  if (!/^\s*\+?\d+\s*$/.test(text)) throw invalidPage()
  return { page: Number(text), size: pageSize }
}

export function invalidPage() {
  return new ApiError('not_found', { detail: 'Invalid page.' })
}

/** Resolves the page number against the count (404 "Invalid page." outside 1..num_pages; an empty page 1 is fine). */
export function resolvePage(req: PageRequest, count: number): number {
  const pages = Math.max(1, Math.ceil(count / req.size))
  const page = req.page === 'last' ? pages : req.page
  if (page < 1 || page > pages) throw invalidPage()
  return page
}

/** next/previous links as DRF builds them: absolute, other parameters kept and sorted, no `page` for page 1. */
export function pageLinks(state: RequestState, page: number, size: number, count: number) {
  const pages = Math.max(1, Math.ceil(count / size))
  const url = state.req.url
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  const base = `${state.req.protocol}://${state.req.host}${path}`
  const link = (target: number) => {
    const entries: [string, string][] = []
    const keys = [...new Set([...params.keys(), 'page'])].sort()
    for (const k of keys) {
      if (k === 'page') { if (target !== 1) entries.push(['page', String(target)]); continue }
      for (const v of params.getAll(k)) entries.push([k, v])
    }
    const qs = new URLSearchParams(entries).toString()
    return qs ? `${base}?${qs}` : base
  }
  return {
    next: page < pages ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
  }
}
