// Turns one x-crud block into a checked, ready-to-run plan: every model, relation, column, delete plan and
// path is resolved at start-up, so a typo stops the server with a message naming the operation.
import type { Relation } from 'objection'
import { deletePlans, type DeletePlan } from '../../db/delete-plans.js'
import type { RouteEntry } from '../route-table.js'
import { checkConditions } from './conditions.js'
import { DeclarationError, parseDeclaration, type CrudDeclaration, type ErrorAnswerDecl } from './declaration.js'
import { compileOrdering, resolvePath, type FilterSpec, type OrderingSpec, type PathRef } from './list.js'
import { metaOf, nameOfModel, relationKeys, type ColumnKind, type ModelClass, type ModelMeta } from './model-meta.js'
import { compileOrder, compileOutput, type CompileEnv, type CompiledOutput, type OrderTerm } from './output.js'

export interface ManyToMany {
  name: string
  related: ModelMeta
  subject: string
  joinTable: string
  ownerColumn: string // join-table column pointing at the owner
  relatedColumn: string // join-table column pointing at the related row
  ownerKey: string // owner's column the join refers to (its pk)
  relatedKey: string
}

export interface CompiledInput {
  field: string
  column: string
  kind: ColumnKind
  trim: boolean
  blank: boolean
  nullable: boolean
  hasDefault: boolean
  default: unknown
  maxLength?: number
  ref?: { meta: ModelMeta, subject: string, refBy?: Record<string, unknown> }
  refError?: ErrorAnswerDecl
  relation?: ManyToMany
}

export interface Compiled {
  route: RouteEntry
  decl: CrudDeclaration
  meta: ModelMeta
  subject: string
  policyAction: string
  status: number
  lookup: { param: string, column: string, type: 'uuid' | 'int' | 'string', malformed?: ErrorAnswerDecl }
  notFound: string
  output: CompiledOutput
  search: PathRef[]
  ordering: OrderingSpec
  order: OrderTerm[]
  filters: FilterSpec[]
  inputs: CompiledInput[]
  relation?: { name: string, related: ModelMeta, subject: string, mtm?: ManyToMany, raw: Relation }
  deletePlan?: DeletePlan
  /** Model of each `conflicts[i].exists.relation`. */
  conflictModels: ModelMeta[]
  /** `cascade`: join tables to clear (many-to-many) or child tables to delete from (has-many), by owner key. */
  cascade: { table: string, column: string, ownerKey: string }[]
}

const DEFAULT_STATUS: Record<string, number> = { create: 201, delete: 204 }

export function compile(route: RouteEntry, models: Record<string, ModelClass>): Compiled {
  const where = `${route.operationId} (${route.method} ${route.path})`
  const decl = parseDeclaration(route.crud, where)
  const problems: string[] = []
  const env: CompileEnv = { models, problems, where: '' }
  const M = models[decl.model]
  if (!M) throw new DeclarationError(where, [`/model: unknown model "${decl.model}" (known: ${Object.keys(models).join(', ')})`])
  const meta = metaOf(decl.model, M)
  const policy = route.policy as { action?: string, subject?: string } | null
  if (!policy?.action) problems.push('x-policy {action, subject} is required on every x-crud operation')
  const subject = policy?.subject ?? decl.model
  if (!models[subject]) problems.push(`x-policy subject "${subject}" is not a model`)

  const lookupType = decl.lookup?.type ?? (meta.idKind === 'uuid' ? 'uuid' : 'int')
  const lookup = { param: decl.lookup?.param ?? 'id', column: decl.lookup?.column ?? meta.idColumn, type: lookupType, malformed: decl.lookup?.malformed }
  if (meta.knownColumns.size && !meta.knownColumns.has(lookup.column)) problems.push(`/lookup/column: ${meta.name} has no column "${lookup.column}"`)

  // The relation of attach / detach / list-related, and the model whose rows are listed.
  let relation: Compiled['relation']
  if (decl.relation) {
    const raw = meta.relation(decl.relation)
    if (!raw) {
      problems.push(`/relation: ${meta.name} has no relation "${decl.relation}" (has: ${Object.keys(M.getRelations()).join(', ')})`)
    } else {
      const name = nameOfModel(models, raw.relatedModelClass)
      if (!name) problems.push(`/relation: the model of "${decl.relation}" is not in the registry`)
      else {
        const related = metaOf(name, models[name])
        const mtm = manyToMany(decl.relation, raw, related, name)
        if ((decl.action === 'attach' || decl.action === 'detach') && !mtm) problems.push(`/relation: "${decl.relation}" must be many-to-many for ${decl.action}`)
        relation = { name: decl.relation, related, subject: name, mtm, raw }
      }
    }
  } else if (['attach', 'detach', 'list-related'].includes(decl.action)) {
    problems.push(`/relation: required for action ${decl.action}`)
  }
  if ((decl.action === 'attach' || decl.action === 'detach') && !decl.ids) problems.push(`/ids: required for action ${decl.action}`)
  if (decl.accept && relation) problems.push(...checkConditions(decl.accept, relation.related, '/accept'))
  if (decl.accept && !decl.rejected) problems.push('/rejected: required with accept (the result key of refused targets)')

  const listed = decl.action === 'list-related' && relation ? relation.related : meta
  const output = compileOutput(decl.output, listed, { ...env, where: '' })
  const search = (decl.search ?? []).map(p => resolvePath(p, listed, env, `search/${p}`)).filter((x): x is PathRef => !!x)
  const ordering = compileOrdering(decl, listed, env)
  const order = compileOrder([], listed, { ...env, where: '' }) // the pk alone, when nothing else orders the list
  const filters: FilterSpec[] = []
  for (const [param, f] of Object.entries(decl.filters ?? {})) {
    const spec = typeof f === 'string' ? { path: f } : f
    const ref = resolvePath(spec.path, listed, env, `filters/${param}`)
    if (ref) filters.push({ param, ref, type: spec.type ?? (ref.target.kindOf(ref.column) === 'uuid' ? 'uuid' : 'string'), match: spec.match ?? 'exact' })
  }
  if (decl.where) {
    // checked by the policy engine's scope (same syntax as rules); only its shape here
    if (typeof decl.where !== 'object') problems.push('/where: must be a map of conditions')
  }

  const inputs: CompiledInput[] = []
  for (const [field, spec] of Object.entries(decl.input ?? {})) {
    const column = spec.column ?? field
    const at = `/input/${field}`
    let rel: ManyToMany | undefined
    if (spec.relation) {
      const raw = meta.relation(spec.relation)
      const name = raw && nameOfModel(models, raw.relatedModelClass)
      rel = raw && name ? manyToMany(spec.relation, raw, metaOf(name, models[name]), name) : undefined
      if (!rel) problems.push(`${at}/relation: "${spec.relation}" is not a many-to-many relation of ${meta.name}`)
    } else if (meta.knownColumns.size && !meta.knownColumns.has(column)) {
      problems.push(`${at}: ${meta.name} has no column "${column}"`)
    }
    let ref: CompiledInput['ref']
    if (spec.ref) {
      const R = models[spec.ref]
      if (!R) problems.push(`${at}/ref: unknown model "${spec.ref}"`)
      else {
        const refMeta = metaOf(spec.ref, R)
        if (spec.refBy) problems.push(...checkConditions(spec.refBy, refMeta, `${at}/refBy`))
        ref = { meta: refMeta, subject: spec.ref, refBy: spec.refBy }
      }
    }
    const kind: ColumnKind = rel ? 'uuid' : ref ? (spec.refBy ? 'string' : 'uuid') : meta.kindOf(column)
    inputs.push({
      field, column, kind,
      trim: spec.trim ?? true,
      blank: spec.blank ?? false,
      nullable: spec.nullable ?? false,
      hasDefault: 'default' in spec,
      default: spec.default,
      maxLength: spec.refBy ? undefined : meta.columns.maxLength[column],
      ref, refError: spec.refError, relation: rel,
    })
  }
  for (const col of Object.keys(decl.set ?? {})) {
    if (meta.knownColumns.size && !meta.knownColumns.has(col)) problems.push(`/set/${col}: ${meta.name} has no column "${col}"`)
  }
  for (const [i, u] of (decl.unique ?? []).entries()) {
    for (const col of u.fields) if (meta.knownColumns.size && !meta.knownColumns.has(col)) problems.push(`/unique/${i}: ${meta.name} has no column "${col}"`)
    if (u.error && u.existing) problems.push(`/unique/${i}: give either error or existing`)
  }
  const conflictModels: ModelMeta[] = []
  for (const [i, c] of (decl.conflicts ?? []).entries()) {
    const raw = meta.relation(c.exists.relation)
    if (!raw) { problems.push(`/conflicts/${i}/exists/relation: ${meta.name} has no relation "${c.exists.relation}"`); continue }
    const name = nameOfModel(models, raw.relatedModelClass)
    if (!name) { problems.push(`/conflicts/${i}/exists/relation: its model is not in the registry`); continue }
    conflictModels[i] = metaOf(name, models[name])
    if (c.exists.where) problems.push(...checkConditions(c.exists.where, conflictModels[i], `/conflicts/${i}/exists/where`))
    if (c.when && !(decl.input ?? {})[c.when]) problems.push(`/conflicts/${i}/when: "${c.when}" is not an input field`)
  }
  if (decl.match) {
    for (const col of Object.keys(decl.match)) {
      if (meta.knownColumns.size && !meta.knownColumns.has(col)) problems.push(`/match/${col}: ${meta.name} has no column "${col}"`)
    }
  } else if (decl.action === 'bulk-delete') {
    problems.push('/match: required for bulk-delete')
  }

  let deletePlan: DeletePlan | undefined
  if (decl.action === 'delete' || decl.action === 'bulk-delete') {
    const planName = decl.deletePlan ?? decl.model
    deletePlan = deletePlans[planName]
    if (decl.deletePlan && !deletePlan) problems.push(`/deletePlan: no delete plan "${decl.deletePlan}" (have: ${Object.keys(deletePlans).join(', ')})`)
  }

  const cascade: Compiled['cascade'] = []
  for (const name of decl.cascade ?? []) {
    const raw = meta.relation(name) as any
    if (!raw) { problems.push(`/cascade: ${meta.name} has no relation "${name}"`); continue }
    const keys = relationKeys(raw)
    if (!keys) problems.push(`/cascade: "${name}" must join on one key column`)
    else if (keys.through) cascade.push({ table: keys.through.table, column: keys.through.ownerColumn, ownerKey: keys.ownerKey })
    else if (!raw.isOneToOne() || raw.constructor.name === 'HasOneRelation') cascade.push({ table: raw.relatedModelClass.tableName, column: keys.relatedKey, ownerKey: keys.ownerKey })
    else problems.push(`/cascade: "${name}" points at a parent row; only to-many relations can be emptied`)
  }
  if (deletePlan && cascade.length) problems.push('/cascade: the delete plan already decides what goes; give one or the other')

  const prefixed = problems.map(p => (p.startsWith('/') || p.startsWith('x-') ? p : `/${p.replace(/^\//, '')}`))
  if (prefixed.length) throw new DeclarationError(where, prefixed)
  return {
    route, decl, meta, subject,
    policyAction: policy!.action!,
    status: decl.status ?? DEFAULT_STATUS[decl.action] ?? 200,
    lookup, notFound: decl.notFound ?? 'Not found.',
    output, search, ordering, order, filters, inputs, relation, deletePlan, conflictModels, cascade,
  }
}

function manyToMany(name: string, raw: Relation, related: ModelMeta, subject: string): ManyToMany | undefined {
  const keys = relationKeys(raw)
  if (!keys?.through) return undefined
  const { ownerKey, relatedKey, through } = keys
  return { name, related, subject, joinTable: through.table, ownerColumn: through.ownerColumn, relatedColumn: through.relatedColumn, ownerKey, relatedKey }
}
