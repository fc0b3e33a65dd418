// kb_links writes after n8n confirmed (create, attach: get-or-create; delete: every link of the hash, DECISIONS 26).
import type { Deps } from '../../deps.js'

export interface LinkResult { created: boolean, name: string }

/** Get-or-create of (project, hash); a new row takes `name` (or ""), an existing row keeps its own (§6.3, §6.10). */
export async function insertLink(deps: Deps, projectId: string, hash: string, name: string): Promise<LinkResult> {
  const existing = await findLink(deps, projectId, hash)
  if (existing) return { created: false, name: existing.name }
  try {
    await deps.models.KbLink.query().insert({ project_id: projectId, external_id: hash, name: name.slice(0, 255) })
    return { created: true, name: name.slice(0, 255) }
  } catch (err) {
    // A concurrent request inserted the same pair (unique project_id, external_id): that row wins.
    const raced = await findLink(deps, projectId, hash)
    if (raced) return { created: false, name: raced.name }
    throw err
  }
}

/** Removes every link of exactly this hash, in all projects; returns how many. */
export async function removeLinks(deps: Deps, hash: string): Promise<number> {
  const rows = await deps.models.KbLink.query().where('external_id', hash).select('id', 'external_id')
  const ids = rows.filter(r => r.external_id === hash).map(r => r.id)
  if (ids.length === 0) return 0
  return deps.models.KbLink.query().whereIn('id', ids).delete()
}

async function findLink(deps: Deps, projectId: string, hash: string) {
  const rows = await deps.models.KbLink.query().where({ project_id: projectId, external_id: hash }).select('external_id', 'name')
  return rows.find(r => r.external_id === hash)
}
