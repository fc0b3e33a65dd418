// Impersonation (auth-and-users §5.11, DECISIONS 2 and Roles, §12.3): administrators only, never onto an
// administrator, every use recorded in enlaight_impersonation_log and in the server log, and the issued
// tokens name the impersonator.
import type { FastifyRequest } from 'fastify'
import type { Handler } from '../../generated/handlers.js'
import { issueBarePair } from '../auth/tokens.js'
import { toHex, toUuid } from '../db/ids.js'
import { nowDb, toApiDateTime } from '../db/time.js'
import { ApiError } from '../engine/errors.js'
import type { User } from '../models/index.js'

const denied = () => new ApiError('forbidden', { detail: 'Permission denied.' })
const notFound = () => new ApiError('not_found', { detail: 'User not found.' })

// ── GET /api/login-as/<uuid>/ ──
export const loginAs: Handler<'loginAs'> = async ({ params, user, deps, req }) => {
  if (!user || !user.isAdmin()) throw denied()
  const id = toHex(params.id)
  const target = id ? await deps.models.User.query().findById(id) : undefined
  if (!target) throw notFound()
  if (target.isAdmin()) throw denied() // an administrator's powers are never borrowed (§12.3)

  const ip = req.ip ? req.ip.slice(0, 64) : null
  const { pair, entryId } = await deps.knex.transaction(async trx => {
    // The record and the outstanding-token row commit together: no token without its audit entry.
    const entry = await deps.models.ImpersonationLog.query(trx).insert({ actor_id: user.id, target_id: target.id, created_at: nowDb(), ip })
    const pair = await issueBarePair(target, deps, { impersonator: toUuid(user.id) }, trx)
    return { pair, entryId: entry.id }
  })
  // Warn level: an audit event that must survive the usual production log levels.
  req.log.warn({
    event: 'impersonation',
    impersonation_id: toUuid(entryId),
    actor: toUuid(user.id),
    actor_email: user.email,
    target: toUuid(target.id),
    target_email: target.email,
    ip,
  }, 'administrator impersonated a user')
  return { status: 200, body: pair }
}

// ── GET /api/login-as/log/ ──
const DEFAULT_PAGE_SIZE = 10
const MAX_PAGE_SIZE = 100

const invalidPage = () => new ApiError('not_found', { detail: 'Invalid page.' })

/** DRF page-number pagination (auth-and-users §1.5): bad `page_size` falls back, bad pages are 404. */
function pageOf(query: { page?: string, page_size?: string }, count: number) {
  const requested = /^\d+$/.test(query.page_size ?? '') ? Number(query.page_size) : 0
  const size = requested > 0 ? Math.min(requested, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE
  const pages = Math.max(1, Math.ceil(count / size))
  const rawPage = query.page ?? '1'
  const page = rawPage === 'last' ? pages : /^\d+$/.test(rawPage) ? Number(rawPage) : 0
  if (page < 1 || page > pages) throw invalidPage()
  return { page, size, pages }
}

function pageLink(req: FastifyRequest, page: number | null, pages: number): string | null {
  if (page === null || page < 1 || page > pages) return null
  const url = new URL(req.url, `${req.protocol}://${req.host}`)
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'page')
  if (page > 1) params.push(['page', String(page)])
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const query = new URLSearchParams(params).toString()
  return `${url.origin}${url.pathname}${query ? `?${query}` : ''}`
}

const person = (u: User | null | undefined) => (u ? { id: toUuid(u.id), email: u.email, username: u.username } : null)

export const listImpersonations: Handler<'listImpersonations'> = async ({ query, user, deps, req }) => {
  if (!user || !user.isAdmin()) throw new ApiError('forbidden')
  const total = await deps.models.ImpersonationLog.query().resultSize()
  const { page, size, pages } = pageOf(query, total)
  const rows = await deps.models.ImpersonationLog.query()
    .withGraphFetched('[actor, target]')
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(size)
    .offset((page - 1) * size)
  return {
    status: 200,
    body: {
      count: total,
      next: pageLink(req, page + 1, pages),
      previous: pageLink(req, page - 1, pages),
      results: rows.map(r => ({
        id: toUuid(r.id),
        created_at: toApiDateTime(r.created_at)!,
        ip: r.ip ?? null,
        actor: person(r.actor),
        target: person(r.target),
      })),
    },
  }
}
