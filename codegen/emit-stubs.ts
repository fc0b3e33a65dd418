// generated/stubs.ts and generated/implementations.ts: every custom operation gets its handler or a 501 stub.
import type { SpecOperation } from './spec.js'
import type { HandlerExport } from './scan-handlers.js'

export function emitStubs(missing: SpecOperation[]): string {
  const body = missing.map(op => `  ${op.operationId}: notImplemented('${op.operationId}'),`).join('\n')
  return `import { notImplemented } from '../src/engine/not-implemented.js'
import type { HandlerMap } from './handlers.js'

/** Custom operations declared in openapi.yaml that have no handler in src/handlers/ yet: they answer 501. */
export const stubs = {
${body}
} satisfies Partial<HandlerMap>
`
}

export function emitImplementations(custom: SpecOperation[], found: Map<string, HandlerExport>): string {
  const files = [...new Set([...found.values()].map(h => h.module))].sort()
  const imports = files.map(f => `import * as ${moduleAlias(f)} from '../src/handlers/${f}.js'`).join('\n')
  const entries = custom.map(op => {
    const h = found.get(op.operationId)
    return h ? `  ${op.operationId}: ${moduleAlias(h.module)}.${op.operationId},` : `  ${op.operationId}: stubs.${op.operationId},`
  }).join('\n')
  return `${imports}${imports ? '\n' : ''}import type { HandlerMap } from './handlers.js'
import { stubs } from './stubs.js'

/** The complete map the server binds: the type checker names a missing or mistyped handler. */
export const implementations: HandlerMap = {
${entries}
}
`
}

function moduleAlias(module: string): string {
  return `${module.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase())}Handlers`
}
