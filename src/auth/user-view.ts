// How this area prints a user: the /api/me/ profile, the me/update subset, absolute avatar URLs.
import type { FastifyRequest } from 'fastify'
import { toUuid, toUuidOrNull } from '../db/ids.js'
import type { User } from '../models/index.js'
import { mediaPath } from './tokens.js'

/** Django's request.build_absolute_uri(avatar.url), or null when there is no file. */
export function avatarUrl(req: FastifyRequest, stored: string | null | undefined): string | null {
  const path = mediaPath(stored)
  return path === null ? null : `${req.protocol}://${req.host}${path}`
}

/** GET /api/me/: the 15 fields in the original's order (auth-and-users §5.6). */
export function profileOf(user: User, req: FastifyRequest) {
  return {
    id: toUuid(user.id),
    full_name: user.full_name,
    email: user.email,
    username: user.username,
    job_title: user.job_title,
    department: user.department,
    first_name: user.first_name,
    last_name: user.last_name,
    role: user.role,
    is_active: Boolean(user.is_active),
    active: Boolean(user.active),
    avatar: avatarUrl(req, user.avatar),
    joined_at: user.joined_at,
    is_staff: Boolean(user.is_staff),
    client_id: toUuidOrNull(user.client_id),
  }
}

/** PATCH /api/me/update/ answer (auth-and-users §5.7). */
export function updatedProfileOf(user: User, req: FastifyRequest) {
  return {
    full_name: user.full_name,
    first_name: user.first_name,
    last_name: user.last_name,
    email: user.email,
    username: user.username,
    avatar: avatarUrl(req, user.avatar),
    role: user.role,
  }
}
