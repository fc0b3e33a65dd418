// A scoped list is a fixed number of queries whatever the page size or table size (no N+1), and
// single-row checks are one query at most. Counted with knex's 'query' event.
import t from 'tap'
import type { Knex } from 'knex'
import { loadPolicies } from '../../src/engine/policy/index.js'
import { bindModels } from '../../src/models/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { createSeeder } from '../helpers/seed.js'

const db = await createTestDatabase()
t.teardown(() => db.destroy())
const seed = createSeeder(db.knex)
const models = bindModels(db.knex)
const policies = loadPolicies('policies', models)

const client = await seed.client('acme')
const other = await seed.client('other')
const member = await seed.user({ name: 'member', role: 'USER', client })
const stranger = await seed.user({ name: 'stranger', role: 'USER', client: other })
const admin = await seed.user({ name: 'root', role: 'ADMINISTRATOR', client })
const bots: Array<{ id: string, name: string }> = []
for (let i = 0; i < 120; i++) bots.push(await seed.bot({ name: `bot${String(i).padStart(3, '0')}` }))
// 40 projects of 3 bots each; the member is in 30 of them (90 visible bots), the stranger in the rest.
for (let p = 0; p < 40; p++) {
  await seed.project({ name: `p${p}`, client: p < 30 ? client : other, members: [p < 30 ? member : stranger], bots: bots.slice(p * 3, p * 3 + 3) })
}
const memberRow = (await models.User.query().findById(member.id))!
const adminRow = (await models.User.query().findById(admin.id))!

async function counted<T>(knex: Knex, fn: () => PromiseLike<T>): Promise<{ result: T, queries: string[] }> {
  const queries: string[] = []
  const listener = (q: { sql: string }) => queries.push(q.sql)
  knex.on('query', listener)
  try {
    return { result: await fn(), queries }
  } finally {
    knex.removeListener('query', listener)
  }
}

t.test('a scoped page of bots costs the same number of queries for 5 or 90 rows', async (t) => {
  const costs: Record<number, number> = {}
  for (const size of [5, 30, 90]) {
    const { result, queries } = await counted(db.knex, () =>
      policies.scope(models.Bot.query(), memberRow, 'read').orderBy('name').orderBy('id').page(0, size))
    t.equal(result.results.length, size, `page of ${size}`)
    t.equal(result.total, 90, 'the member sees the bots of their 30 projects only')
    costs[size] = queries.length
    // Joins inside an EXISTS cannot duplicate rows (the policy compiler flattens nested EXISTS into one).
    t.ok(queries.every((sql) => !/\bjoin\b/i.test(sql.split(/\bexists\s*\(/i)[0])), 'no join outside EXISTS (no duplicated rows)')
  }
  t.same(new Set(Object.values(costs)).size, 1, `same query count for every page size: ${JSON.stringify(costs)}`)
  t.equal(costs[5], 2, 'rows + count')
})

t.test('a plain scoped list is one query, for a member and for an admin', async (t) => {
  for (const user of [memberRow, adminRow]) {
    const { result, queries } = await counted(db.knex, () => policies.scope(models.Project.query(), user, 'read'))
    t.equal(queries.length, 1)
    t.equal(result.length, user === adminRow ? 40 : 30)
  }
  const { result, queries } = await counted(db.knex, () => policies.scope(models.Project.query(), null, 'read'))
  t.equal(queries.length, 1, 'anonymous: still one query')
  t.same(result, [], 'where 1 = 0')
})

t.test('single-row checks: canOnRow one query; canWith one query or none', async (t) => {
  const visible = bots[0].id
  const hidden = bots[119].id
  let r = await counted(db.knex, () => policies.canOnRow(memberRow, 'read', 'Bot', visible))
  t.same([r.result, r.queries.length], [true, 1])
  r = await counted(db.knex, () => policies.canOnRow(memberRow, 'read', 'Bot', hidden))
  t.same([r.result, r.queries.length], [false, 1])
  r = await counted(db.knex, () => policies.canOnRow(memberRow, 'update', 'Bot', visible))
  t.same([r.result, r.queries.length], [false, 0], 'no rule at all: answered without a query')
  r = await counted(db.knex, () => policies.canWith(memberRow, 'create', 'ChatSession', { user_id: member.id, agent_id: visible }))
  t.same([r.result, r.queries.length], [true, 1], 'relation condition: one query')
  r = await counted(db.knex, () => policies.canWith(memberRow, 'create', 'ChatSession', { user_id: stranger.id, agent_id: visible }))
  t.same([r.result, r.queries.length], [false, 0], 'decided by a column alone: no query')
  r = await counted(db.knex, () => policies.canWith(adminRow, 'create', 'ChatSession', { user_id: admin.id, agent_id: hidden }))
  t.same([r.result, r.queries.length], [true, 0])
})

t.test('abilities are cached per user state, not rebuilt per call', async (t) => {
  t.equal(policies.abilityFor(memberRow), policies.abilityFor({ ...memberRow } as any))
  t.not(policies.abilityFor(memberRow), policies.abilityFor(adminRow))
  t.not(policies.abilityFor(memberRow), policies.abilityFor({ ...memberRow, client_id: other.id } as any), 'a changed client id gives a new ability')
})
