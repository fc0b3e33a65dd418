// CASL condition AST -> SQL predicate tree -> knex where / whereExists, following the relation mappings.
//
// Semantics match CASL's in-memory matcher (with the compare/exists of ./matcher.ts) row by row:
// every leaf is two-valued in SQL (never NULL), so NOT of a leaf means exactly "the matcher says no".
// - a path through a to-many relation means "some related row matches" (EXISTS);
// - $ne / $nin / $exists:false are the negation of $eq / $in / $exists:true (Mongo: "no element equals");
// - null only equals null; comparisons with null are false.
// Relations become correlated EXISTS subqueries, never joins, so a list keeps one row per object and
// stays one query whatever the page size.
import type { Knex } from 'knex'
import { dialectOf, type Dialect } from '../../db/connection.js'
import { sqlFragment, type SqlFragment } from '../../db/fragment.js'
import { compareValues } from './matcher.js'
import type { ModelInfo, RelationInfo, Schema } from './schema.js'

/** The node shapes of @ucast (CompoundCondition / FieldCondition), structurally. */
export interface AstNode {
  operator: string
  value: unknown
  field?: string
}

type CmpOp = 'eq' | 'gt' | 'gte' | 'lt' | 'lte'
type Ref = { sql: string } | { value: unknown }

export type Pred =
  | { k: 'const', v: boolean }
  | { k: 'and' | 'or', items: Pred[] }
  | { k: 'not', item: Pred }
  | { k: 'cmp', ref: string, op: CmpOp, value: unknown } // value is never null
  | { k: 'in', ref: string, values: unknown[] } // values never null, never empty
  | { k: 'null', ref: string, isNull: boolean }
  | { k: 'exists', table: string, alias: string, join?: { table: string, alias: string, left: string, right: string }, links: Array<[string, Ref]>, where: Pred }

const TRUE: Pred = { k: 'const', v: true }
const FALSE: Pred = { k: 'const', v: false }
const SQL_OP: Record<CmpOp, string> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }

/** Where the columns of the current model come from: a table alias, or literal values (a row not in the DB). */
export type Outer =
  | { kind: 'alias', alias: string }
  | { kind: 'values', values: Record<string, unknown> }
  /** Only the key column is known (from a join table or a foreign key): the table itself is skipped. */
  | { kind: 'key', col: string, ref: Ref }

export interface CompileContext {
  schema: Schema
  nextAlias: () => string
}

export function newContext(schema: Schema): CompileContext {
  let n = 0
  return { schema, nextAlias: () => `pol_${++n}` }
}

/** Compiles a CASL AST (null = no allowing rule) for `model`, whose row is `outer`. */
export function compileAst(ctx: CompileContext, model: ModelInfo, outer: Outer, ast: AstNode | null): Pred {
  if (ast === null) return FALSE
  return simplify(compileNode(ctx, model, outer, ast))
}

function compileNode(ctx: CompileContext, model: ModelInfo, outer: Outer, node: AstNode): Pred {
  if (node.field === undefined) {
    const items = node.value as AstNode[]
    switch (node.operator) {
      case 'and': return { k: 'and', items: items.map((n) => compileNode(ctx, model, outer, n)) }
      case 'or': return { k: 'or', items: items.map((n) => compileNode(ctx, model, outer, n)) }
      case 'not': return { k: 'not', item: compileNode(ctx, model, outer, items[0]) }
      default: throw new Error(`policy compiler: unsupported compound operator "${node.operator}"`)
    }
  }
  const segments = node.field.split('.')
  const hops: RelationInfo[] = []
  let current = model
  let i = 0
  while (i < segments.length && current.relations.has(segments[i])) {
    const rel = current.relations.get(segments[i])!
    hops.push(rel)
    current = ctx.schema.get(rel.related)!
    i++
  }
  const column = segments.slice(i).join('.')
  if (column && !current.columns.includes(column)) throw new Error(`policy compiler: unknown field "${node.field}" on ${model.name}`)
  return build(ctx, model, outer, hops, column, node.operator, node.value)
}

function build(ctx: CompileContext, model: ModelInfo, outer: Outer, hops: RelationInfo[], column: string, op: string, value: unknown): Pred {
  if (op === 'ne') return { k: 'not', item: build(ctx, model, outer, hops, column, 'eq', value) }
  if (op === 'nin') return { k: 'not', item: build(ctx, model, outer, hops, column, 'in', value) }
  if (op === 'exists' && value === false) return { k: 'not', item: build(ctx, model, outer, hops, column, 'exists', true) }
  if (hops.length === 0) {
    if (!column) throw new Error(`policy compiler: operator ${op} needs a field`)
    return leaf(resolve(outer, column), op, value)
  }
  const [hop, ...rest] = hops
  const related = ctx.schema.get(hop.related)!
  const endsHere = rest.length === 0
  const inner = (innerOuter: Outer): Pred => {
    if (!endsHere || column) return build(ctx, related, innerOuter, rest, column, op, value)
    if (op === 'exists') return TRUE
    if (op === 'elemMatch') return compileNode(ctx, related, innerOuter, value as AstNode)
    throw new Error(`policy compiler: operator ${op} on relation ${hop.name} needs a column`)
  }

  if (hop.kind === 'belongsTo') {
    const fk = resolve(outer, hop.ownerCol)
    // The related key is the foreign key itself: compare it without a subquery.
    if (endsHere && column === hop.relatedCol) {
      return { k: 'and', items: [notNull(fk), leaf(fk, op, value)] }
    }
    if (isNullRef(fk)) return FALSE
    // The next hop starts from the related key (e.g. board.project -> project.members): follow it from
    // the foreign key, without reading the related table (the foreign key constraint guarantees the row).
    if (!endsHere && rest[0].kind !== 'belongsTo' && rest[0].ownerCol === hop.relatedCol) {
      return build(ctx, related, { kind: 'key', col: hop.relatedCol, ref: fk }, rest, column, op, value)
    }
    const alias = ctx.nextAlias()
    return { k: 'exists', table: related.table, alias, links: [[`${alias}.${hop.relatedCol}`, fk]], where: inner({ kind: 'alias', alias }) }
  }

  const key = resolve(outer, hop.ownerCol)
  if (isNullRef(key)) return FALSE
  if (hop.kind === 'hasMany') {
    const alias = ctx.nextAlias()
    return { k: 'exists', table: related.table, alias, links: [[`${alias}.${hop.relatedCol}`, key]], where: inner({ kind: 'alias', alias }) }
  }

  // manyToMany: the join table alone is enough when the rest only needs the related key.
  const j = ctx.nextAlias()
  const throughKey = `${j}.${hop.joinRelatedCol}`
  const onlyKey = endsHere
    ? (column === hop.relatedCol && op !== 'elemMatch') || (!column && op === 'exists')
    : rest[0].kind !== 'belongsTo' && rest[0].ownerCol === hop.relatedCol
  if (onlyKey) {
    return {
      k: 'exists', table: hop.joinTable!, alias: j, links: [[`${j}.${hop.joinOwnerCol}`, key]],
      where: inner({ kind: 'key', col: hop.relatedCol, ref: { sql: throughKey } }),
    }
  }
  const alias = ctx.nextAlias()
  return {
    k: 'exists', table: hop.joinTable!, alias: j,
    join: { table: related.table, alias, left: `${alias}.${hop.relatedCol}`, right: throughKey },
    links: [[`${j}.${hop.joinOwnerCol}`, key]], where: inner({ kind: 'alias', alias }),
  }
}

function resolve(outer: Outer, col: string): Ref {
  if (outer.kind === 'values') return { value: outer.values[col] ?? null }
  if (outer.kind === 'key') {
    if (col !== outer.col) throw new Error(`policy compiler: only ${outer.col} is known here, not ${col}`)
    return outer.ref
  }
  return { sql: `${outer.alias}.${col}` }
}

function isNullRef(ref: Ref): boolean {
  return 'value' in ref && (ref.value === null || ref.value === undefined)
}

function notNull(ref: Ref): Pred {
  if ('value' in ref) return { k: 'const', v: ref.value !== null && ref.value !== undefined }
  return { k: 'null', ref: ref.sql, isNull: false }
}

/** A comparison on one column (or a known value), two-valued. */
function leaf(ref: Ref, op: string, value: unknown): Pred {
  if ('value' in ref) return { k: 'const', v: evaluate(ref.value, op, value) }
  const col = ref.sql
  switch (op) {
    case 'eq':
      return value === null ? { k: 'null', ref: col, isNull: true } : { k: 'cmp', ref: col, op: 'eq', value }
    case 'gt': case 'gte': case 'lt': case 'lte':
      return value === null ? FALSE : { k: 'cmp', ref: col, op, value }
    case 'in': {
      const list = value as unknown[]
      const values = list.filter((v) => v !== null && v !== undefined)
      const items: Pred[] = []
      if (values.length) items.push({ k: 'in', ref: col, values })
      if (values.length !== list.length) items.push({ k: 'null', ref: col, isNull: true })
      return { k: 'or', items }
    }
    case 'exists':
      return { k: 'null', ref: col, isNull: false }
    default:
      throw new Error(`policy compiler: unsupported operator "${op}"`)
  }
}

/** The in-memory answer for a known value (same compare as the CASL matcher). */
function evaluate(actual: unknown, op: string, value: unknown): boolean {
  const a = actual === undefined ? null : actual
  switch (op) {
    case 'eq': return compareValues(a, value) === 0
    case 'gt': return compareValues(a, value) === 1
    case 'gte': { const c = compareValues(a, value); return c === 0 || c === 1 }
    case 'lt': return compareValues(a, value) === -1
    case 'lte': { const c = compareValues(a, value); return c === 0 || c === -1 }
    case 'in': return (value as unknown[]).some((v) => compareValues(a, v) === 0)
    case 'exists': return a !== null
    default: throw new Error(`policy compiler: unsupported operator "${op}"`)
  }
}

/** Folds constants so that a constant can only remain at the root (knex drops empty groups). */
export function simplify(p: Pred): Pred {
  switch (p.k) {
    case 'and': case 'or': {
      const absorbing = p.k === 'or'
      const items: Pred[] = []
      for (const raw of p.items) {
        const item = simplify(raw)
        if (item.k === 'const') {
          if (item.v === absorbing) return item
          continue
        }
        if (item.k === p.k) items.push(...item.items)
        else items.push(item)
      }
      if (items.length === 0) return { k: 'const', v: !absorbing }
      return items.length === 1 ? items[0] : { k: p.k, items }
    }
    case 'not': {
      const item = simplify(p.item)
      if (item.k === 'const') return { k: 'const', v: !item.v }
      if (item.k === 'not') return item.item
      return { k: 'not', item }
    }
    case 'exists': {
      const where = simplify(p.where)
      if (where.k === 'const' && !where.v) return FALSE
      return { ...p, where }
    }
    default:
      return p
  }
}

/** Adds the predicate to a knex (or Objection) builder as one parenthesised group. */
export function applyPred(builder: any, pred: Pred, knex: Knex): void {
  const sql = renderedSql(pred, knex)
  if (sql) builder.whereRaw(sql.text, sql.bindings)
}

// Predicates are memoized per ability (policy-set.ts), and a predicate's SQL depends only on the dialect, so
// each is rendered once: building and compiling its EXISTS subqueries on every request was most of the
// cost of the SQL compiler in a list. Null: the predicate is constant true (no condition at all).
const rendered = new WeakMap<Pred, Map<Dialect, SqlFragment | null>>()

function renderedSql(pred: Pred, knex: Knex): SqlFragment | null {
  let byDialect = rendered.get(pred)
  if (!byDialect) rendered.set(pred, byDialect = new Map())
  const dialect = dialectOf(knex)
  if (!byDialect.has(dialect)) byDialect.set(dialect, renderPred(simplify(pred), knex))
  return byDialect.get(dialect)!
}

function renderPred(p: Pred, knex: Knex): SqlFragment | null {
  if (p.k === 'const') return p.v ? null : { text: '1 = 0', bindings: [] }
  return sqlFragment(knex.queryBuilder().where((q: any) => render(q, p, knex)), 'select * where ')
}

// `negated`: the leaf sits under a NOT of this (sub)query. Only there can a NULL comparison change
// the answer (NOT NULL is NULL, not true), so only there do comparisons get an IS NOT NULL guard;
// elsewhere the plain, index-friendly comparison is equivalent.
function render(q: any, p: Pred, knex: Knex, negated = false): void {
  switch (p.k) {
    case 'const':
      if (!p.v) q.whereRaw('1 = 0')
      return
    case 'and':
      for (const item of p.items) render(q, item, knex, negated)
      return
    case 'or':
      for (const item of p.items) q.orWhere((qq: any) => render(qq, item, knex, negated))
      return
    case 'not':
      q.whereNot((qq: any) => render(qq, p.item, knex, true))
      return
    case 'cmp':
      if (negated) q.where((qq: any) => qq.whereNotNull(p.ref).where(p.ref, SQL_OP[p.op], p.value))
      else q.where(p.ref, SQL_OP[p.op], p.value)
      return
    case 'in':
      if (negated) q.where((qq: any) => qq.whereNotNull(p.ref).whereIn(p.ref, p.values))
      else q.whereIn(p.ref, p.values)
      return
    case 'null':
      if (p.isNull) q.whereNull(p.ref)
      else q.whereNotNull(p.ref)
      return
    case 'exists':
      q.whereExists(existsQuery(p, knex))
  }
}

/**
 * The subquery of an EXISTS node: `select 1 from <table> [join] where <links> and <where>`. An EXISTS that is
 * a conjunct of this one's condition joins in instead of nesting (EXISTS(a: P and EXISTS(b: Q)) is
 * EXISTS(a, b: P and Q)): MariaDB materializes the outer subquery of nested EXISTS and probes the inner one
 * for every row of its table, while one subquery with joins starts from the most selective table.
 */
export function existsQuery(p: Extract<Pred, { k: 'exists' }>, knex: Knex): Knex.QueryBuilder {
  const sub = knex.select(knex.raw('1')).from({ [p.alias]: p.table })
  addExists(sub, p, knex, false)
  return sub
}

function addExists(sub: Knex.QueryBuilder, p: Extract<Pred, { k: 'exists' }>, knex: Knex, joined: boolean): void {
  if (joined) {
    // The links of a joined EXISTS are its join condition.
    sub.innerJoin({ [p.alias]: p.table }, function () {
      if (p.links.length === 0) this.on(knex.raw('1 = 1'))
      for (const [col, ref] of p.links) {
        if ('sql' in ref) this.on(col, '=', ref.sql)
        else this.andOn(col, '=', knex.raw('?', [ref.value as any]))
      }
    })
  } else {
    for (const [col, ref] of p.links) {
      if ('sql' in ref) sub.where(col, knex.ref(ref.sql))
      else sub.where(col, ref.value as any)
    }
  }
  if (p.join) sub.innerJoin({ [p.join.alias]: p.join.table }, p.join.left, p.join.right)
  const where = simplify(p.where)
  if (where.k === 'const') {
    if (!where.v) sub.whereRaw('1 = 0')
    return
  }
  const conjuncts = where.k === 'and' ? where.items : [where]
  const rest: Pred[] = []
  for (const c of conjuncts) {
    if (c.k === 'exists') addExists(sub, c, knex, true)
    else rest.push(c)
  }
  if (rest.length) render(sub, rest.length === 1 ? rest[0] : { k: 'and', items: rest }, knex)
}

/**
 * Answers a predicate compiled against literal values (no outer table): constants are folded, the
 * remaining EXISTS leaves are answered in one `select case when exists(...) ...` query.
 */
export async function evaluatePred(pred: Pred, knex: Knex | Knex.Transaction): Promise<boolean> {
  const p = simplify(pred)
  if (p.k === 'const') return p.v
  const leaves: Array<Extract<Pred, { k: 'exists' }>> = []
  collectLeaves(p, leaves)
  const columns = leaves.map((leaf, i) => knex.raw('case when exists ? then 1 else 0 end as ??', [existsQuery(leaf, knex as Knex), `c${i}`]))
  const [row] = await (knex as Knex).select(columns)
  const answers = leaves.map((_, i) => Number((row as Record<string, unknown>)[`c${i}`]) === 1)
  return evalTree(p, leaves, answers)
}

function collectLeaves(p: Pred, out: Array<Extract<Pred, { k: 'exists' }>>): void {
  if (p.k === 'and' || p.k === 'or') p.items.forEach((i) => collectLeaves(i, out))
  else if (p.k === 'not') collectLeaves(p.item, out)
  else if (p.k === 'exists') out.push(p)
  else if (p.k !== 'const') throw new Error(`policy compiler: a ${p.k} leaf needs a table row`)
}

function evalTree(p: Pred, leaves: Pred[], answers: boolean[]): boolean {
  switch (p.k) {
    case 'const': return p.v
    case 'and': return p.items.every((i) => evalTree(i, leaves, answers))
    case 'or': return p.items.some((i) => evalTree(i, leaves, answers))
    case 'not': return !evalTree(p.item, leaves, answers)
    case 'exists': return answers[leaves.indexOf(p)]
    default: throw new Error(`policy compiler: a ${p.k} leaf needs a table row`)
  }
}
