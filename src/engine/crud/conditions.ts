// Small data conditions of x-crud (`accept`, `conflicts.exists.where`, nested `where`, `refBy`) compiled
// to SQL on one model's columns. Not authorization: who may see what is the policy engine's job.
// Syntax: {col: value} | {col: {$eq|$ne|$in|$nin: value}} | {$or: [...]} | {$and: [...]}. Values may be
// '${...}' templates. Text columns compare ignoring case (as MySQL's _ci collation does); uuid columns
// accept any UUID spelling.
import type { Knex } from 'knex'
import { toHex } from '../../db/ids.js'
import { resolveValue, type RequestState } from './context.js'
import { tableRef, type ModelMeta } from './model-meta.js'

type QB = any

const OPS = new Set(['$eq', '$ne', '$in', '$nin'])

/** Start-up check: every column is known (when the model's columns are known) and every operator valid. */
export function checkConditions(cond: Record<string, unknown>, meta: ModelMeta, where: string): string[] {
  const problems: string[] = []
  for (const [key, value] of Object.entries(cond)) {
    if (key === '$or' || key === '$and') {
      if (!Array.isArray(value)) problems.push(`${where}.${key}: must be a list`)
      else value.forEach((c, i) => problems.push(...checkConditions(c as Record<string, unknown>, meta, `${where}.${key}[${i}]`)))
      continue
    }
    if (key.startsWith('$')) { problems.push(`${where}: unknown operator ${key}`); continue }
    if (meta.knownColumns.size && !meta.knownColumns.has(key) && key !== meta.idColumn) {
      problems.push(`${where}: ${meta.name} has no column "${key}"`)
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const op of Object.keys(value)) if (!OPS.has(op)) problems.push(`${where}.${key}: unknown operator ${op} (use ${[...OPS].join(' ')})`)
    }
  }
  return problems
}

export function applyConditions(qb: QB, cond: Record<string, unknown>, meta: ModelMeta, state: RequestState, table = tableRef(qb, meta)): QB {
  for (const [key, value] of Object.entries(cond)) {
    if (key === '$or') {
      qb.where((sub: QB) => { for (const c of value as Record<string, unknown>[]) sub.orWhere((one: QB) => applyConditions(one, c, meta, state, table)) })
    } else if (key === '$and') {
      for (const c of value as Record<string, unknown>[]) qb.where((one: QB) => applyConditions(one, c, meta, state, table))
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [op, operand] of Object.entries(value)) compare(qb, `${table}.${key}`, meta.kindOf(key), op, operand, state)
    } else {
      compare(qb, `${table}.${key}`, meta.kindOf(key), '$eq', value, state)
    }
  }
  return qb
}

function normalise(kind: string, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (kind === 'uuid') return toHex(v) ?? `invalid:${String(v)}` // never equal to a stored id
  return v
}

function compare(qb: QB, column: string, kind: string, op: string, operand: unknown, state: RequestState) {
  const value0 = resolveValue(operand, state)
  const text = kind === 'string'
  // knex's raw (not Objection's): conditions also apply to plain knex queries (nested relations).
  const lhs = text ? (state.db as Knex).raw('lower(??)', [column]) : column
  const rhs = (v: unknown) => (text && typeof v === 'string' ? v.toLowerCase() : v)
  if (op === '$in' || op === '$nin') {
    const list = (Array.isArray(value0) ? value0 : [value0]).map(v => resolveValue(v, state)).map(v => normalise(kind, v))
    const values = list.filter(v => v !== null).map(rhs)
    const hasNull = list.some(v => v === null)
    if (op === '$in') {
      qb.where((w: QB) => {
        if (values.length) w.orWhereIn(lhs, values)
        else w.orWhereRaw('1 = 0')
        if (hasNull) w.orWhereNull(column)
      })
    } else {
      qb.where((w: QB) => {
        if (values.length && hasNull) w.whereNotIn(lhs, values).whereNotNull(column)
        else if (values.length) w.whereNotIn(lhs, values).orWhereNull(column)
        else if (hasNull) w.whereNotNull(column)
        else w.whereRaw('1 = 1')
      })
    }
    return
  }
  const value = normalise(kind, value0)
  if (op === '$eq') {
    if (value === null) qb.whereNull(column)
    else qb.where(lhs, rhs(value))
  } else if (op === '$ne') {
    if (value === null) qb.whereNotNull(column)
    else qb.where((w: QB) => w.whereNot(lhs, rhs(value)).orWhereNull(column))
  }
}
