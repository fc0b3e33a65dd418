// The generated types drive a real client: openapi-fetch against the listening server.
import createClient from 'openapi-fetch'
import t from 'tap'
import type { paths } from '../../generated/openapi-types.js'
import { buildTestApp } from '../helpers/app.js'
import { SEED_PASSWORD } from '../helpers/seed.js'

t.test('login and me through openapi-fetch with the generated types', async t => {
  const { app, seed } = await buildTestApp(t)
  const alice = await seed.user({ name: 'alice', email: 'alice@example.com' })
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  const client = createClient<paths>({ baseUrl })

  const login = await client.POST('/api/login/', { body: { email: 'alice@example.com', password: SEED_PASSWORD } })
  t.equal(login.response.status, 200)
  const access = login.data!.access
  t.type(access, 'string')

  const me = await client.GET('/api/me/', { headers: { authorization: `Bearer ${access}` } })
  t.equal(me.response.status, 200)
  t.equal(me.data!.id, alice.id.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'))
  t.equal(me.data!.email, 'alice@example.com')

  const refused = await client.GET('/api/me/')
  t.equal(refused.response.status, 401)
  t.same(refused.error, { detail: 'Authentication credentials were not provided.' })
})
