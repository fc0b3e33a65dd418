// Run by logs.test.ts in a child process: the real app with JSON logs on stdout at level trace, driving the proxy
// through successes and every failure mode. The parent reads the log lines.
import { buildApp } from '../../src/app.js'
import { issuePair } from '../../src/auth/tokens.js'
import { closeUpstreamPools, createProxyEngine } from '../../src/engine/proxy/index.js'
import { bindModels } from '../../src/models/index.js'
import { startFakeN8n } from '../fakes/n8n.js'
import { testConfig } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { createSeeder } from '../helpers/seed.js'

const key = process.argv[2]
const n8n = await startFakeN8n({ key })
const db = await createTestDatabase()
const config = { ...testConfig(db.url, { N8N_BASE_URL: n8n.url, N8N_KB_KEY: key }), logLevel: 'trace' }
const app = await buildApp({ config, knex: db.knex, logger: true, engines: { n8n: createProxyEngine({ maxTimeoutMs: 200 }) } })
await app.ready()
const seed = createSeeder(db.knex)
const client = await seed.client()
const user = await seed.user({ client })
const project = await seed.project({ client, members: [user] })
const kb = n8n.addKb('Logged')
await db.knex('kb_links').insert({ id: crypto.randomUUID().replaceAll('-', ''), external_id: kb.hash_id, name: 'Logged', project_id: project.id })
const models = bindModels(db.knex)
const pair = await issuePair((await models.User.query().findById(user.id))!, { config, knex: db.knex, models } as any)
const headers = { authorization: `Bearer ${pair.access}` }
const get = () => app.inject({ method: 'GET', url: `/api/kb/get/?hash_id=${kb.hash_id}`, headers })

await get()
for (const failure of [
  { kind: 'status', status: 403, body: 'Authorization data is wrong!' },
  { kind: 'status', status: 500 },
  { kind: 'non-json' },
  { kind: 'drop' },
  { kind: 'hang' },
] as const) {
  n8n.fail(failure, { times: 1 })
  await get()
}
await app.close()
await n8n.close()
await closeUpstreamPools()
await db.destroy()
