// Translation endpoints (resources §12, DECISIONS 18/19): thin shells over src/services/translation.
import type { FastifyRequest } from 'fastify'
import type { Handler } from '../../generated/handlers.js'
import type { Deps } from '../deps.js'
import { ApiError } from '../engine/errors.js'
import type { User } from '../models/index.js'
import {
  checkLimits, normalizeLang, translateItems, type TranslateContext, type TranslateOutcome, type TranslationRequestItem,
} from '../services/translation/index.js'

export const translateText: Handler<'translateText'> = async ({ query, user, deps, req }) => {
  const text = (query.text ?? '').trim()
  const lang = normalizeLang(query.lang)
  if (!text || !lang) throw new ApiError('bad_request', { detail: 'Provide text and lang.' })
  const outcome = await translateItems([{ text, lang }], query.namespace ?? '', context(user, deps, req))
  return { status: 200, body: outcome.results[0], headers: providerHeaders(outcome) }
}

export const translateBatch: Handler<'translateBatch'> = async ({ body, user, deps, req }) => {
  const items = body?.items
  if (!Array.isArray(items) || items.length === 0) throw new ApiError('bad_request', { detail: 'Provide items: [{text, lang}].' })
  checkLimits(items)
  const outcome = await translateItems(items, body?.namespace ?? '', context(user, deps, req))
  return { status: 200, body: { results: outcome.results }, headers: providerHeaders(outcome) }
}

// DECISIONS 19: the frontend's POST /i18n/translate/ {texts, lang} is a batch with one language.
export const translateTexts: Handler<'translateTexts'> = async ({ body, user, deps, req }) => {
  const texts = body?.texts
  if (!Array.isArray(texts) || texts.length === 0 || !normalizeLang(body?.lang)) {
    throw new ApiError('bad_request', { detail: 'Provide texts: [..] and lang.' })
  }
  const items: TranslationRequestItem[] = texts.map(text => ({ text, lang: body?.lang }))
  checkLimits(items)
  const outcome = await translateItems(items, body?.namespace ?? '', context(user, deps, req))
  return { status: 200, body: { results: outcome.results }, headers: providerHeaders(outcome) }
}

function context(user: User | null, deps: Deps, req: FastifyRequest): TranslateContext {
  return { config: deps.config, knex: deps.knex, log: req.log, callerId: user ? user.id : null, quota: req.server.quota }
}

// A miss with no provider configured says so, rather than looking like a text the provider could not translate.
function providerHeaders(outcome: TranslateOutcome): Record<string, string> | undefined {
  return outcome.noProvider ? { 'x-translation-provider': 'none' } : undefined
}
