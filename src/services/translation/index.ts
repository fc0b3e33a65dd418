// Translation (resources §12, DECISIONS 18/19): the cache table answers first; misses of signed-in callers go to
// the configured provider within a deadline, a concurrency cap and a per-user character budget; successes are
// saved to the cache (autosave). Anonymous callers read the cache only.
import type { FastifyBaseLogger } from 'fastify'
import type { Knex } from 'knex'
import type { Config } from '../../config.js'
import { newId } from '../../db/ids.js'
import { nowDb } from '../../db/time.js'
import { ApiError } from '../../engine/errors.js'
import type { Quota } from '../../rate-limit.js'
import { providerFor } from './provider.js'

export type { TranslationProvider } from './provider.js'

export const MAX_ITEMS = 500
export const MAX_TEXT_LENGTH = 5000
/** Provider calls in flight for one request, and for the whole process. */
export const REQUEST_CONCURRENCY = 4
const PROCESS_CONCURRENCY = 16

const TABLE = 'authentication_translation'
// database.md §3.16 column widths: longer keys cannot be cached, so they are neither looked up nor saved.
const MAX_SOURCE_LENGTH = 191
const MAX_LANG_LENGTH = 10
// What a provider is asked to translate into: a primary language subtag.
const PROVIDER_LANG = /^[a-z]{2,3}$/

export interface TranslationRequestItem { text?: unknown, lang?: unknown }
export interface TranslationResult { text: string, found: boolean, auto: boolean }

export interface TranslateContext {
  config: Config
  knex: Knex
  log: FastifyBaseLogger
  /** The signed-in caller's id, or null: anonymous callers read the cache only. */
  callerId: string | null
  quota: Quota
}

export interface TranslateOutcome {
  results: TranslationResult[]
  /** True when some miss was not sent anywhere because no provider is configured. */
  noProvider: boolean
}

/** §12.1: the part before the first `-`, then before the first `_`, lower-cased (`pt-BR`, `PT_br` → `pt`). */
export function normalizeLang(lang: unknown): string {
  return typeof lang === 'string' ? lang.split('-')[0].split('_')[0].trim().toLowerCase() : ''
}

const trimmed = (text: unknown) => (typeof text === 'string' ? text.trim() : '')

/** §12.3 caps, checked before any work: 413 for too many items or an over-long text. */
export function checkLimits(items: TranslationRequestItem[]): void {
  if (items.length > MAX_ITEMS) throw new ApiError('payload_too_large', { detail: `Too many items (max ${MAX_ITEMS}).` })
  const tooLong = items.some(i => normalizeLang(i.lang) && trimmed(i.text).length > MAX_TEXT_LENGTH)
  if (tooLong) throw new ApiError('payload_too_large', { detail: `Item text exceeds ${MAX_TEXT_LENGTH} characters.` })
}

/** One result per item, in input order. `namespace` '' means any namespace, the '' namespace first (§17 #19). */
export async function translateItems(items: TranslationRequestItem[], namespace: string, ctx: TranslateContext): Promise<TranslateOutcome> {
  const wanted = items.map(i => ({ text: trimmed(i.text), lang: normalizeLang(i.lang) }))
  const results: TranslationResult[] = wanted.map(w => ({ text: w.text, found: false, auto: false }))
  const cached = await lookup(ctx.knex, wanted.filter(w => w.text && w.lang), namespace)

  const misses: number[] = []
  wanted.forEach((w, index) => {
    if (!w.text || !w.lang) return
    const hit = cached.exact.get(cacheKey(w.text, w.lang)) ?? cached.loose.get(looseKey(w.text, w.lang))
    if (hit !== undefined) results[index] = { text: hit, found: true, auto: false }
    else misses.push(index)
  })
  if (misses.length === 0 || ctx.callerId === null) return { results, noProvider: false }

  const provider = providerFor(ctx.config.translation)
  if (!provider) return { results, noProvider: true }

  // One provider call per distinct text and language; the answer serves every item that asked for it.
  const pending = new Map<string, { text: string, lang: string, indexes: number[] }>()
  for (const index of misses) {
    const { text, lang } = wanted[index]
    if (!PROVIDER_LANG.test(lang)) continue
    const key = `${lang}\0${text}`
    const entry = pending.get(key) ?? { text, lang, indexes: [] }
    entry.indexes.push(index)
    pending.set(key, entry)
  }
  const translated = await callProvider([...pending.values()], ctx, (text, lang, signal) => provider.translate(text, lang, signal))
  for (const [key, translation] of translated) {
    for (const index of pending.get(key)!.indexes) results[index] = { text: translation, found: true, auto: true }
  }
  if (ctx.config.translation.autosave && translated.size > 0) {
    await save(ctx, [...translated].map(([key, translation]) => ({ ...pending.get(key)!, translation })), namespace)
  }
  return { results, noProvider: false }
}

const cacheKey = (text: string, lang: string) => `${lang}\0${text.toLowerCase()}`
// MariaDB's collation also ignores accents, so it returns `Olá` for `ola`; the original answers such rows too.
const looseKey = (text: string, lang: string) => cacheKey(text.normalize('NFD').replace(/\p{M}/gu, ''), lang)

interface CacheHits { exact: Map<string, string>, loose: Map<string, string> }

/** §12.2/§12.3 lookup in one query: case-insensitive source text, normalised language, optional namespace. */
async function lookup(knex: Knex, wanted: Array<{ text: string, lang: string }>, namespace: string): Promise<CacheHits> {
  const found: CacheHits = { exact: new Map(), loose: new Map() }
  const keys = wanted.filter(w => w.text.length <= MAX_SOURCE_LENGTH && w.lang.length <= MAX_LANG_LENGTH)
  if (keys.length === 0) return found
  const texts = [...new Set(keys.map(w => w.text.toLowerCase()))]
  const langs = [...new Set(keys.map(w => w.lang))]
  const query = knex(TABLE)
    .select('source_text', 'target_lang', 'translated_text', 'namespace', 'id')
    .whereIn('target_lang', langs)
    .whereRaw(`lower(source_text) in (${texts.map(() => '?').join(', ')})`, texts)
  if (namespace) query.where('namespace', namespace)
  const rows: Array<{ source_text: string, target_lang: string, translated_text: string, namespace: string, id: string }> = await query
  // Deterministic choice among namespaces: '' first, then by namespace and id.
  rows.sort((a, b) => Number(a.namespace !== '') - Number(b.namespace !== '') || a.namespace.localeCompare(b.namespace) || a.id.localeCompare(b.id))
  for (const row of rows) {
    const lang = row.target_lang.toLowerCase()
    const exact = cacheKey(row.source_text, lang)
    if (!found.exact.has(exact)) found.exact.set(exact, row.translated_text)
    const loose = looseKey(row.source_text, lang)
    if (!found.loose.has(loose)) found.loose.set(loose, row.translated_text)
  }
  return found
}

type Translate = (text: string, lang: string, signal: AbortSignal) => Promise<string | null>

/**
 * Calls the provider for each job with REQUEST_CONCURRENCY workers, within the deadline and the caller's character
 * budget. Returns what was translated by the deadline, keyed like the jobs; everything else stays a miss.
 */
async function callProvider(jobs: Array<{ text: string, lang: string }>, ctx: TranslateContext, translate: Translate): Promise<Map<string, string>> {
  const done = new Map<string, string>()
  const signal = AbortSignal.timeout(ctx.config.translation.timeoutMs)
  const problems = { failed: 0, overBudget: 0, lastError: '' }
  let next = 0
  const worker = async () => {
    while (next < jobs.length && !signal.aborted) {
      const job = jobs[next++]
      if (!await ctx.quota.consume('translateChars', ctx.callerId!, job.text.length)) {
        problems.overBudget++
        continue
      }
      await processSlots.acquire()
      try {
        if (signal.aborted) break
        const translation = await translate(job.text, job.lang, signal)
        if (translation) done.set(`${job.lang}\0${job.text}`, translation)
      } catch (err) {
        // The original swallows provider errors too (§12.4): the item is answered untranslated.
        problems.failed++
        problems.lastError = (err as Error)?.name ?? 'Error'
      } finally {
        processSlots.release()
      }
    }
  }
  await Promise.race([Promise.all(Array.from({ length: Math.min(REQUEST_CONCURRENCY, jobs.length) }, worker)), abortOf(signal)])
  const answered = new Map(done) // calls still running after the deadline no longer count
  const timedOut = signal.aborted ? jobs.length - answered.size - problems.failed - problems.overBudget : 0
  if (problems.failed || problems.overBudget || timedOut > 0) {
    ctx.log.warn({ ...problems, timedOut, jobs: jobs.length }, 'translation provider: some texts left untranslated')
  }
  return answered
}

function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise(resolve => signal.addEventListener('abort', () => resolve(), { once: true }))
}

async function save(ctx: TranslateContext, rows: Array<{ text: string, lang: string, translation: string }>, namespace: string) {
  const storable = rows.filter(r => r.text.length <= MAX_SOURCE_LENGTH && r.lang.length <= MAX_LANG_LENGTH)
  if (storable.length === 0) return
  const now = nowDb()
  try {
    // A concurrent request may have saved the same key: the unique index keeps the first row.
    await ctx.knex(TABLE)
      .insert(storable.map(r => ({ id: newId(), created_at: now, updated_at: null, source_text: r.text, target_lang: r.lang, translated_text: r.translation, namespace })))
      .onConflict(['source_text', 'target_lang', 'namespace'])
      .ignore()
  } catch (err) {
    ctx.log.warn({ err: { code: (err as { code?: string }).code } }, 'translation cache: autosave failed')
  }
}

/** A counting semaphore: at most `size` holders; release hands the slot to the next waiter. */
class Slots {
  private active = 0
  private readonly waiting: Array<() => void> = []
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++
      return
    }
    await new Promise<void>(resolve => this.waiting.push(resolve))
  }
  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }
}

const processSlots = new Slots(PROCESS_CONCURRENCY)
