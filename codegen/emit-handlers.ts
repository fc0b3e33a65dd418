// generated/handlers.ts: one typed signature per custom operation, gathered in HandlerMap.
import type { SpecOperation } from './spec.js'

export function emitHandlers(custom: SpecOperation[]): string {
  const ids = custom.map(o => o.operationId)
  const union = ids.length ? ids.map(id => `  | '${id}'`).join('\n') : '  never'
  const entries = ids.map(id => `  ${id}: Handler<'${id}'>`).join('\n')
  return `import type { OperationHandler } from '../src/engine/handler-types.js'
import type { operations } from './openapi-types.js'

/** Operations served by hand-written code in src/handlers/ (no x-crud, no x-n8n). */
export type CustomOperationId =
${union}

export type Handler<Op extends CustomOperationId> = OperationHandler<operations[Op]>

export interface HandlerMap {
${entries}
}
`
}
