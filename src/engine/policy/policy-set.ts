// The loaded policies: per-user CASL abilities, SQL scoping of lists, may-I for one row, explain.
import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability'
import { rulesToAST } from '@casl/ability/extra'
import type { Knex } from 'knex'
import type { QueryBuilder } from 'objection'
import { applyPred, compileAst, evaluatePred, existsQuery, newContext, simplify, type AstNode, type Pred } from './compile.js'
import { PolicyError, checkConditions, type LoadedRule, type PolicyProblem, type RolesConfig } from './load.js'
import { conditionsMatcher } from './matcher.js'
import type { ModelInfo, Schema } from './schema.js'

export type AppAbility = MongoAbility<[string, string], Record<string, unknown>>

/** What the engine reads from a user: `role` and the columns named in `${user.*}` placeholders. */
export interface PolicyUser {
  id: string
  role?: string | null
}

const column = (user: PolicyUser | null, col: string): unknown => (user ? (user as unknown as Record<string, unknown>)[col] : undefined)

export interface ScopeOptions {
  /** Extra Mongo-style conditions (same syntax and placeholders as rules), ANDed with the policy. */
  where?: Record<string, unknown>
}

export interface DbOptions {
  /** Connection or transaction to run on (default: the subject model's knex). */
  db?: Knex | Knex.Transaction
}

export interface RuleRef {
  id: string
  file: string
  line: number
  inverted: boolean
  reason?: string
}

export interface Explanation {
  decision: 'allow' | 'deny'
  role: string
  action: string
  subject: string
  id?: string | number
  /** False when an id was given and no such row exists (then decision is deny). */
  rowExists?: boolean
  /** The rule that decided (null: no rule matched, so the default deny). */
  rule: RuleRef | null
  /** Rules for this role/action/subject in priority order, with whether each matched the row. */
  considered: Array<RuleRef & { matched: boolean | null }>
  /** The list query with the policy condition, as SQL with bindings, and interpolated. */
  sql: { sql: string, bindings: readonly unknown[], text: string }
}

interface RawRuleMeta { meta: RuleRef }

const CACHE_LIMIT = 5000

export class PolicySet {
  readonly rules: readonly LoadedRule[]
  readonly roles: RolesConfig
  readonly schema: Schema
  private readonly byRole = new Map<string, LoadedRule[]>()
  private readonly cache = new Map<string, AppAbility>()
  // Per ability (so per role and placeholder values, and gone with it): rulesToAST and the compiled rule
  // predicate for each action, subject and table reference. Both are pure data, read and never changed.
  private readonly asts = new WeakMap<AppAbility, Map<string, AstNode | null>>()
  private readonly predicates = new WeakMap<AppAbility, Map<string, Pred>>()
  private readonly placeholderColumns: string[]
  private readonly checkedWhere = new Set<string>()

  constructor(rules: LoadedRule[], roles: RolesConfig, schema: Schema) {
    this.rules = rules
    this.roles = roles
    this.schema = schema
    for (const role of [...Object.keys(roles.roles), roles.anonymous]) {
      // CASL: the later a rule, the higher its priority. Inverted rules go last so that a refusal
      // always wins; allowing rules are reversed so that explain names the first one in file order.
      const mine = rules.filter((r) => r.roles.includes(role))
      this.byRole.set(role, [...mine.filter((r) => !r.inverted).reverse(), ...mine.filter((r) => r.inverted).reverse()])
    }
    this.placeholderColumns = [...new Set(rules.flatMap((r) => r.placeholders))].sort()
  }

  /** The policy role of a user row (roles.yaml); null = anonymous. */
  roleOf(user: PolicyUser | null | undefined): string {
    if (!user) return this.roles.anonymous
    const stored = typeof user.role === 'string' ? user.role.trim() : ''
    const norm = (s: string) => (this.roles.caseInsensitive ? s.toUpperCase() : s)
    for (const [role, values] of Object.entries(this.roles.roles)) {
      if (values.some((v) => norm(v) === norm(stored))) return role
    }
    return this.roles.unknown
  }

  /** The CASL ability of a user, placeholders filled in. Cached per role and placeholder values. */
  abilityFor(user: PolicyUser | null | undefined): AppAbility {
    const role = this.roleOf(user)
    const values = user ? this.placeholderColumns.map((c) => column(user, c) ?? null) : []
    const key = `${role}\u0000${JSON.stringify(values)}`
    let ability = this.cache.get(key)
    if (!ability) {
      const raw = (this.byRole.get(role) ?? []).map((r) => toRawRule(r, user ?? null))
      ability = createMongoAbility<AppAbility>(raw as unknown as RawRuleOf<AppAbility>[], { conditionsMatcher: conditionsMatcher as any })
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
      this.cache.set(key, ability)
    }
    return ability
  }

  /** Has the user any allowing rule for action/subject at all (ignoring conditions)? */
  can(user: PolicyUser | null | undefined, action: string, subject: string, field?: string): boolean {
    return this.abilityFor(user).can(action, subject, field)
  }

  /** The SQL predicate of the user's rules for rows of `subject` read from `tableRef`. */
  predicate(user: PolicyUser | null | undefined, action: string, subject: string, tableRef?: string, options: ScopeOptions = {}): Pred {
    const info = this.model(subject)
    const ability = this.abilityFor(user)
    const outer = { kind: 'alias' as const, alias: tableRef ?? info.table }
    if (!options.where) {
      const key = `${action}\u0000${subject}\u0000${outer.alias}`
      const known = memo(this.predicates, ability).get(key)
      if (known) return known
      const pred = compileAst(newContext(this.schema), info, outer, this.rulesAst(ability, action, subject))
      memo(this.predicates, ability).set(key, pred)
      return pred
    }
    // One context for both parts: the subquery aliases of the extra condition must not repeat the rules'.
    const ctx = newContext(this.schema)
    const pred = compileAst(ctx, info, outer, this.rulesAst(ability, action, subject))
    return simplify({ k: 'and', items: [pred, compileAst(ctx, info, outer, this.whereAst(info, options.where, user ?? null))] })
  }

  private rulesAst(ability: AppAbility, action: string, subject: string): AstNode | null {
    const byKey = memo(this.asts, ability)
    const key = `${action}\u0000${subject}`
    if (!byKey.has(key)) byKey.set(key, rulesToAST(ability, action, subject) as AstNode | null)
    return byKey.get(key)!
  }

  /**
   * Adds the user's policy condition to an Objection query (lists): WHERE / WHERE EXISTS, no joins,
   * no extra queries. No allowing rule: `where 1 = 0`. `subject` defaults to the query's model.
   */
  scope<Q extends QueryBuilder<any, any>>(query: Q, user: PolicyUser | null | undefined, action: string, subject?: string, options: ScopeOptions = {}): Q {
    const modelClass = query.modelClass()
    const name = subject ?? this.nameOf(modelClass.tableName)
    const tableRef = (query as any).tableRefFor(modelClass) as string
    // The query's own knex (its transaction, or the model's binding) builds the subqueries.
    const knex = ((query as any).knex?.() as Knex | undefined) ?? knexOf(modelClass)
    applyPred(query, this.predicate(user, action, name, tableRef, options), knex)
    return query
  }

  /** The same condition on a plain knex builder whose table is `tableRef` (default: the model's table). */
  scopeKnex(builder: Knex.QueryBuilder, knex: Knex, user: PolicyUser | null | undefined, action: string, subject: string, tableRef?: string, options: ScopeOptions = {}): Knex.QueryBuilder {
    applyPred(builder, this.predicate(user, action, subject, tableRef, options), knex)
    return builder
  }

  /** May the user do `action` on the existing row `id`? One `select 1` with the list's condition. */
  async canOnRow(user: PolicyUser | null | undefined, action: string, subject: string, id: string | number, options: DbOptions = {}): Promise<boolean> {
    const info = this.model(subject)
    const pred = this.predicate(user, action, subject)
    if (pred.k === 'const' && !pred.v) return false
    const db = options.db ?? knexOf(info.modelClass)
    const q = db(info.table).select(db.raw('1 as ok')).where(`${info.table}.${info.idColumn}`, id as any).limit(1)
    applyPred(q, pred, db as Knex)
    return (await q).length > 0
  }

  /**
   * May the user do `action` on a row with these column values (a row to create, or the new values
   * of an update)? Relation conditions follow the foreign keys in `values`; at most one query.
   */
  async canWith(user: PolicyUser | null | undefined, action: string, subject: string, values: Record<string, unknown>, options: DbOptions = {}): Promise<boolean> {
    const info = this.model(subject)
    const pred = compileAst(newContext(this.schema), info, { kind: 'values', values }, this.rulesAst(this.abilityFor(user), action, subject))
    if (pred.k === 'const') return pred.v
    return evaluatePred(pred, options.db ?? knexOf(info.modelClass))
  }

  /** Which rule decides, and the SQL a list would use. */
  async explain(user: PolicyUser | null | undefined, action: string, subject: string, id?: string | number, options: DbOptions = {}): Promise<Explanation> {
    const info = this.model(subject)
    const db = (options.db ?? knexOf(info.modelClass)) as Knex
    const ability = this.abilityFor(user)
    const role = this.roleOf(user)
    const list = db(info.table).select(`${info.table}.*`)
    applyPred(list, this.predicate(user, action, subject), db)
    const native = list.toSQL().toNative()
    const sql = { sql: native.sql, bindings: native.bindings, text: list.toString() }
    const rules = ability.rulesFor(action, subject)
    const refOf = (r: (typeof rules)[number]) => (r.origin as unknown as RawRuleMeta).meta

    if (id === undefined) {
      const decisive = ability.relevantRuleFor(action, subject)
      return {
        decision: ability.can(action, subject) ? 'allow' : 'deny', role, action, subject, sql,
        rule: decisive ? refOf(decisive) : null,
        considered: rules.map((r) => ({ ...refOf(r), matched: null })),
      }
    }

    // One query: does the row exist, and which rule's conditions does it meet?
    const ctx = newContext(this.schema)
    const exists = (pred: Pred) => {
      const p = simplify(pred)
      if (p.k === 'const' && !p.v) return db.raw('0')
      const sub = existsQuery({ k: 'exists', table: info.table, alias: info.table, links: [[`${info.table}.${info.idColumn}`, { value: id }]], where: p }, db)
      return db.raw('case when exists ? then 1 else 0 end', [sub])
    }
    const columns: Record<string, Knex.Raw> = { found: exists({ k: 'const', v: true }) }
    rules.forEach((r, i) => {
      const pred = r.ast ? compileAst(ctx, info, { kind: 'alias', alias: info.table }, r.ast as AstNode) : ({ k: 'const', v: true } as Pred)
      columns[`r${i}`] = exists(pred)
    })
    const [row] = await db.select(Object.entries(columns).map(([k, v]) => db.raw('? as ??', [v, k])))
    const matched = rules.map((_, i) => Number((row as any)[`r${i}`]) === 1)
    const rowExists = Number((row as any).found) === 1
    const first = rowExists ? matched.findIndex(Boolean) : -1
    const decisive = first >= 0 ? rules[first] : null
    return {
      decision: decisive && !decisive.inverted ? 'allow' : 'deny', role, action, subject, id, rowExists, sql,
      rule: decisive ? refOf(decisive) : null,
      considered: rules.map((r, i) => ({ ...refOf(r), matched: rowExists ? matched[i] : null })),
    }
  }

  /** Objection relation expression that `ability.can()` needs loaded to decide in memory. */
  relationsFor(action: string, subject: string): string {
    const info = this.model(subject)
    const paths = new Set<string>()
    for (const r of this.rules) {
      if (!r.conditions) continue
      if (!r.subject.includes(subject) && !r.subject.includes('all')) continue
      if (!r.action.includes(action) && !r.action.includes('manage')) continue
      collectRelationPaths(this.schema, info, r.conditions, '', paths)
    }
    // Keep only the longest paths (a.b covers a).
    const list = [...paths].filter((p) => ![...paths].some((q) => q !== p && q.startsWith(`${p}.`))).sort()
    return list.length ? `[${list.join(', ')}]` : ''
  }

  /** Validates declared extra conditions (e.g. a list filter of openapi.yaml) like a rule's. */
  checkWhere(subject: string, where: Record<string, unknown>, source = 'filter'): void {
    const info = this.model(subject)
    const problems: PolicyProblem[] = []
    checkConditions(where, info, this.schema, this.schema.get('User')?.columns ?? ['id'], new Set(), (message, path) => {
      problems.push({ file: source, line: 0, ruleId: path.join('.'), message })
    }, [])
    if (problems.length) throw new PolicyError(problems)
  }

  model(subject: string): ModelInfo {
    const info = this.schema.get(subject)
    if (!info) throw new Error(`policy: unknown subject ${subject}`)
    return info
  }

  private nameOf(table: string): string {
    for (const info of this.schema.values()) if (info.table === table) return info.name
    throw new Error(`policy: no model for table ${table}`)
  }

  private whereAst(info: ModelInfo, where: Record<string, unknown>, user: PolicyUser | null): AstNode {
    const key = `${info.name}\u0000${JSON.stringify(where)}`
    if (!this.checkedWhere.has(key)) {
      this.checkWhere(info.name, where)
      this.checkedWhere.add(key)
    }
    return conditionsMatcher(interpolate(where, user) as any).ast as unknown as AstNode
  }
}

function knexOf(modelClass: { knex(): Knex }): Knex {
  const knex = modelClass.knex()
  if (!knex) throw new Error('policy: the model is not bound to a knex instance; pass { db }')
  return knex
}

function toRawRule(r: LoadedRule, user: PolicyUser | null): Record<string, unknown> & RawRuleMeta {
  return {
    action: r.action,
    subject: r.subject,
    ...(r.fields ? { fields: r.fields } : {}),
    ...(r.conditions ? { conditions: interpolate(r.conditions, user) } : {}),
    ...(r.inverted ? { inverted: true } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    meta: { id: r.id, file: r.file, line: r.line, inverted: r.inverted, ...(r.reason ? { reason: r.reason } : {}) },
  }
}

const WHOLE = /^\$\{\s*user\.([A-Za-z0-9_]+)\s*\}$/
const PART = /\$\{\s*user\.([A-Za-z0-9_]+)\s*\}/g

/** The memo of one ability in a per-ability store. */
function memo<V>(store: WeakMap<AppAbility, Map<string, V>>, ability: AppAbility): Map<string, V> {
  let byKey = store.get(ability)
  if (!byKey) {
    byKey = new Map()
    store.set(ability, byKey)
  }
  return byKey
}

/** `${user.col}` -> the user's value (kept typed, null included, when it is the whole string). */
export function interpolate(value: unknown, user: PolicyUser | null): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole) return column(user, whole[1]) ?? null
    return value.replace(PART, (_, col: string) => String(column(user, col) ?? ''))
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, user))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, user)]))
  }
  return value
}

function collectRelationPaths(schema: Schema, model: ModelInfo, conditions: Record<string, unknown>, prefix: string, out: Set<string>) {
  for (const [key, value] of Object.entries(conditions)) {
    const segments = key.split('.')
    let current = model
    const rels: string[] = []
    for (const seg of segments) {
      const rel = current.relations.get(seg)
      if (!rel) break
      rels.push(seg)
      current = schema.get(rel.related)!
    }
    if (rels.length) out.add(prefix + rels.join('.'))
    const elem = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>).$elemMatch : undefined
    if (elem && typeof elem === 'object' && rels.length) collectRelationPaths(schema, current, elem as Record<string, unknown>, `${prefix}${rels.join('.')}.`, out)
  }
}
