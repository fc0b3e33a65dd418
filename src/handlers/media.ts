// GET /users/<uuid>/<file> (DECISIONS 6 and 41): the avatar URLs the API hands out, served from MEDIA_ROOT.
// Only what storeAvatar could have written is reachable: a hyphenated user id, a plain file name, a regular
// file (no link) of at most 2 MB whose bytes are a raster image. Everything else is the same 404.
import { lstat, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Handler } from '../../generated/handlers.js'
import { MAX_AVATAR_BYTES, sniffImage } from '../auth/avatar.js'
import { ApiError } from '../engine/errors.js'

const USER_DIR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/

async function readAvatar(mediaRoot: string, userId: string, filename: string): Promise<Buffer | null> {
  if (!USER_DIR.test(userId) || !FILE_NAME.test(filename)) return null
  const file = join(resolve(mediaRoot), 'users', userId, filename)
  try {
    const info = await lstat(file)
    if (!info.isFile() || info.size > MAX_AVATAR_BYTES) return null
    return await readFile(file)
  } catch {
    return null
  }
}

export const getUserAvatar: Handler<'getUserAvatar'> = async ({ params, deps }) => {
  const data = await readAvatar(deps.config.mediaRoot, params.user_id, params.filename)
  const kind = data && sniffImage(data)
  if (!data || !kind) throw new ApiError('not_found')
  return {
    status: 200,
    body: data,
    headers: { 'content-type': `image/${kind}`, 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=3600' },
  }
}
