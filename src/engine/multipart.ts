// Multipart bodies for non-streaming operations: text fields become the body (validated like JSON),
// files are attached after validation as UploadedFile objects.
import type { FastifyRequest } from 'fastify'
import { ApiError } from './errors.js'

export interface UploadedFile {
  filename: string
  mimetype: string
  data: Buffer
}

const MAX_FIELD_FILE_BYTES = 2 * 1024 * 1024
const uploadsOf = new WeakMap<FastifyRequest, Record<string, UploadedFile>>()

export async function collectMultipartFields(req: FastifyRequest) {
  if (!req.isMultipart()) return
  const fields: Record<string, string> = {}
  const files: Record<string, UploadedFile> = {}
  for await (const part of req.parts({ limits: { fileSize: MAX_FIELD_FILE_BYTES, files: 4, fields: 64 } })) {
    if (part.type === 'file') {
      const data = await part.toBuffer()
      if (part.file.truncated) throw new ApiError('payload_too_large', { detail: `File "${part.fieldname}" is larger than 2 MB.` })
      files[part.fieldname] = { filename: part.filename, mimetype: part.mimetype, data }
    } else {
      fields[part.fieldname] = String(part.value)
    }
  }
  req.body = fields
  uploadsOf.set(req, files)
}

export function mergeUploads(req: FastifyRequest) {
  const files = uploadsOf.get(req)
  if (files && Object.keys(files).length > 0) req.body = { ...(req.body as object), ...files }
}
