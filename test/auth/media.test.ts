// Avatars served at the URLs the API returns (DECISIONS 6 and 41): GET /users/<uuid>/<file> from MEDIA_ROOT.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { hyphenated, multipart, PNG_1X1 } from './support.js'

t.test('avatars', async t => {
  const media = mkdtempSync(join(tmpdir(), 'enlaight-media-'))
  t.teardown(() => rmSync(media, { recursive: true, force: true }))
  const ctx = await buildTestApp(t, { env: { MEDIA_ROOT: media } })
  const { app, seed } = ctx
  const erin = await seed.user({ name: 'erin' })
  const uuid = hyphenated(erin.id)

  t.test('the URL returned by me/update serves the uploaded bytes, without a token', async t => {
    const m = multipart([{ name: 'avatar', value: PNG_1X1, filename: 'me.png', contentType: 'image/png' }])
    const upload = await app.inject({ method: 'PATCH', url: '/api/me/update/', payload: m.payload, headers: { ...m.headers, ...await ctx.auth(erin) } })
    t.equal(upload.statusCode, 200)
    const path = new URL(upload.json().avatar).pathname
    t.equal(path, `/users/${uuid}/avatar.png`)
    const res = await app.inject({ method: 'GET', url: path })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'image/png')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.ok(res.rawPayload.equals(PNG_1X1), 'the same bytes')
  })

  t.test('the type comes from the bytes, not the name', async t => {
    writeFileSync(join(media, 'users', uuid, 'renamed.gif'), PNG_1X1)
    const res = await app.inject({ method: 'GET', url: `/users/${uuid}/renamed.gif` })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'image/png')
  })

  t.test('anything that is not a stored raster image is the same JSON 404', async t => {
    writeFileSync(join(media, 'users', uuid, 'page.html'), '<script>alert(1)</script>')
    writeFileSync(join(media, 'users', uuid, 'big.png'), Buffer.concat([PNG_1X1, Buffer.alloc(2 * 1024 * 1024)]))
    writeFileSync(join(media, 'secret.png'), PNG_1X1)
    mkdirSync(join(media, 'users', uuid, 'folder.png'))
    symlinkSync(join(media, 'secret.png'), join(media, 'users', uuid, 'link.png'))
    const urls = [
      `/users/${uuid}/page.html`, // not an image
      `/users/${uuid}/big.png`, // over 2 MB
      `/users/${uuid}/folder.png`, // a directory
      `/users/${uuid}/link.png`, // a link out of the user's folder
      `/users/${uuid}/missing.png`,
      `/users/${uuid}/..%2f..%2fsecret.png`, // traversal, encoded
      `/users/..%2fsecret.png/x.png`,
      `/users/${uuid.toUpperCase()}/avatar.png`, // not the printed spelling
      `/users/${uuid}/.hidden.png`,
    ]
    for (const url of urls) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 404, url)
      t.same(res.json(), { detail: 'Not found.' }, url)
    }
  })
})
