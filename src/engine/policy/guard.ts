// The spine's `authorize` hook: may the caller use this custom operation at all (x-policy)?
import type { FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'
import type { Guard } from '../operations.js'
import type { RouteEntry } from '../route-table.js'
import type { PolicySet, PolicyUser } from './policy-set.js'

/**
 * For custom operations with `x-policy: {action, subject}`: 403 when the caller has no allowing rule
 * for that action and subject at all. Row-level decisions (404 for invisible rows, 403 for visible
 * ones you may not change) belong to the engines and handlers (scope / canOnRow / canWith), and CRUD
 * and n8n routes are checked there, where the row is known. `x-policy: {…, forbidden: {error: "…"}}`
 * (or a string = detail) sets the 403 body where the contract has its own shape.
 */
export function authorizeOperation(policies: PolicySet): Guard {
  return async (route: RouteEntry, req: FastifyRequest) => {
    if (route.kind !== 'custom' || !route.policy) return
    const { action, subject, forbidden } = route.policy as { action?: unknown, subject?: unknown, forbidden?: unknown }
    if (typeof action !== 'string' || typeof subject !== 'string') return
    const user = ((req as unknown as { user?: PolicyUser | null }).user) ?? null
    if (policies.can(user, action, subject)) return
    // `x-policy.forbidden` keeps an operation's own refusal body (e.g. invite's {"error": ...}).
    if (typeof forbidden === 'string') throw new ApiError('forbidden', { detail: forbidden })
    if (forbidden && typeof forbidden === 'object') throw new ApiError('forbidden', { body: forbidden as Record<string, unknown> })
    throw new ApiError('forbidden')
  }
}

/** Every x-policy of the route table names a known subject and action (run at start-up and in tests). */
export function checkRoutePolicies(policies: PolicySet, routes: Record<string, RouteEntry>): string[] {
  const problems: string[] = []
  for (const route of Object.values(routes)) {
    if (!route.policy) continue
    const { action, subject } = route.policy as { action?: unknown, subject?: unknown }
    if (typeof subject !== 'string' || !policies.schema.has(subject)) problems.push(`${route.operationId}: x-policy subject ${String(subject)} is not a model`)
    if (typeof action !== 'string' || !policies.roles.actions.includes(action)) problems.push(`${route.operationId}: x-policy action ${String(action)} is not in ${policies.roles.file}`)
  }
  return problems
}
