// The actions of x-crud at run time. Every write of more than one statement runs in one transaction; every
// read goes through the policy engine's SQL scope, so a row the caller may not read is never found (404)
// nor listed.
import type { Knex } from 'knex'
import { storageKey, toHex, toUuid } from '../../db/ids.js'
import { ApiError, validationError } from '../errors.js'
import { applyConditions } from './conditions.js'
import type { Compiled, CompiledInput, ManyToMany } from './compile.js'
import { declaredError, resolveValue, type RequestState } from './context.js'
import { applyFilters, applyOrderTerms, applyOrdering, applySearch, pageLinks, pageRequest, resolvePage } from './list.js'
import type { ModelMeta } from './model-meta.js'
import { printRow, readOutput, selectOutput } from './output.js'
import { MSG, charLength, pyType, textProblem } from './values.js'

type QB = any
export interface Result { status: number, body?: unknown, headers?: Record<string, string> }

// ---- shared steps --------------------------------------------------------------------------------

/** The path id in storage form; a malformed id answers like a missing row (or as declared). */
function lookupId(c: Compiled, state: RequestState): string | number {
  const raw = state.params[c.lookup.param]
  const malformed = () => (c.lookup.malformed ? declaredError(c.lookup.malformed, 404) : new ApiError('not_found'))
  if (c.lookup.type === 'uuid') {
    const hex = toHex(raw)
    if (hex === null) throw malformed()
    return hex
  }
  if (c.lookup.type === 'int') {
    if (typeof raw !== 'string' || !/^\d{1,18}$/.test(raw)) throw malformed()
    return Number(raw)
  }
  if (typeof raw !== 'string' || raw === '') throw malformed()
  return raw
}

/** "May this caller ever do this?" — for actions without a row (create, bulk delete). */
function requireAbility(c: Compiled, state: RequestState, action = c.policyAction) {
  if (!state.policies.can(state.user, action, c.subject)) throw new ApiError('forbidden')
}

function scoped(meta: ModelMeta, subject: string, action: string, state: RequestState, where?: Record<string, unknown>): QB {
  return state.policies.scope(meta.Model.query(state.db as Knex), state.user, action, subject, where ? { where } : undefined)
}

/** The row addressed by the path, if the caller may read it; else 404 with the declared text. */
async function visibleRow(c: Compiled, state: RequestState, id: string | number, withOutput = false): Promise<any> {
  const qb = scoped(c.meta, c.subject, 'read', state).where(`${c.meta.table}.${c.lookup.column}`, id)
  const row = withOutput ? await readOutput(selectOutput(qb, c.output, state).first(), c.output, state) : await qb.first()
  if (!row) throw new ApiError('not_found', { detail: c.notFound })
  return row
}

/** After the row was found visible: may the caller do this to it? (DECISIONS: invisible 404, else 403.) */
async function requireRowAbility(c: Compiled, state: RequestState, row: any, action = c.policyAction) {
  if (action === 'read') return
  if (!state.policies.can(state.user, action, c.subject)) throw new ApiError('forbidden') // no rule at all: no query
  const ok = await state.policies.canOnRow(state.user, action, c.subject, row[c.meta.idColumn], { db: state.db })
  if (!ok) throw new ApiError('forbidden')
}

/** Reads one row by pk (no scope: the caller just wrote it) with the operation's output. */
async function printById(c: Compiled, state: RequestState, id: unknown): Promise<Record<string, unknown>> {
  const qb = c.meta.Model.query(state.db as Knex).where(`${c.meta.table}.${c.meta.idColumn}`, id as any)
  const row = await readOutput(selectOutput(qb, c.output, state).first(), c.output, state)
  if (!row) throw new ApiError('not_found', { detail: c.notFound })
  return printRow(row, c.output)
}

function checkRequired(c: Compiled, state: RequestState) {
  const req = c.decl.required
  if (!req) return
  const body = state.body ?? {}
  for (const f of req.fields) {
    const v = body[f]
    if (v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0)) {
      throw new ApiError('bad_request', { detail: req.detail })
    }
  }
}

function bodyOf(state: RequestState): Record<string, any> {
  const b = state.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw validationError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyType(b)}.`] })
  }
  return b
}

// ---- list, retrieve ------------------------------------------------------------------------------

export async function list(c: Compiled, state: RequestState): Promise<Result> {
  if (c.decl.onDenied && !state.policies.can(state.user, c.policyAction, c.subject)) {
    return { status: c.decl.onDenied.status, body: c.decl.onDenied.body }
  }
  const qb = scoped(c.meta, c.subject, c.policyAction, state, c.decl.where)
  return runList(c, state, qb, c.meta)
}

export async function listRelated(c: Compiled, state: RequestState): Promise<Result> {
  const id = lookupId(c, state)
  const row = await visibleRow(c, state, id)
  const rel = c.relation!
  const qb = (c.meta.Model as any).relatedQuery(rel.name, state.db).for(row[c.meta.idColumn])
  state.policies.scope(qb, state.user, 'read', rel.subject)
  return runList(c, state, qb, rel.related)
}

async function runList(c: Compiled, state: RequestState, qb: QB, meta: ModelMeta): Promise<Result> {
  const query = state.query ?? {}
  applyFilters(qb, meta, c.filters, query)
  if (c.search.length) applySearch(qb, meta, c.search, query.search)
  const page = c.decl.page
  let count = 0
  let pageNo = 1
  let size = 0
  if (page) {
    const req = pageRequest(query, page.size, page.max)
    count = await countRows(qb)
    pageNo = resolvePage(req, count)
    size = req.size
    qb.limit(size).offset((pageNo - 1) * size)
  } else if (c.decl.limit) {
    qb.limit(c.decl.limit)
  }
  selectOutput(qb, c.output, state)
  if (c.ordering.allowed.size || c.ordering.defaults.length) applyOrdering(qb, meta, c.ordering, query.ordering)
  else applyOrderTerms(qb, meta, c.order)
  const rows = await readOutput<any[]>(qb, c.output, state)
  const results = rows.map((r: any) => printRow(r, c.output))
  if (!page) return { status: c.status, body: results }
  return { status: c.status, body: { count, ...pageLinks(state, pageNo, size, count), results } }
}

/**
 * `select count(*) from t where <scope>` — not Objection's resultSize(), which wraps the query in a derived
 * table: MariaDB then keeps the policy's EXISTS as a dependent subquery run for every row of the table,
 * instead of a semi-join driven by the caller's few membership rows (a list's cost would grow with the table).
 */
async function countRows(qb: QB): Promise<number> {
  const rows = await qb.clone().clearSelect().clearOrder().clearWithGraph().clear(/^(limit|offset)$/).count('* as count')
  return Number(rows[0]?.count ?? 0)
}

export async function retrieve(c: Compiled, state: RequestState): Promise<Result> {
  const id = lookupId(c, state)
  const row = await visibleRow(c, state, id, true)
  return { status: c.status, body: printRow(row, c.output) }
}

// ---- create, update ------------------------------------------------------------------------------

interface Parsed {
  values: Record<string, unknown> // column -> storage value
  links: { input: CompiledInput, ids: string[] }[] // to-many sets to replace
}

/** Validates and converts the declared input fields; refs must name rows the caller may read. */
async function parseInput(c: Compiled, state: RequestState, partial: boolean): Promise<Parsed> {
  const body = bodyOf(state)
  const errors: Record<string, any> = {}
  const values: Record<string, unknown> = {}
  const links: Parsed['links'] = []
  const refs: { input: CompiledInput, raw: unknown, hex: string | null }[] = []
  for (const input of c.inputs) {
    const present = Object.prototype.hasOwnProperty.call(body, input.field) && body[input.field] !== undefined
    if (!present) {
      if (!partial && input.hasDefault) values[input.column] = resolveValue(input.default, state)
      continue
    }
    const v = body[input.field]
    if (input.relation) {
      if (!Array.isArray(v)) { errors[input.field] = [MSG.notAList(v)]; continue }
      const ids: string[] = []
      const bad: string[] = []
      for (const el of v) {
        const hex = toHex(el)
        if (hex === null) bad.push(typeof el === 'string' ? MSG.badUuid(el) : MSG.badPkType(el))
        else if (!ids.includes(hex)) ids.push(hex)
      }
      if (bad.length) { errors[input.field] = bad; continue }
      links.push({ input, ids })
      continue
    }
    if (v === null) {
      if (!input.nullable) errors[input.field] = [MSG.null]
      else values[input.column] = null
      continue
    }
    if (input.ref && !input.ref.refBy) {
      if (typeof v !== 'string' && typeof v !== 'number') { errors[input.field] = [MSG.badPkType(v)]; continue }
      const hex = toHex(String(v))
      if (hex === null) { errors[input.field] = [MSG.badUuid(v)]; continue }
      refs.push({ input, raw: v, hex })
      values[input.column] = hex
      continue
    }
    if (input.kind === 'uuid') {
      const hex = toHex(v)
      if (hex === null) { errors[input.field] = [typeof v === 'string' ? MSG.badUuid(v) : MSG.badPkType(v)]; continue }
      values[input.column] = hex
      continue
    }
    if (input.kind === 'boolean') {
      if (typeof v !== 'boolean') { errors[input.field] = ['Must be a valid boolean.']; continue }
      values[input.column] = v
      continue
    }
    if (input.kind === 'int') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN
      if (!Number.isSafeInteger(n)) { errors[input.field] = [MSG.notInt]; continue }
      values[input.column] = n
      continue
    }
    // text
    if (typeof v === 'object' || typeof v === 'boolean') { errors[input.field] = [MSG.notString]; continue }
    let s = String(v)
    const problem = textProblem(s)
    if (problem) { errors[input.field] = [problem]; continue }
    if (input.trim) s = s.trim()
    if (!input.blank && s === '') { errors[input.field] = [MSG.blank]; continue }
    if (input.maxLength !== undefined && charLength(s) > input.maxLength) { errors[input.field] = [MSG.tooLong(input.maxLength)]; continue }
    if (input.ref?.refBy) { refs.push({ input, raw: s, hex: null }); continue }
    values[input.column] = s
  }
  if (Object.keys(errors).length) throw validationError(errors)

  // Existence and visibility of referenced rows, in declaration order (a declared refError answers at once).
  for (const { input, raw: rawValue, hex } of refs) {
    const ref = input.ref!
    const qb = scoped(ref.meta, ref.subject, 'read', state).select(`${ref.meta.table}.${ref.meta.idColumn}`)
    if (ref.refBy) applyConditions(qb, ref.refBy, ref.meta, state)
    else qb.where(`${ref.meta.table}.${ref.meta.idColumn}`, hex)
    const found = await qb.first()
    if (!found) {
      if (input.refError) throw declaredError(input.refError)
      errors[input.field] = [MSG.noObject(rawValue)]
      continue
    }
    values[input.column] = found[ref.meta.idColumn]
  }
  for (const link of links) {
    const rel = link.input.relation!
    if (!link.ids.length) continue
    const visible = await scoped(rel.related, rel.subject, 'read', state)
      .whereIn(`${rel.related.table}.${rel.relatedKey}`, link.ids).select(`${rel.related.table}.${rel.relatedKey}`)
    const have = new Set(visible.map((r: any) => r[rel.relatedKey]))
    const missing = (body[link.input.field] as unknown[]).filter(el => { const h = toHex(el); return h !== null && !have.has(h) })
    if (missing.length) errors[link.input.field] = [MSG.noObject(missing[0])]
  }
  if (Object.keys(errors).length) throw validationError(errors)

  for (const [col, v] of Object.entries(c.decl.set ?? {})) {
    const value = resolveValue(v, state)
    values[col] = c.meta.kindOf(col) === 'uuid' && typeof value === 'string' ? toHex(value) ?? value : value
  }
  return { values, links }
}

/** Declared uniqueness: an error, or (with `existing`) the stored row to answer with. */
async function checkUnique(c: Compiled, state: RequestState, values: Record<string, unknown>, selfId?: unknown): Promise<any | null> {
  for (const u of c.decl.unique ?? []) {
    const merged = { ...(state.row ?? {}), ...values }
    if (selfId !== undefined && !u.fields.some(f => f in values)) continue
    const qb = c.meta.Model.query(state.db as Knex).select(`${c.meta.table}.${c.meta.idColumn}`)
    for (const f of u.fields) {
      const v = merged[f]
      const column = `${c.meta.table}.${f}`
      if (v === null || v === undefined) qb.whereNull(column)
      else if (u.ignoreCase && typeof v === 'string') qb.whereRaw('lower(??) = ?', [column, v.toLowerCase()])
      else qb.where(column, v)
    }
    if (selfId !== undefined) qb.whereNot(`${c.meta.table}.${c.meta.idColumn}`, selfId)
    const hit = await qb.first()
    if (!hit) continue
    if (u.existing) return { status: u.existing, id: hit[c.meta.idColumn] }
    throw uniqueError(u.error, u.fields)
  }
  return null
}

export function uniqueError(error: { status?: number, detail?: string, field?: string, message?: string, body?: unknown } | undefined, fields: string[]): ApiError {
  if (error) return declaredError(error)
  const field = fields[fields.length - 1]
  return validationError({ [field]: [`An object with this ${fields.join(', ')} already exists.`] })
}

async function checkConflicts(c: Compiled, state: RequestState, row: any, values: Record<string, unknown>) {
  for (const [i, conflict] of (c.decl.conflicts ?? []).entries()) {
    if (conflict.when) {
      const input = c.inputs.find(i => i.field === conflict.when)!
      if (!(input.column in values) || values[input.column] === row[input.column]) continue
    }
    const qb = (c.meta.Model as any).relatedQuery(conflict.exists.relation, state.db).for(row[c.meta.idColumn])
    if (conflict.exists.where) applyConditions(qb, conflict.exists.where, c.conflictModels[i], { ...state, row })
    const n = Number(await qb.resultSize())
    if (n > 0) throw new ApiError('conflict', { detail: conflict.detail })
  }
}

async function replaceLinks(state: RequestState, rel: ManyToMany, ownerId: string, ids: string[]) {
  const db = state.db as Knex
  await db(rel.joinTable).whereIn(rel.ownerColumn, spellings(ownerId)).delete()
  if (ids.length) await db(rel.joinTable).insert(ids.map(id => ({ [rel.ownerColumn]: ownerId, [rel.relatedColumn]: id })))
}

/** Join tables may hold hyphenated spellings of uuids (database.md §1.3, §14.2): match both. */
function spellings(id: unknown): any[] {
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? [id, toUuid(id)] : [id]
}

export async function create(c: Compiled, state: RequestState): Promise<Result> {
  requireAbility(c, state)
  checkRequired(c, state)
  const { values, links } = await parseInput(c, state, false)
  const existing = await checkUnique(c, state, values)
  if (existing) return { status: existing.status, body: await printById(c, state, existing.id) }
  if (!(await state.policies.canWith(state.user, c.policyAction, c.subject, values, { db: state.db }))) throw new ApiError('forbidden')
  const inserted: any = await c.meta.Model.query(state.db as Knex).insert(values)
  const id = inserted[c.meta.idColumn]
  for (const link of links) await replaceLinks(state, link.input.relation!, id, link.ids)
  return { status: c.status, body: await printById(c, state, id) }
}

export async function update(c: Compiled, state: RequestState): Promise<Result> {
  const id = lookupId(c, state)
  const row = await visibleRow(c, state, id)
  await requireRowAbility(c, state, row)
  state.row = row
  checkRequired(c, state)
  const { values, links } = await parseInput(c, state, true)
  const pk = row[c.meta.idColumn]
  await checkUnique(c, state, values, pk)
  await checkConflicts(c, state, row, values)
  if (Object.keys(values).length) {
    const merged = { ...row, ...values }
    if (!(await state.policies.canWith(state.user, c.policyAction, c.subject, merged, { db: state.db }))) throw new ApiError('forbidden')
  }
  // Every successful update sets updated_at, even with nothing to change (resources.md §1.8).
  const timestamps = (c.meta.Model as any).timestamps
  if (Object.keys(values).length || timestamps === 'base') {
    await c.meta.Model.query(state.db as Knex).patch(values as any).where(`${c.meta.table}.${c.meta.idColumn}`, pk)
  }
  for (const link of links) await replaceLinks(state, link.input.relation!, pk, link.ids)
  return { status: c.status, body: await printById(c, state, pk) }
}

// ---- delete ---------------------------------------------------------------------------------------

export async function remove(c: Compiled, state: RequestState): Promise<Result> {
  const id = lookupId(c, state)
  const row = await visibleRow(c, state, id)
  await requireRowAbility(c, state, row)
  await checkConflicts(c, state, row, {})
  await deleteRows(c, state, [row[c.meta.idColumn]])
  return { status: c.status, body: undefined }
}

async function deleteRows(c: Compiled, state: RequestState, ids: unknown[]) {
  if (c.cascade.length && ids.length) {
    const rows = await c.meta.Model.query(state.db as Knex).whereIn(`${c.meta.table}.${c.meta.idColumn}`, ids as any[])
    for (const step of c.cascade) {
      const keys = rows.map((r: any) => r[step.ownerKey]).flatMap(spellings)
      await (state.db as Knex)(step.table).whereIn(step.column, keys).delete()
    }
  }
  for (const id of ids) {
    if (c.deletePlan) await c.deletePlan(state.db, id)
    else await c.meta.Model.query(state.db as Knex).deleteById(id as any)
  }
}

export async function bulkDelete(c: Compiled, state: RequestState): Promise<Result> {
  requireAbility(c, state)
  checkRequired(c, state)
  const errors: Record<string, string[]> = {}
  const qb = scoped(c.meta, c.subject, c.policyAction, state).select(`${c.meta.table}.${c.meta.idColumn}`)
  for (const [col, spec] of Object.entries(c.decl.match ?? {})) {
    const declared = typeof spec === 'object' && spec !== null ? spec : { value: spec, type: undefined }
    const type = declared.type ?? (c.meta.kindOf(col) === 'uuid' ? 'uuid' : c.meta.kindOf(col) === 'int' ? 'int' : 'string')
    const value = resolveValue(declared.value, state)
    const field = typeof declared.value === 'string' ? /\.([A-Za-z0-9_]+)\}$/.exec(declared.value)?.[1] ?? col : col
    if (value === null || value === undefined) { errors[field] = [MSG.required]; continue }
    if (typeof value === 'object') { errors[field] = [MSG.notString]; continue }
    if (type === 'uuid') {
      const hex = toHex(value)
      if (hex === null) { errors[field] = [MSG.badUuidElement]; continue }
      qb.where(`${c.meta.table}.${col}`, hex)
    } else if (type === 'int') {
      if (!/^-?\d+$/.test(String(value))) { errors[field] = [MSG.notInt]; continue }
      qb.where(`${c.meta.table}.${col}`, Number(value))
    } else {
      const s = String(value)
      const problem = textProblem(s)
      if (problem) { errors[field] = [problem]; continue }
      qb.where(`${c.meta.table}.${col}`, s)
    }
  }
  if (Object.keys(errors).length) throw validationError(errors)
  const rows = await qb
  if (!rows.length && c.decl.ifNone) throw declaredError(c.decl.ifNone, 404)
  await deleteRows(c, state, rows.map((r: any) => r[c.meta.idColumn]))
  const success = c.decl.success
  return { status: success?.status ?? c.status, body: success?.body }
}

// ---- attach, detach --------------------------------------------------------------------------------

function idList(c: Compiled, state: RequestState): { raw: unknown[], hex: string[] } {
  const body = bodyOf(state)
  const { one, many } = c.decl.ids!
  const errors: Record<string, any> = {}
  const merged: unknown[] = []
  if (Object.prototype.hasOwnProperty.call(body, one)) {
    if (body[one] === null) errors[one] = [MSG.null]
    else merged.push(body[one])
  }
  if (Object.prototype.hasOwnProperty.call(body, many) && body[many] !== undefined) {
    const list = body[many]
    if (!Array.isArray(list)) errors[many] = [MSG.notAList(list)]
    else merged.push(...list)
  }
  if (Object.keys(errors).length) throw validationError(errors)
  const hex: string[] = []
  const raw: unknown[] = []
  const bad: Record<string, string[]> = {}
  merged.forEach((v, i) => {
    const h = toHex(v)
    if (h === null) {
      const index = body[one] !== undefined ? i - 1 : i
      if (index < 0) errors[one] = [MSG.badUuidElement]
      else bad[String(index)] = [MSG.badUuidElement]
      return
    }
    if (!hex.includes(h)) { hex.push(h); raw.push(v) }
  })
  if (Object.keys(bad).length) errors[many] = bad
  if (Object.keys(errors).length) throw validationError(errors)
  if (!hex.length) throw validationError({ non_field_errors: [`Provide ${one} or ${many}.`] })
  return { raw, hex }
}

async function linkedIds(state: RequestState, rel: ManyToMany, ownerId: string): Promise<Set<string>> {
  const rows = await (state.db as Knex)(rel.joinTable).whereIn(rel.ownerColumn, spellings(ownerId)).select(rel.relatedColumn)
  return new Set(rows.map((r: any) => storageKey(r[rel.relatedColumn])))
}

async function countLinks(state: RequestState, rel: ManyToMany, ownerId: string): Promise<number> {
  return (await linkedIds(state, rel, ownerId)).size
}

async function relationTarget(c: Compiled, state: RequestState) {
  const id = lookupId(c, state)
  const row = await visibleRow(c, state, id)
  await requireRowAbility(c, state, row)
  state.row = row
  return row
}

export async function attach(c: Compiled, state: RequestState): Promise<Result> {
  const row = await relationTarget(c, state)
  const rel = c.relation!.mtm!
  const { hex } = idList(c, state)
  const ownerId = row[rel.ownerKey]
  // Targets the caller cannot read count as missing: nobody links what they cannot see.
  const visible = new Set<string>((await scoped(rel.related, rel.subject, 'read', state)
    .whereIn(`${rel.related.table}.${rel.relatedKey}`, hex).select(`${rel.related.table}.${rel.relatedKey}`))
    .map((r: any) => r[rel.relatedKey]))
  const linked = await linkedIds(state, rel, ownerId)
  let accepted = visible
  if (c.decl.accept) {
    const qb = rel.related.Model.query(state.db as Knex).whereIn(`${rel.related.table}.${rel.relatedKey}`, [...visible])
      .select(`${rel.related.table}.${rel.relatedKey}`)
    applyConditions(qb, c.decl.accept, rel.related, state)
    accepted = new Set((await qb).map((r: any) => r[rel.relatedKey]))
  }
  const result: Record<string, unknown> = { attached_now: [], already_attached: [], missing: [] }
  if (c.decl.rejected) result[c.decl.rejected] = []
  const toInsert: string[] = []
  for (const id of hex) {
    const key = !visible.has(id) ? 'missing' : linked.has(id) ? 'already_attached' : !accepted.has(id) ? c.decl.rejected! : 'attached_now'
    ;(result[key] as string[]).push(toUuid(id))
    if (key === 'attached_now') toInsert.push(id)
  }
  if (toInsert.length) {
    await (state.db as Knex)(rel.joinTable).insert(toInsert.map(id => ({ [rel.ownerColumn]: ownerId, [rel.relatedColumn]: id })))
  }
  result.count_total = await countLinks(state, rel, ownerId)
  return { status: c.status, body: result }
}

export async function detach(c: Compiled, state: RequestState): Promise<Result> {
  const row = await relationTarget(c, state)
  const rel = c.relation!.mtm!
  const { hex } = idList(c, state)
  const ownerId = row[rel.ownerKey]
  const existing = new Set<string>((await scoped(rel.related, rel.subject, 'read', state)
    .whereIn(`${rel.related.table}.${rel.relatedKey}`, hex).select(`${rel.related.table}.${rel.relatedKey}`))
    .map((r: any) => r[rel.relatedKey]))
  const linked = await linkedIds(state, rel, ownerId)
  const result = { detached_now: [] as string[], not_attached: [] as string[], missing: [] as string[], count_total: 0 }
  const toDelete: string[] = []
  for (const id of hex) {
    if (linked.has(id)) { result.detached_now.push(toUuid(id)); toDelete.push(id) }
    else if (existing.has(id)) result.not_attached.push(toUuid(id))
    else result.missing.push(toUuid(id))
  }
  if (toDelete.length) {
    await (state.db as Knex)(rel.joinTable).whereIn(rel.ownerColumn, spellings(ownerId))
      .whereIn(rel.relatedColumn, toDelete.flatMap(spellings) as string[]).delete()
  }
  result.count_total = await countLinks(state, rel, ownerId)
  return { status: c.status, body: result }
}
