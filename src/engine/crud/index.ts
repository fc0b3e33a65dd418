// The CRUD engine: runs every operation that carries x-crud, from that declaration and x-policy alone.
// Knows models and policies; knows nothing of a particular resource (no `if (model === 'Bot')`).
import type { Knex } from 'knex'
import { classifyDbError } from '../../db/errors.js'
import { ApiError, validationError } from '../errors.js'
import type { OperationFactory } from '../operations.js'
import * as actions from './actions.js'
import { compile, type Compiled } from './compile.js'
import { policiesOf, type RequestState } from './context.js'
import type { ModelClass } from './model-meta.js'
import { MSG } from './values.js'

export { modelsFromSpec, bindGeneric } from './model-meta.js'
export { parseDeclaration, DeclarationError } from './declaration.js'

const RUN: Record<string, (c: Compiled, s: RequestState) => Promise<actions.Result>> = {
  list: actions.list,
  retrieve: actions.retrieve,
  'list-related': actions.listRelated,
  create: actions.create,
  update: actions.update,
  delete: actions.remove,
  'bulk-delete': actions.bulkDelete,
  attach: actions.attach,
  detach: actions.detach,
}
const READS = new Set(['list', 'retrieve', 'list-related'])

// A create or update without relation inputs writes one row with one statement, which commits on its own:
// a transaction around it would add two round trips (BEGIN, COMMIT) and protect nothing. Every other write
// (links, cascades, delete plans) runs in one transaction.
const writesOneStatement = (c: Compiled) => (c.decl.action === 'create' || c.decl.action === 'update') && !c.inputs.some(i => i.relation)

export const crudEngine: OperationFactory = (route, deps) => {
  const compiled = compile(route, deps.models as unknown as Record<string, ModelClass>)
  const run = RUN[compiled.decl.action]
  const transactional = !READS.has(compiled.decl.action) && !writesOneStatement(compiled)
  return async ctx => {
    const state: RequestState = {
      user: ctx.user as any,
      params: (ctx.params ?? {}) as Record<string, any>,
      query: (ctx.query ?? {}) as Record<string, any>,
      body: ctx.body as any,
      req: ctx.req,
      deps,
      policies: policiesOf(deps),
      db: deps.knex,
    }
    try {
      if (!transactional) return await run(compiled, state)
      return await deps.knex.transaction((trx: Knex.Transaction) => run(compiled, { ...state, db: trx }))
    } catch (error) {
      throw toCrudError(error, compiled)
    }
  }
}

/** Database refusals of bad input become 4xx field maps; anything unknown stays a 500. */
function toCrudError(error: unknown, c: Compiled): unknown {
  if (error instanceof ApiError) return error
  const info = classifyDbError(error)
  if (!info) return error
  const column = info.columns?.[info.columns.length - 1]
  const field = c.inputs.find(i => i.column === column)?.field ?? column ?? 'non_field_errors'
  switch (info.kind) {
    case 'unique': {
      const declared = (c.decl.unique ?? []).find(u => info.columns?.every(col => u.fields.includes(col)))
      if (declared) return actions.uniqueError(declared.error, declared.fields)
      return validationError({ [field]: ['An object with this value already exists.'] })
    }
    case 'foreign_key':
      if (info.direction === 'referenced') return new ApiError('conflict', { detail: 'Other rows still refer to this one.' })
      return validationError({ [field]: ['Object does not exist.'] })
    case 'not_null':
      return validationError({ [field]: [MSG.required] })
    case 'too_long':
      return validationError({ [field]: ['Ensure this field has fewer characters.'] })
    case 'invalid_value':
      return new ApiError('bad_request', { detail: 'Invalid value.' })
    case 'validation': {
      const data = (info.data ?? {}) as Record<string, { message?: string }[]>
      return validationError(Object.fromEntries(Object.entries(data).map(([k, v]) => [
        c.inputs.find(i => i.column === k)?.field ?? k, (Array.isArray(v) ? v : [v]).map(e => e?.message ?? 'Invalid value.'),
      ])))
    }
    case 'client_scope':
      return new ApiError('bad_request', {
        body: { detail: 'Blocked by client isolation.', hint: "The user must belong to the project's client." },
      })
    case 'deadlock':
      return new ApiError('service_unavailable', { detail: 'The database was busy; try again.' })
    case 'unavailable':
      return new ApiError('db_unavailable')
  }
  return error
}
