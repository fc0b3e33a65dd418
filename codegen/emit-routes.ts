// generated/routes.ts: operationId → how it is served (kind, declarations, policy, security).
import type { SpecOperation } from './spec.js'

export function emitRoutes(operations: SpecOperation[]): string {
  const rows = operations.map(op => `  ${op.operationId}: ${JSON.stringify(op)},`).join('\n')
  return `import type { RouteTable } from '../src/engine/route-table.js'

export const routes = {
${rows}
} as const satisfies RouteTable
`
}
