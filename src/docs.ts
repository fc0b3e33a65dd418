// Serves the contract itself: openapi.json / openapi.yaml, Swagger UI and Redoc, all from openapi.yaml.
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

const require = createRequire(import.meta.url)
const REDOC_BUNDLE = require.resolve('redoc/bundles/redoc.standalone.js')

const redocPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Enlaight API · Redoc</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="/api/schema/openapi.json"></redoc>
    <script src="/api/schema/redoc/redoc.standalone.js"></script>
  </body>
</html>
`

export async function registerDocs(app: FastifyInstance, spec: Record<string, unknown>, specText: string) {
  await app.register(swagger, { mode: 'static', specification: { document: spec as any } })
  await app.register(swaggerUi, {
    routePrefix: '/api/schema/swagger',
    uiConfig: { url: '/api/schema/openapi.json', deepLinking: true },
    staticCSP: false,
  })
  app.get('/api/schema/openapi.json', { schema: { hide: true } }, async () => spec)
  app.get('/api/schema/openapi.yaml', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('application/yaml; charset=utf-8').send(specText))
  app.get('/api/schema/redoc/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage))
  app.get('/api/schema/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) => {
    const { createReadStream } = await import('node:fs')
    return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400')
      .send(createReadStream(REDOC_BUNDLE))
  })
}
