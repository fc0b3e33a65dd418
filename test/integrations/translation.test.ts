// Translation endpoints (resources §12, §17 #12/#19; DECISIONS 18/19): the cache first, then the real AWS SDK
// provider pointed at a fake AWS Translate on 127.0.0.1; anonymous callers read the cache only.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { buildTestApp } from '../helpers/app.js'
import { startFakeTranslate, TRANSLATE_TARGET, type FakeTranslate } from '../fakes/translate.js'

const TIMEOUT_MS = 1000

async function fakeTranslate(t: Test) {
  const fake = await startFakeTranslate()
  t.teardown(() => fake.close())
  return fake
}

function awsEnv(fake: FakeTranslate): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    AWS_REGION: 'eu-central-1',
    AWS_ENDPOINT_URL_TRANSLATE: fake.url,
    TRANSLATION_TIMEOUT_MS: String(TIMEOUT_MS),
  }
}

async function setup(t: Test, env: Record<string, string>) {
  const test = await buildTestApp(t, { env })
  await cache(test.knex, 'Hello', 'pt', 'Olá', '')
  await cache(test.knex, 'Hello', 'pt', 'Olá NS', 'default')
  await cache(test.knex, 'Projects', 'pt', 'Projetos (assistants)', 'assistants')
  await cache(test.knex, 'Projects', 'pt', 'Projetos (zeta)', 'zeta')
  const user = await test.seed.user()
  const signedIn = await test.auth(user)
  const get = (query: string, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'GET', url: `/api/i18n/translate/?${query}`, headers })
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'POST', url, payload: payload as object, headers })
  return { ...test, user, signedIn, get, post }
}

async function cache(knex: Knex, source: string, lang: string, translated: string, namespace: string) {
  await knex('authentication_translation').insert({
    id: randomUUID().replaceAll('-', ''), created_at: new Date(), updated_at: null,
    source_text: source, target_lang: lang, translated_text: translated, namespace,
  })
}

t.test('GET reads the cache: case-insensitive text, normalised language, namespaces', async t => {
  const fake = await fakeTranslate(t)
  const { get } = await setup(t, awsEnv(fake))

  t.same((await get('text=hello&lang=pt-BR')).json(), { text: 'Olá', found: true, auto: false }, 'the "" namespace is preferred')
  t.same((await get('text=%20Hello%20&lang=PT_br&namespace=default')).json(), { text: 'Olá NS', found: true, auto: false })
  t.same((await get('text=Hello&lang=pt&namespace=zzz')).json(), { text: 'Hello', found: false, auto: false })
  t.same((await get('text=Projects&lang=pt')).json(), { text: 'Projetos (assistants)', found: true, auto: false }, 'no "" row: first namespace by name')
  t.same(fake.calls, [], 'anonymous callers never reach the provider')

  for (const query of ['lang=pt', 'text=Hello', 'text=%20%20&lang=pt', 'text=Hello&lang=-BR']) {
    const res = await get(query)
    t.equal(res.statusCode, 400, query)
    t.same(res.json(), { detail: 'Provide text and lang.' }, query)
  }
})

t.test('a signed-in miss goes to AWS Translate (signed request), is answered auto and saved to the cache', async t => {
  const fake = await fakeTranslate(t)
  fake.dictionary.set('es:Goodbye', 'Adiós')
  const { get, signedIn, knex } = await setup(t, awsEnv(fake))

  const res = await get('text=%20Goodbye%20&lang=es-MX', signedIn)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { text: 'Adiós', found: true, auto: true })
  t.same(fake.calls, [{ target: TRANSLATE_TARGET, signed: true, text: 'Goodbye', sourceLanguage: 'auto', targetLanguage: 'es' }])

  const rows = await knex('authentication_translation').where({ target_lang: 'es' }).select('source_text', 'translated_text', 'namespace')
  t.same(rows, [{ source_text: 'Goodbye', translated_text: 'Adiós', namespace: '' }], 'autosave: trimmed text, primary subtag')

  const again = await get('text=goodbye&lang=es', signedIn)
  t.same(again.json(), { text: 'Adiós', found: true, auto: false }, 'the second time the cache answers')
  t.equal(fake.calls.length, 1)

  const anonymousMiss = await get('text=Unknown%20words&lang=es')
  t.same(anonymousMiss.json(), { text: 'Unknown words', found: false, auto: false })
  t.equal(fake.calls.length, 1, 'anonymous miss: cache only')

  const badToken = await get('text=Unknown%20words&lang=es', { authorization: 'Bearer not-a-token' })
  t.equal(badToken.statusCode, 200, 'a bad token counts as anonymous')
  t.equal(fake.calls.length, 1)
})

t.test('batch: results in input order, one provider call per distinct text, items without text or lang', async t => {
  const fake = await fakeTranslate(t)
  const { post, signedIn, knex } = await setup(t, awsEnv(fake))

  const items = [
    { text: 'Hello', lang: 'pt-BR' },
    { text: 'Settings', lang: 'pt' },
    { text: ' Settings ', lang: 'PT_br' },
    { text: '', lang: 'pt' },
    { text: 'Logout' },
    { text: 'Settings', lang: 'de' },
  ]
  const res = await post('/api/i18n/translate/batch/', { namespace: 'assistants', items }, signedIn)
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    results: [
      { text: '[pt] Hello', found: true, auto: true }, // a miss: the only Hello rows are in '' and 'default'
      { text: '[pt] Settings', found: true, auto: true },
      { text: '[pt] Settings', found: true, auto: true },
      { text: '', found: false, auto: false },
      { text: 'Logout', found: false, auto: false },
      { text: '[de] Settings', found: true, auto: true },
    ],
  })
  t.same(fake.calls.map(c => `${c.targetLanguage}:${c.text}`).sort(), ['de:Settings', 'pt:Hello', 'pt:Settings'])
  const saved = await knex('authentication_translation').where({ namespace: 'assistants' }).orderBy('source_text').orderBy('target_lang').select('source_text', 'target_lang')
  t.same(saved, [
    { source_text: 'Hello', target_lang: 'pt' },
    { source_text: 'Projects', target_lang: 'pt' },
    { source_text: 'Settings', target_lang: 'de' },
    { source_text: 'Settings', target_lang: 'pt' },
  ])

  const anonymous = await post('/api/i18n/translate/batch/', { items: [{ text: 'hello', lang: 'pt' }, { text: 'Brand new', lang: 'pt' }] })
  t.same(anonymous.json(), { results: [{ text: 'Olá', found: true, auto: false }, { text: 'Brand new', found: false, auto: false }] })
  t.equal(fake.calls.length, 3, 'anonymous batch: cache only')
})

t.test('the frontend alias POST /i18n/translate/ {texts, lang} answers {"results"}', async t => {
  const fake = await fakeTranslate(t)
  const { post, signedIn } = await setup(t, awsEnv(fake))

  const res = await post('/api/i18n/translate/', { texts: ['Hello', 'Dashboards'], lang: 'pt-BR' }, signedIn)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { results: [{ text: 'Olá', found: true, auto: false }, { text: '[pt] Dashboards', found: true, auto: true }] })

  for (const payload of [{ lang: 'pt' }, { texts: [], lang: 'pt' }, { texts: ['Hello'] }]) {
    const bad = await post('/api/i18n/translate/', payload, signedIn)
    t.equal(bad.statusCode, 400, JSON.stringify(payload))
    t.same(bad.json(), { detail: 'Provide texts: [..] and lang.' })
  }
  const tooMany = await post('/api/i18n/translate/', { texts: Array.from({ length: 501 }, (_, i) => `t${i}`), lang: 'pt' }, signedIn)
  t.equal(tooMany.statusCode, 413)
})

t.test('batch caps: 413 over 500 items or 5000 characters, 400 for missing or malformed items, nothing called', async t => {
  const fake = await fakeTranslate(t)
  const { post, signedIn } = await setup(t, awsEnv(fake))
  const batch = (payload: unknown) => post('/api/i18n/translate/batch/', payload, signedIn)

  const tooMany = await batch({ items: Array.from({ length: 501 }, (_, i) => ({ text: `t${i}`, lang: 'pt' })) })
  t.equal(tooMany.statusCode, 413)
  t.same(tooMany.json(), { detail: 'Too many items (max 500).' })

  const tooLong = await batch({ items: [{ text: 'x'.repeat(5001), lang: 'pt' }] })
  t.equal(tooLong.statusCode, 413)
  t.same(tooLong.json(), { detail: 'Item text exceeds 5000 characters.' })

  const atLimit = await batch({ items: Array.from({ length: 500 }, () => ({ text: 'x'.repeat(10), lang: '' })) })
  t.equal(atLimit.statusCode, 200, '500 items are accepted')

  for (const payload of [{}, { items: [] }, { items: 'Hello' }, { items: ['Hello'] }, { items: [['Hello']] }, { items: [{ text: { a: 1 }, lang: 'pt' }] }]) {
    const res = await batch(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.headers['content-type'], /^application\/json/)
  }
  t.same(fake.calls, [])
})

t.test('provider calls: at most 4 at once per request, and the request ends at the deadline', async t => {
  const fake = await fakeTranslate(t)
  const { post, signedIn } = await setup(t, awsEnv(fake))
  fake.delayMs = 100

  const items = Array.from({ length: 12 }, (_, i) => ({ text: `Phrase ${i}`, lang: 'fr' }))
  const res = await post('/api/i18n/translate/batch/', { items }, signedIn)
  t.equal(res.statusCode, 200)
  t.ok(res.json().results.every((r: { found: boolean }) => r.found), 'all translated')
  t.equal(fake.calls.length, 12)
  t.ok(fake.maxInFlight <= 4 && fake.maxInFlight >= 2, `max ${fake.maxInFlight} calls in flight`)

  fake.delayMs = 5000
  const started = Date.now()
  const slow = await post('/api/i18n/translate/batch/', { items: [{ text: 'Slow one', lang: 'fr' }, { text: 'Hello', lang: 'pt' }] }, signedIn)
  const elapsed = Date.now() - started
  t.equal(slow.statusCode, 200)
  t.same(slow.json().results, [{ text: 'Slow one', found: false, auto: false }, { text: 'Olá', found: true, auto: false }])
  t.ok(elapsed >= TIMEOUT_MS - 50 && elapsed < TIMEOUT_MS + 1500, `answered after ${elapsed} ms`)
})

t.test('provider errors leave the item untranslated (200), never an error page', async t => {
  const fake = await fakeTranslate(t)
  fake.failWith = 500
  const { get, signedIn } = await setup(t, awsEnv(fake))

  const res = await get('text=Broken&lang=it', signedIn)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { text: 'Broken', found: false, auto: false })
  t.ok(fake.calls.length >= 1 && fake.calls.length <= 2, `${fake.calls.length} attempt(s), at most one retry`)
})

t.test('no provider configured: cache hits work, misses say so in a header', async t => {
  const { get, post, signedIn } = await setup(t, {})

  const hit = await get('text=Hello&lang=pt', signedIn)
  t.same(hit.json(), { text: 'Olá', found: true, auto: false })
  t.equal(hit.headers['x-translation-provider'], undefined)

  const miss = await get('text=Nothing%20here&lang=pt', signedIn)
  t.equal(miss.statusCode, 200)
  t.same(miss.json(), { text: 'Nothing here', found: false, auto: false })
  t.equal(miss.headers['x-translation-provider'], 'none')

  const batch = await post('/api/i18n/translate/batch/', { items: [{ text: 'Hello', lang: 'pt' }, { text: 'Other', lang: 'pt' }] }, signedIn)
  t.same(batch.json(), { results: [{ text: 'Olá', found: true, auto: false }, { text: 'Other', found: false, auto: false }] })
  t.equal(batch.headers['x-translation-provider'], 'none')
})

t.test('a signed-in user has a character budget for provider calls (RATE_LIMIT_TRANSLATE_CHARS)', async t => {
  const fake = await fakeTranslate(t)
  const { post, signedIn, seed, auth } = await setup(t, { ...awsEnv(fake), RATE_LIMIT: 'on', RATE_LIMIT_TRANSLATE_CHARS: '12/1h' })

  const first = await post('/api/i18n/translate/batch/', { items: [{ text: 'abcdef', lang: 'fr' }, { text: 'ghijkl', lang: 'fr' }, { text: 'mnopqr', lang: 'fr' }] }, signedIn)
  t.same(first.json().results.map((r: { found: boolean }) => r.found), [true, true, false], '12 characters: two texts of 6')
  t.equal(fake.calls.length, 2)

  const other = await auth(await seed.user())
  const second = await post('/api/i18n/translate/batch/', { items: [{ text: 'mnopqr', lang: 'fr' }] }, other)
  t.same(second.json().results, [{ text: '[fr] mnopqr', found: true, auto: true }], 'another user has their own budget')
})
