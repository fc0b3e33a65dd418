// Finds `export const <operationId>: Handler<'<operationId>'>` in src/handlers/*.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'

export interface HandlerExport { operationId: string, module: string }

const EXPORT = /export const (\w+)\s*:\s*Handler<'(\w+)'>/g

export function scanHandlers(dir: string): Map<string, HandlerExport> {
  const found = new Map<string, HandlerExport>()
  if (!existsSync(dir)) return found
  for (const file of readdirSync(dir).filter(f => f.endsWith('.ts')).sort()) {
    const module = basename(file, '.ts')
    for (const [, name, operationId] of readFileSync(join(dir, file), 'utf8').matchAll(EXPORT)) {
      if (name !== operationId) throw new Error(`src/handlers/${file}: ${name} is typed as Handler<'${operationId}'>; name it ${operationId}`)
      const previous = found.get(operationId)
      if (previous) throw new Error(`${operationId} is exported by both src/handlers/${previous.module}.ts and ${file}`)
      found.set(operationId, { operationId, module })
    }
  }
  return found
}
