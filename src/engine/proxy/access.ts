// The access checks a rule declares (knowledge-bases §3, DECISIONS Roles, 25, 26 and footnote 1), run before any
// upstream call. Hashes are compared exactly in JavaScript: MySQL's default collation would match case-insensitively.
import { toHex } from '../../db/ids.js'
import type { Deps } from '../../deps.js'
import type { User } from '../../models/index.js'
import { ApiError } from '../errors.js'
import type { Values } from './inputs.js'
import type { AccessSpec } from './rule.js'

const KB_FORBIDDEN = 'You do not have access to this knowledge base.'
const PROJECT_FORBIDDEN = 'You do not have access to this project.'
const GUEST_FORBIDDEN = 'Your role does not allow changing knowledge bases.'
const NOT_LINKED = 'The knowledge base does not belong to the project.'

const ADMIN_ROLES = new Set(['ADMIN', 'ADMINISTRATOR'])
const WRITER_ROLES = new Set(['ADMIN', 'ADMINISTRATOR', 'MANAGER', 'USER'])

/** DECISIONS Roles: ADMINISTRATOR or legacy ADMIN, any case; is_superuser grants nothing. */
export function isAdmin(user: User): boolean {
  return ADMIN_ROLES.has(String(user.role ?? '').toUpperCase())
}

/** GUESTs (and unknown roles, which count as GUEST) only read KBs. */
function mayWrite(user: User): boolean {
  return WRITER_ROLES.has(String(user.role ?? '').toUpperCase())
}

const forbidden = (detail: string) => new ApiError('forbidden', { detail })

/**
 * Runs the checks in order; the first failure wins. A `project` check replaces the value by the project's
 * 32-hex id, so later checks, link writes and processors use the stored form.
 */
export async function checkAccess(specs: readonly AccessSpec[], values: Values, user: User, deps: Deps): Promise<void> {
  for (const spec of specs) {
    if ('project' in spec) await checkProject(spec.project, spec.write ?? false, values, user, deps)
    else if ('in' in spec) await checkLinked(values[spec.kb] as string, values[spec.in] as string, deps)
    else await checkKb(values[spec.kb] as string, spec.write ?? false, (spec.links ?? 'any') as KbLinks, user, deps)
  }
}

async function checkProject(field: string, write: boolean, values: Values, user: User, deps: Deps) {
  const id = toHex(values[field])
  // One query: the project, and the caller's membership row if any.
  const row: { id: string, member: string | null } | undefined = id === null ? undefined : await deps.knex('authentication_projects as p')
    .leftJoin('authentication_projects_users as pu', function () {
      this.on('pu.projects_id', '=', 'p.id').andOn('pu.userprofile_id', '=', deps.knex.raw('?', [user.id]))
    })
    .where('p.id', id).first('p.id', 'pu.userprofile_id as member')
  if (!id || !row) throw new ApiError('not_found', { detail: 'Project not found.' })
  values[field] = id
  if (isAdmin(user)) return
  if (!row.member) throw forbidden(PROJECT_FORBIDDEN)
  if (write && !mayWrite(user)) throw forbidden(GUEST_FORBIDDEN)
}

/** The ids of the caller's projects (32-hex, as the models normalise them). */
async function memberProjects(user: User, deps: Deps): Promise<Set<string>> {
  const rows = await deps.models.ProjectMember.query().where('userprofile_id', user.id).select('projects_id')
  return new Set(rows.map(r => r.projects_id))
}

/** The projects linking exactly this hash. */
async function linkingProjects(hash: string, deps: Deps, projectId?: string): Promise<string[]> {
  const query = deps.models.KbLink.query().where('external_id', hash).select('external_id', 'project_id')
  if (projectId) query.where('project_id', projectId)
  const rows = await query
  return rows.filter(r => r.external_id === hash).map(r => r.project_id)
}

/**
 * any: a link of the hash to one of the caller's projects (knowledge-bases §3 kbAccess).
 * all: at least one link, and every linking project is the caller's (DECISIONS 26, delete).
 * mine-or-none: no link to someone else's project (DECISIONS footnote 1, attach).
 */
type KbLinks = 'any' | 'all' | 'mine-or-none'

async function checkKb(hash: string, write: boolean, links: KbLinks, user: User, deps: Deps) {
  if (isAdmin(user)) return
  let ok: boolean
  if (links === 'any') {
    // The hot path (every KB read): one indexed join. kb_links.project_id and the membership row both reference
    // authentication_projects.id, so comparing the stored values needs no id normalisation.
    const rows: Array<{ external_id: string }> = await deps.knex('kb_links as l')
      .join('authentication_projects_users as pu', 'pu.projects_id', 'l.project_id')
      .where('l.external_id', hash).andWhere('pu.userprofile_id', user.id)
      .select('l.external_id')
    ok = rows.some(r => r.external_id === hash)
  } else {
    const [linking, mine] = await Promise.all([linkingProjects(hash, deps), memberProjects(user, deps)])
    ok = (links === 'all' ? linking.length > 0 : true) && linking.every(p => mine.has(p))
  }
  if (!ok) throw forbidden(KB_FORBIDDEN)
  if (write && !mayWrite(user)) throw forbidden(GUEST_FORBIDDEN)
}

/** knowledge-bases §3 file-update variant: the link (project, hash) must exist, for admins too. */
async function checkLinked(hash: string, projectId: string, deps: Deps) {
  if ((await linkingProjects(hash, deps, projectId)).length === 0) throw forbidden(NOT_LINKED)
}
