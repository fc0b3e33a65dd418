// pino options: JSON logs that never carry a password, a token, an Authorization header or the n8n key.
import type { FastifyRequest } from 'fastify'

const SECRET_QUERY_KEYS = /^(token|password|new_password|refresh|access|key|secret)$/i

export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers.key',
  'res.headers["set-cookie"]',
  '*.password', '*.new_password', '*.password_confirm', '*.token', '*.refresh', '*.access', '*.secret', '*.key',
  'headers.authorization', 'headers.key', 'headers.cookie',
]

export function scrubUrl(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = new URLSearchParams(url.slice(q + 1))
  for (const key of [...params.keys()]) if (SECRET_QUERY_KEYS.test(key)) params.set(key, '[Redacted]')
  return `${url.slice(0, q)}?${params.toString()}`
}

export function loggerOptions(level: string) {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req(req: FastifyRequest) {
        return { method: req.method, url: scrubUrl(req.url), remoteAddress: req.ip, reqId: req.id }
      },
    },
  }
}
