// Lists: the DRF page envelope (sizes, caps, links, invalid pages), search, ordering with the id tie-breaker,
// declared filters, bare arrays and limits; and a fixed number of SQL queries whatever the number of rows.
import t from 'tap'
import { toUuid } from '../../src/db/ids.js'
import { buildTestApp } from '../helpers/app.js'

const H = 'http://localhost:80'

t.test('page envelope: default size, caps, links, invalid pages', async t => {
  const { app, seed, auth } = await buildTestApp(t)
  const admin = await auth(await seed.user({ name: 'admin', role: 'ADMINISTRATOR' }))
  const c = await seed.client('C')
  for (let i = 0; i < 25; i++) await seed.project({ name: `P${String(i).padStart(2, '0')}`, client: c })
  const get = async (qs: string) => app.inject({ method: 'GET', url: `/api/projects/${qs}`, headers: admin })

  let res = await get('')
  let page = res.json()
  t.equal(res.statusCode, 200)
  t.equal(page.count, 25)
  t.equal(page.results.length, 10, 'page size 10 by default')
  t.equal(page.next, `${H}/api/projects/?page=2`)
  t.equal(page.previous, null)
  t.same(page.results.map((p: any) => p.name).slice(0, 2), ['P00', 'P01'], 'ordered by name')

  page = (await get('?page=2')).json()
  t.equal(page.next, `${H}/api/projects/?page=3`)
  t.equal(page.previous, `${H}/api/projects/`, 'the link to page 1 has no page parameter')
  page = (await get('?page=3')).json()
  t.equal(page.results.length, 5)
  t.equal(page.next, null)
  t.equal(page.previous, `${H}/api/projects/?page=2`)
  page = (await get('?page=last&page_size=20')).json()
  t.equal(page.results.length, 5, 'page=last')
  t.equal(page.previous, `${H}/api/projects/?page_size=20`)

  t.equal((await get('?page_size=1000')).json().results.length, 25, 'page_size clamped to 100 (all 25 here)')
  for (const bad of ['0', '-3', 'abc', '']) t.equal((await get(`?page_size=${bad}`)).json().results.length, 10, `page_size=${bad} falls back to 10`)
  for (const bad of ['4', '0', 'abc', '-1', '1.5']) {
    res = await get(`?page=${bad}`)
    t.equal(res.statusCode, 404, `page=${bad}`)
    t.same(res.json(), { detail: 'Invalid page.' })
  }
  page = (await get('?search=P&page_size=2&page=2&unknown=1')).json()
  t.equal(page.next, `${H}/api/projects/?page=3&page_size=2&search=P&unknown=1`, 'other parameters kept, sorted')
  t.equal(page.previous, `${H}/api/projects/?page_size=2&search=P&unknown=1`)

  const empty = await app.inject({ method: 'GET', url: '/api/projects/?search=nothing-matches', headers: admin })
  t.same(empty.json(), { count: 0, next: null, previous: null, results: [] }, 'an empty first page is fine')
})

t.test('search, ordering, filters on projects', async t => {
  const { app, seed, auth } = await buildTestApp(t)
  const admin = await auth(await seed.user({ name: 'admin', role: 'ADMINISTRATOR' }))
  const acme = await seed.client('Acme Industries')
  const zeta = await seed.client('Zeta Labs')
  const p1 = await seed.project({ name: 'Rocket launch', client: acme })
  const p2 = await seed.project({ name: 'Rocket recovery', client: zeta })
  const p3 = await seed.project({ name: 'Garden 100%', client: zeta })
  const p4 = await seed.project({ name: 'Same', client: acme })
  const p5 = await seed.project({ name: 'Same', client: acme })
  const names = async (qs: string) => (await app.inject({ method: 'GET', url: `/api/projects/${qs}`, headers: admin })).json().results.map((p: any) => p.name)
  const ids = async (qs: string) => (await app.inject({ method: 'GET', url: `/api/projects/${qs}`, headers: admin })).json().results.map((p: any) => p.id)

  t.same(await names('?search=rocket'), ['Rocket launch', 'Rocket recovery'], 'case-insensitive')
  t.same(await names('?search=rocket%20zeta'), ['Rocket recovery'], 'every term must match (client name counts)')
  t.same(await names('?search=rocket,acme'), ['Rocket launch'], 'commas separate terms')
  t.same(await names('?search=%22rocket%20launch%22'), ['Rocket launch'], 'a quoted phrase is one term')
  t.same(await names('?search=%22launch%20rocket%22'), [], 'the phrase must match as a whole')
  t.same(await names('?search=100%25'), ['Garden 100%'], '% is literal')
  t.same(await names('?search=_'), [], '_ is literal')
  t.same(await names('?search='), ['Garden 100%', 'Rocket launch', 'Rocket recovery', 'Same', 'Same'], 'empty search = no filter')

  t.same(await names('?ordering=-name'), ['Same', 'Same', 'Rocket recovery', 'Rocket launch', 'Garden 100%'])
  t.same(await names('?ordering=client__name,-name'), ['Same', 'Same', 'Rocket launch', 'Rocket recovery', 'Garden 100%'])
  t.same(await names('?ordering=bogus,-created_at'), ['Garden 100%', 'Rocket launch', 'Rocket recovery', 'Same', 'Same'], 'unknown fields ignored → default')
  const [a, b] = [p4.id, p5.id].sort().map(toUuid)
  t.same((await ids('?search=Same')), [a, b], 'equal names: id is the tie-breaker')
  t.same((await ids('?search=Same&ordering=-name')), [a, b], 'tie-breaker also after a requested order')

  t.same(await names('?client__name=zeta%20labs'), ['Garden 100%', 'Rocket recovery'], 'client__name: exact, ignoring case')
  t.same(await names('?client__name=zeta'), [], 'exact, not contains')
  t.same(await names('?client__name='), (await names('')), 'empty filter = no filter')
  t.ok([p1, p2, p3].length)
})

t.test('bots page slicing; clients, boards, sessions, favorites, users, expertise areas', async t => {
  const { app, knex, seed, auth } = await buildTestApp(t)
  const c = await seed.client('C')
  const adminUser = await seed.user({ name: 'admin', role: 'ADMINISTRATOR' })
  const admin = await auth(adminUser)
  const alice = await seed.user({ name: 'alice', client: c })
  const ah = await auth(alice)
  const bots = []
  for (let i = 0; i < 12; i++) bots.push(await seed.bot({ name: `Bot ${String(i).padStart(2, '0')}` }))
  await seed.project({ name: 'P', client: c, members: [alice], bots })

  let res = await app.inject({ method: 'GET', url: '/api/bots/?page_size=5&page=3', headers: ah })
  t.equal(res.json().count, 12)
  t.same(res.json().results.map((b: any) => b.name), ['Bot 10', 'Bot 11'], 'results hold the page only')
  res = await app.inject({ method: 'GET', url: '/api/bots/?search=bot%2007', headers: ah })
  t.same(res.json().results.map((b: any) => b.name), ['Bot 07'])
  res = await app.inject({ method: 'GET', url: '/api/bots/?search=webhook', headers: ah })
  t.equal(res.json().count, 12, 'url_n8n is searched')

  // chat sessions: the caller's 6 newest, 201, bare array
  for (let i = 0; i < 8; i++) {
    await knex('authentication_chatsession').insert({
      id: `${'5'.repeat(30)}${String(i).padStart(2, '0')}`, session_key: `k${i}`, data: null, agent_id: bots[0].id, user_id: alice.id,
      created_at: `2026-11-2${i % 2 ? 0 : 1} 10:00:0${i}.000000`, updated_at: null,
    })
  }
  res = await app.inject({ method: 'GET', url: '/api/chat-session/', headers: ah })
  t.equal(res.statusCode, 201)
  t.same(res.json().map((s: any) => s.session_key), ['k6', 'k4', 'k2', 'k0', 'k7', 'k5'], 'newest 6 first')
  t.same(Object.keys(res.json()[0]), ['session_key', 'user', 'agent', 'data', 'created_at'])
  t.match(res.json()[0].created_at, /^2026-11-21T07:00:06-03:00$/, 'API datetime with offset, no zero microseconds')

  // bot list chat_sessions: the caller's own, created_at in the +0000 format
  res = await app.inject({ method: 'GET', url: '/api/bots/?search=Bot%2000', headers: ah })
  const cs = res.json().results[0].chat_sessions
  t.equal(cs.length, 8)
  t.match(cs[0].created_at, /^2026-11-2\dT10:00:0\d\.000000\+0000$/)
  res = await app.inject({ method: 'GET', url: '/api/bots/?search=Bot%2000', headers: admin })
  t.same(res.json().results[0].chat_sessions, [], 'admins do not see other users\' sessions')

  // favorites filters
  await knex('authentication_chatfavorite').insert([
    { message_id: 'm1', text: 't1', created_at: '2026-11-24 10:00:00.000000', agent_id: bots[0].id, session_id: `${'5'.repeat(30)}00`, user_id: alice.id },
    { message_id: 'm2', text: 't2', created_at: '2026-11-24 11:00:00.000000', agent_id: bots[0].id, session_id: `${'5'.repeat(30)}01`, user_id: alice.id },
  ])
  res = await app.inject({ method: 'GET', url: '/api/chat-favorites/', headers: ah })
  t.same(res.json(), [
    { agent: toUuid(bots[0].id), session: 'k1', text: 't2', message_id: 'm2', agent_name: '' },
    { agent: toUuid(bots[0].id), session: 'k0', text: 't1', message_id: 'm1', agent_name: '' },
  ], 'newest first, list shape')
  t.same((await app.inject({ method: 'GET', url: '/api/chat-favorites/?session_key=k0', headers: ah })).json().map((f: any) => f.message_id), ['m1'])
  t.same((await app.inject({ method: 'GET', url: `/api/chat-favorites/?agent_id=${bots[1].id}`, headers: ah })).json(), [])
  res = await app.inject({ method: 'GET', url: '/api/chat-favorites/?agent_id=nope', headers: ah })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { agent_id: ['Must be a valid UUID.'] })

  // clients: own only for non-admins, ordering for admins
  await seed.client('Another')
  t.same((await app.inject({ method: 'GET', url: '/api/clients/', headers: ah })).json().map((x: any) => x.name), ['C'])
  t.same((await app.inject({ method: 'GET', url: '/api/clients/?ordering=-name', headers: admin })).json().map((x: any) => x.name), ['C', 'Another'])
  t.same((await app.inject({ method: 'GET', url: '/api/clients/', headers: admin })).json().map((x: any) => x.name), ['Another', 'C'])

  // users: admins get the page with derived fields; others a bare []
  await knex('authentication_userprofile').where('id', alice.id).update({ full_name: 'Alice  van Dyke', username: '', department: 'Ops', avatar: 'users/x/avatar.png' })
  res = await app.inject({ method: 'GET', url: '/api/users/?search=van%20dyke', headers: admin })
  t.same(res.json().results, [{
    id: toUuid(alice.id), first_name: 'Alice', last_name: 'van Dyke', email: 'alice@example.com', username: 'alice', avatar: '/users/x/avatar.png',
    role: 'USER', date_joined: res.json().results[0].date_joined, job_title: '', department: 'Ops', is_active: true, active: true, is_staff: false,
    projects: [{ id: res.json().results[0].projects[0].id, name: 'P' }], client_id: toUuid(c.id),
  }])
  t.same((await app.inject({ method: 'GET', url: '/api/users/?department=ops', headers: admin })).json().count, 1)
  t.same((await app.inject({ method: 'GET', url: '/api/users/?page=99', headers: ah })).json(), [], 'non-admins: [] whatever the query')

  // expertise areas: page of 10, ordered by name, search over name and description
  for (let i = 0; i < 11; i++) {
    await knex('expertise_areas').insert({ id: `${'e'.repeat(30)}${String(i).padStart(2, '0')}`, name: `Area ${String(i).padStart(2, '0')}`, description: i === 3 ? 'Money' : null, created_at: '2026-11-24 10:00:00.000000', updated_at: null })
  }
  res = await app.inject({ method: 'GET', url: '/api/expertise-areas/', headers: ah })
  t.equal(res.json().results.length, 10)
  t.equal(res.json().next, `${H}/api/expertise-areas/?page=2`)
  t.same((await app.inject({ method: 'GET', url: '/api/expertise-areas/?search=money', headers: ah })).json().results.map((x: any) => x.name), ['Area 03'])
})

t.test('a list is a fixed number of queries whatever its length (no N+1)', async t => {
  const { app, knex, seed, auth } = await buildTestApp(t)
  const c = await seed.client('C')
  const admin = await seed.user({ name: 'admin', role: 'ADMINISTRATOR' })
  const alice = await seed.user({ name: 'alice', client: c })
  let queries = 0
  knex.on('query', () => { queries++ })
  const count = async (user: typeof alice, url: string) => {
    const headers = await auth(user)
    queries = 0
    const res = await app.inject({ method: 'GET', url, headers })
    t.equal(res.statusCode < 300, true, `${url}: ${res.statusCode}`)
    return queries
  }
  const grow = async (n: number) => {
    const area = `${'a'.repeat(28)}${String(n).padStart(4, '0')}`
    await knex('expertise_areas').insert({ id: area, name: `Area ${n}`, description: null, created_at: '2026-11-24 10:00:00.000000', updated_at: null })
    for (let i = 0; i < n; i++) {
      const bot = await seed.bot({ name: `Bot ${n}-${i}` })
      await knex('agents').where('id', bot.id).update({ expertise_area_id: area })
      const p = await seed.project({ name: `P ${n}-${i}`, client: c, members: [alice], bots: [bot] })
      await knex('authentication_chatsession').insert({ id: `${bot.id.slice(0, 30)}ff`, session_key: `k${n}-${i}`, data: null, agent_id: bot.id, user_id: alice.id, created_at: '2026-11-24 10:00:00.000000', updated_at: null })
      await knex('authentication_boards').insert({ id: `${p.id.slice(0, 30)}bb`, config: '[]', project_id: p.id, client_id: c.id, created_at: '2026-11-24 10:00:00.000000', updated_at: null })
    }
  }
  const urls: [typeof alice, string][] = [
    [alice, '/api/projects/?page_size=100'], [admin, '/api/projects/?page_size=100'], [alice, '/api/bots/?page_size=100'],
    [admin, '/api/bots/?page_size=100'], [admin, '/api/users/?page_size=100'], [alice, '/api/boards/'], [alice, '/api/chat-session/'],
    [alice, '/api/clients/'], [alice, '/api/chat-favorites/'], [alice, '/api/expertise-areas/'],
  ]
  await grow(1)
  const small = []
  for (const [u, url] of urls) small.push(await count(u, url))
  await grow(30)
  for (const [i, [u, url]] of urls.entries()) {
    const n = await count(u, url)
    t.equal(n, small[i], `${url}: ${n} queries with 1 row and with 31 rows`)
    t.ok(n <= 6, `${url}: at most 6 queries (${n})`)
  }
  // the project bots list too
  const p = await knex('authentication_projects').first()
  t.ok((await count(alice, `/api/projects/${p.id}/bots/`)) <= 6)
})
