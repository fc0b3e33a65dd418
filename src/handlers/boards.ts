// PUT /api/boards/ (DECISIONS 11): the frontend saves "its" board without naming a row, so the row is found by
// project — the given project_id, else the first member project in the board list's order — and replaced or
// created. No x-crud action expresses "find the row by a defaulted foreign key, then upsert"; hence this handler.
import type { Handler } from '../../generated/handlers.js'
import { toHex, toUuid, toUuidOrNull } from '../db/ids.js'
import { toApiDateTime } from '../db/time.js'
import { ApiError, validationError } from '../engine/errors.js'
import type { Board } from '../models/index.js'

function printBoard(b: Board) {
  return {
    id: toUuid(b.id),
    config: b.config,
    data: b.config,
    client_id: toUuidOrNull(b.client_id),
    project_id: toUuid(b.project_id),
    created_at: toApiDateTime(b.created_at)!,
    updated_at: toApiDateTime(b.updated_at),
  }
}

export const saveBoard: Handler<'saveBoard'> = async ({ body, user, deps }) => {
  const policies = deps.policies!
  const data = body?.data as unknown
  if (data === undefined || data === null || data === '') throw new ApiError('bad_request', { detail: 'data is required.' })
  if (typeof data !== 'string') throw validationError({ data: ['Not a valid string.'] })
  if (data.includes('\u0000') || !(data as any).isWellFormed()) throw validationError({ data: ['Null characters and unpaired surrogates are not allowed.'] })

  const { Project, Board } = deps.models
  return deps.knex.transaction(async trx => {
    const projects = policies.scope(Project.query(trx), user, 'read', 'Project')
    let project
    if (body?.project_id !== undefined && body.project_id !== null) {
      const hex = toHex(body.project_id)
      project = hex === null ? undefined : await projects.findById(hex)
      if (!project) throw new ApiError('not_found', { detail: 'No Projects matches the given query.' })
    } else {
      // The board list's order: the caller's member projects by name, then id (admins too).
      project = await Project.query(trx).whereExists(Project.relatedQuery('members').alias('m').where('m.id', user!.id))
        .orderBy('name').orderBy('id').first()
      if (!project) throw new ApiError('bad_request', { detail: 'No project to save the board for.' })
    }
    const existing = await Board.query(trx).where('project_id', project.id).orderBy('id').first()
    const action = existing ? 'update' : 'create'
    if (!(await policies.canWith(user, action, 'Board', { ...(existing ?? {}), project_id: project.id }, { db: trx }))) {
      throw new ApiError('forbidden')
    }
    if (existing) {
      await Board.query(trx).patch({ config: data }).where('id', existing.id)
      return { status: 200 as const, body: printBoard((await Board.query(trx).findById(existing.id))!) }
    }
    const created = await Board.query(trx).insert({ config: data, project_id: project.id, client_id: project.client_id })
    return { status: 201 as const, body: printBoard((await Board.query(trx).findById(created.id))!) }
  })
}
