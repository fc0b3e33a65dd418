// The generator is general: an app built from test/fixtures/second-spec (an OpenAPI document for notes and tags,
// a knex migration and a policy file; no TypeScript for the resource) serves CRUD, relations and its policy.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Knex } from 'knex'
import { buildApp } from '../../src/app.js'
import { issuePair } from '../../src/auth/tokens.js'
import { toUuid } from '../../src/db/ids.js'
import { bindModels } from '../../src/models/index.js'
import { testConfig } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { createSeeder, type SeedUser } from '../helpers/seed.js'

const DIR = fileURLToPath(new URL('../fixtures/second-spec/', import.meta.url))

async function migrateFixture(knex: Knex) {
  const dir = `${DIR}migrations/`
  const files = readdirSync(dir).filter(f => f.endsWith('.ts')).sort()
  await knex.migrate.latest({
    tableName: 'fixture_knex_migrations',
    migrationSource: {
      getMigrations: async () => files,
      getMigrationName: (f: string) => f,
      getMigration: async (f: string) => import(`${dir}${f}`),
    },
  })
}

t.test('notes and tags from a second spec: CRUD, relations and policy through HTTP', async t => {
  const db = await createTestDatabase()
  let close = async () => {}
  t.teardown(async () => { await close(); await db.destroy() })
  await migrateFixture(db.knex)
  const config = testConfig(db.url)
  const app = await buildApp({ config, knex: db.knex, logger: false, specFile: `${DIR}openapi.yaml`, policiesDir: `${DIR}policies` })
  close = () => app.close()
  await app.ready()
  const models = bindModels(db.knex)
  const auth = async (u: SeedUser) => {
    const row = await models.User.query().findById(u.id)
    const pair = await issuePair(row!, { config, knex: db.knex, models } as any)
    return { authorization: `Bearer ${pair.access}` }
  }
  const seed = createSeeder(db.knex)
  const ca = await seed.client('Alpha')
  const cb = await seed.client('Beta')
  const admin = await auth(await seed.user({ name: 'admin', role: 'ADMINISTRATOR' }))
  const aliceUser = await seed.user({ name: 'alice', client: ca })
  const alice = await auth(aliceUser)
  const carlUser = await seed.user({ name: 'carl', client: ca })
  const carl = await auth(carlUser)
  const ginaUser = await seed.user({ name: 'gina', role: 'GUEST', client: ca })
  const gina = await auth(ginaUser)
  const bobUser = await seed.user({ name: 'bob', client: cb })
  const bob = await auth(bobUser)
  const pa = await seed.project({ name: 'Apollo', client: ca, members: [aliceUser, carlUser, ginaUser] })
  const pb = await seed.project({ name: 'Borealis', client: cb, members: [bobUser] })
  const call = (h: object, method: string, url: string, payload?: unknown) =>
    app.inject({ method: method as any, url, headers: h as any, ...(payload !== undefined ? { payload: payload as object } : {}) })

  t.equal((await call(admin, 'GET', '/api/projects/')).statusCode, 404, 'only the second spec\'s routes exist')
  t.equal((await call({}, 'GET', '/api/notes/')).statusCode, 401, 'security from the spec')

  // tags: admins create, everyone reads, names unique ignoring case
  let res = await call(admin, 'POST', '/api/tags/', { name: 'urgent' })
  t.equal(res.statusCode, 201)
  const urgent = res.json()
  t.same(Object.keys(urgent), ['id', 'name'])
  const ideas = (await call(admin, 'POST', '/api/tags/', { name: 'Ideas' })).json()
  t.same((await call(admin, 'POST', '/api/tags/', { name: 'URGENT' })).json(), { name: ['A tag with this name already exists.'] })
  t.equal((await call(alice, 'POST', '/api/tags/', { name: 'mine' })).statusCode, 403)
  t.same((await call(bob, 'GET', '/api/tags/')).json().map((x: any) => x.name), ['Ideas', 'urgent'])

  // notes: members write their own notes in member projects
  res = await call(alice, 'POST', '/api/notes/', { title: '  Kickoff  ', body: 'Agenda 📋', project_id: toUuid(pa.id) })
  t.equal(res.statusCode, 201, res.body)
  const note = res.json()
  t.same({ ...note, id: 'x', created_at: 'x' }, {
    id: 'x', title: 'Kickoff', body: 'Agenda 📋', project_id: toUuid(pa.id), project: 'Apollo', owner: 'alice@example.com', tags: [],
    created_at: 'x', updated_at: null,
  })
  t.same((await call(alice, 'POST', '/api/notes/', { title: 'kickoff', project_id: pa.id })).json(), { title: ['This project already has a note with this title.'] })
  res = await call(alice, 'POST', '/api/notes/', { title: 'Elsewhere', project_id: pb.id })
  t.same([res.statusCode, res.json()], [400, { project_id: [`Invalid pk "${pb.id}" - object does not exist.`] }], 'a project alice cannot see')
  t.equal((await call(gina, 'POST', '/api/notes/', { title: 'Guest note', project_id: pa.id })).statusCode, 403, 'guests are read-only')
  t.equal((await call(alice, 'POST', '/api/notes/', { title: 'a\u0000b', project_id: pa.id })).statusCode, 400)
  t.equal((await call(alice, 'POST', '/api/notes/', { title: 'x'.repeat(121), project_id: pa.id })).statusCode, 400)
  t.equal((await call(alice, 'POST', '/api/notes/', [])).statusCode, 400)
  await call(carl, 'POST', '/api/notes/', { title: 'Carl\'s', body: 'about ideas', project_id: pa.id })
  const bobNote = (await call(bob, 'POST', '/api/notes/', { title: 'Borealis plan', project_id: pb.id })).json()

  // relations: tag the note (owner only), list its tags
  res = await call(alice, 'POST', `/api/notes/${note.id}/tags/attach/`, { tag_ids: [urgent.id, ideas.id, urgent.id] })
  t.same(res.json(), { attached_now: [urgent.id, ideas.id], already_attached: [], missing: [], count_total: 2 })
  t.equal((await call(carl, 'POST', `/api/notes/${note.id}/tags/attach/`, { tag_id: urgent.id })).statusCode, 403, 'a member, not the owner')
  t.equal((await call(bob, 'POST', `/api/notes/${note.id}/tags/attach/`, { tag_id: urgent.id })).statusCode, 404, 'another tenant')
  t.same((await call(gina, 'GET', `/api/notes/${note.id}/tags/`)).json().map((x: any) => x.name), ['Ideas', 'urgent'])
  res = await call(alice, 'POST', `/api/notes/${note.id}/tags/detach/`, { tag_id: ideas.id })
  t.same(res.json(), { detached_now: [ideas.id], not_attached: [], missing: [], count_total: 1 })

  // lists: policy scope, page envelope, search through relations, ordering, filters
  res = await call(carl, 'GET', '/api/notes/?ordering=title')
  t.same(res.json().results.map((n: any) => n.title), ['Carl\'s', 'Kickoff'])
  t.same(res.json().results[1].tags, [{ id: urgent.id, name: 'urgent' }])
  t.same((await call(bob, 'GET', '/api/notes/')).json().results.map((n: any) => n.title), ['Borealis plan'], 'bob sees only his project')
  t.same((await call(bob, 'GET', `/api/notes/?project_id=${pa.id}&search=kickoff`)).json().count, 0)
  t.equal((await call(bob, 'GET', `/api/notes/${note.id}/`)).statusCode, 404)
  t.equal((await call(admin, 'GET', '/api/notes/')).json().count, 3, 'admins see all')
  t.same((await call(alice, 'GET', '/api/notes/?search=URGENT')).json().results.map((n: any) => n.title), ['Kickoff'], 'search through tags.name')
  t.same((await call(alice, 'GET', '/api/notes/?search=apollo%20ideas')).json().results.map((n: any) => n.title), ['Carl\'s'], 'search through project.name and body')
  t.same((await call(alice, 'GET', '/api/notes/?tag=Urgent')).json().results.map((n: any) => n.title), ['Kickoff'], 'filter through a relation')
  t.same((await call(admin, 'GET', '/api/notes/?ordering=-project,title')).json().results.map((n: any) => n.project), ['Borealis', 'Apollo', 'Apollo'])
  for (let i = 0; i < 6; i++) await call(alice, 'POST', '/api/notes/', { title: `n${i}`, project_id: pa.id })
  res = await call(alice, 'GET', '/api/notes/?page=2')
  t.same([res.json().count, res.json().results.length, res.json().previous], [8, 3, 'http://localhost:80/api/notes/'], 'page size 5 as declared')
  let queries = 0
  db.knex.on('query', () => { queries++ })
  queries = 0
  await call(alice, 'GET', '/api/notes/?page_size=50')
  const many = queries
  queries = 0
  await call(bob, 'GET', '/api/notes/?page_size=50')
  t.equal(queries, many, `a fixed number of queries (${many}) for 8 notes and for 1`)

  // update / delete: the owner only; others see 403 (visible) or 404 (not visible)
  t.equal((await call(carl, 'PATCH', `/api/notes/${note.id}/`, { title: 'Hijack' })).statusCode, 403)
  t.equal((await call(bob, 'PATCH', `/api/notes/${note.id}/`, { title: 'Hijack' })).statusCode, 404)
  t.equal((await call(bob, 'PATCH', '/api/notes/not-an-id/', { title: 'x' })).statusCode, 404)
  res = await call(alice, 'PATCH', `/api/notes/${note.id}/`, { title: 'Kickoff (final)' })
  t.same([res.statusCode, res.json().title, typeof res.json().updated_at], [200, 'Kickoff (final)', 'string'])
  t.equal((await call(carl, 'DELETE', `/api/notes/${note.id}/`)).statusCode, 403)
  t.equal((await call(alice, 'DELETE', `/api/notes/${note.id}/`)).statusCode, 204)
  t.equal((await db.knex('note_tags').where('note_id', note.id.replaceAll('-', ''))).length, 0, 'its tag links went too')
  t.equal((await call(alice, 'GET', `/api/notes/${note.id}/`)).statusCode, 404)
  t.equal((await call(admin, 'DELETE', `/api/notes/${bobNote.id}/`)).statusCode, 204, 'admins manage every note')
})

t.test('a bad x-crud block stops start-up with a message naming the operation', async t => {
  const { writeFileSync, readFileSync, mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const db = await createTestDatabase()
  t.teardown(() => db.destroy())
  const dir = mkdtempSync(`${tmpdir()}/spec-`)
  const broken = readFileSync(`${DIR}openapi.yaml`, 'utf8').replace('search: [title, body, project.name, tags.name]', 'search: [title, body, project.nmae]')
  writeFileSync(`${dir}/openapi.yaml`, broken)
  await t.rejects(buildApp({ config: testConfig(db.url), knex: db.knex, logger: false, specFile: `${dir}/openapi.yaml`, policiesDir: `${DIR}policies` }),
    /Invalid x-crud of listNotes \(GET \/api\/notes\/\):[\s\S]*search\/project\.nmae: Project has no column "nmae"/)
  const typo = readFileSync(`${DIR}openapi.yaml`, 'utf8').replace('action: list\n        page:', 'action: lsit\n        page:')
  writeFileSync(`${dir}/openapi.yaml`, typo)
  await t.rejects(buildApp({ config: testConfig(db.url), knex: db.knex, logger: false, specFile: `${dir}/openapi.yaml`, policiesDir: `${DIR}policies` }),
    /Invalid x-crud of listNotes[\s\S]*\/action/)
})
