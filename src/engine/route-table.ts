// The shape of generated/routes.ts: one entry per operation of openapi.yaml.
export type OperationKind = 'crud' | 'n8n' | 'custom' | 'docs'
export type SecurityMode = 'required' | 'optional' | 'none'

export interface RouteEntry {
  readonly operationId: string
  readonly method: string
  readonly path: string
  readonly tag: string
  readonly kind: OperationKind
  readonly security: SecurityMode
  readonly aliasOf: string | null
  readonly policy: Readonly<Record<string, unknown>> | null
  readonly crud: Readonly<Record<string, unknown>> | null
  readonly n8n: Readonly<Record<string, unknown>> | null
  readonly multipart: 'stream' | 'fields' | null
  readonly rateLimit: Readonly<Record<string, unknown>> | null
  readonly head: boolean
}

export type RouteTable = Record<string, RouteEntry>
