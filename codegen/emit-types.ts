// generated/openapi-types.ts: the wire types, straight from openapi-typescript.
import openapiTS, { astToString } from 'openapi-typescript'
import type { OpenApiDocument } from './spec.js'

export async function emitTypes(spec: OpenApiDocument): Promise<string> {
  const ast = await openapiTS(structuredClone(spec) as any, { alphabetize: true })
  return astToString(ast)
}
