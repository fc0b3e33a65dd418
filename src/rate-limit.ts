// Request limits declared by `x-rate-limit: {limit, key}` in openapi.yaml, with the numbers from config (RATE_LIMIT_*).
//
// `limit` names a configured limit (config.rateLimit.limits); `key` lists where the counter's key comes from, first
// non-empty wins: `body.<field>`, `query.<field>` or `user` (the signed-in caller). Without a value the client
// address is the key (req.ip: X-Forwarded-For counts only with TRUST_PROXY). A key the caller chooses freely (an
// e-mail in the body) lets one address try many accounts, so such routes also get the `perAddress` ceiling.
// Counters live in this process, or in Redis when RATE_LIMIT_REDIS_URL is set (shared by every instance).
import { createHash } from 'node:crypto'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { Redis } from 'ioredis'
import type { Config, Rate, RateLimitName } from './config.js'
import { ApiError } from './engine/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Budgets counted in units other than requests (characters sent to the translation provider). */
    quota: Quota
  }
}

export interface Quota {
  /** Takes `amount` from the key's budget for this window; false (nothing taken) when it would go over. */
  consume(name: RateLimitName, key: string, amount: number): Promise<boolean>
}

export interface RateLimitDeclaration {
  limit: RateLimitName
  key?: string[]
}

const NAMESPACE = 'enlaight-rl:'
const REDIS_CONNECT_MS = 2000
// Local counters kept per route; an LRU this size is not flushed by a burst of made-up e-mails.
const LOCAL_CACHE_ENTRIES = 50_000

export async function registerRateLimits(app: FastifyInstance, config: Config): Promise<void> {
  const { enabled, redisUrl, limits } = config.rateLimit
  if (!enabled) {
    // RATE_LIMIT=off: a trusted test harness. Declarations stay in the route config and are ignored.
    app.decorate('quota', { consume: async () => true } satisfies Quota)
    return
  }
  const redis = redisUrl ? await connectRedis(app, redisUrl) : null
  app.decorate('quota', redis ? redisQuota(redis, limits) : localQuota(limits))

  // Runs before the plugin's own onRoute hook (registered below), turning a declaration into plugin options.
  app.addHook('onRoute', route => {
    const declared = route.config?.rateLimit as unknown
    if (!isDeclaration(declared)) return
    const rate = limits[declared.limit]
    if (!rate) throw new Error(`x-rate-limit of ${route.url}: unknown limit "${declared.limit}"`)
    const sources = declared.key ?? []
    route.config = {
      ...route.config,
      rateLimit: { max: rate.max, timeWindow: rate.windowMs, keyGenerator: req => keyFor(req, sources) },
    }
    if (sources.some(s => s.startsWith('body.') || s.startsWith('query.'))) {
      addPreHandler(route, addressCeiling(app, limits.perAddress, route))
    }
  })

  await app.register(rateLimit, {
    global: false,
    // After authentication and body parsing: keys may come from the body or the signed-in user.
    hook: 'preHandler',
    cache: LOCAL_CACHE_ENTRIES,
    ...(redis ? { redis, nameSpace: NAMESPACE } : {}),
    // A Redis outage must not take logins down with it: count nothing rather than refuse everyone.
    skipOnError: true,
    errorResponseBuilder: (_req, context) => throttled(context.ttl),
  })
}

function isDeclaration(value: unknown): value is RateLimitDeclaration {
  return typeof value === 'object' && value !== null && typeof (value as RateLimitDeclaration).limit === 'string'
}

/** DRF's throttling answer: 429 {"detail": "... Expected available in N seconds."} with Retry-After. */
function throttled(ttlMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000))
  return new ApiError('rate_limited', {
    detail: `Request was throttled. Expected available in ${seconds} seconds.`,
    headers: { 'retry-after': String(seconds) },
  })
}

export function addressOf(req: FastifyRequest): string {
  return normalizeIP(req.ip)
}

function keyFor(req: FastifyRequest, sources: string[]): string {
  for (const source of sources) {
    const value = sourceValue(req, source)
    // Hashed: counters (in Redis too) never hold e-mail addresses in clear.
    if (value) return `acct:${createHash('sha256').update(`${source}\0${value}`).digest('hex').slice(0, 32)}`
  }
  return `addr:${addressOf(req)}`
}

function sourceValue(req: FastifyRequest, source: string): string | null {
  if (source === 'user') return req.user ? req.user.id : null
  const [where, field] = source.split('.', 2)
  const container = where === 'body' ? req.body : where === 'query' ? req.query : undefined
  const value = (container as Record<string, unknown> | undefined)?.[field]
  if (typeof value !== 'string') return null
  // Spellings of one account count together (logins match e-mails and usernames case-insensitively).
  return value.trim().toLowerCase() || null
}

function addressCeiling(app: FastifyInstance, rate: Rate, route: RouteOptions) {
  const routeName = `${route.method}:${route.url}`
  let check: ReturnType<FastifyInstance['createRateLimit']> | undefined
  return async (req: FastifyRequest) => {
    // createRateLimit exists once the plugin is registered, which happens before any route is added.
    check ??= app.createRateLimit({ max: rate.max, timeWindow: rate.windowMs, keyGenerator: r => `ceiling:${routeName}:${addressOf(r)}` })
    const result = await check(req).catch(err => {
      req.log.warn({ err: { code: (err as { code?: string }).code } }, 'rate limit store unavailable')
      return null
    })
    if (result && !result.isAllowed && result.isExceeded) throw throttled(result.ttl)
  }
}

type PreHandler = (req: FastifyRequest) => Promise<void>

function addPreHandler(route: RouteOptions, hook: PreHandler) {
  const existing = route.preHandler
  route.preHandler = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), hook] as RouteOptions['preHandler']
}

async function connectRedis(app: FastifyInstance, url: string): Promise<Redis> {
  // No offline queue and one retry: while Redis is away a request fails fast and is let through (skipOnError).
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: REDIS_CONNECT_MS })
  let reported = false
  redis.on('error', err => {
    // The code only: the message names the Redis host.
    if (!reported) app.log.warn({ err: { code: (err as { code?: string }).code } }, 'rate limit store (Redis) unavailable')
    reported = true
  })
  redis.on('ready', () => { reported = false })
  app.addHook('onClose', async () => { redis.disconnect() })
  // Wait for the connection, so the first requests are counted too; a Redis that is down does not block start-up.
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    new Promise(resolve => redis.once('ready', resolve)),
    new Promise(resolve => { timer = setTimeout(resolve, REDIS_CONNECT_MS) }),
  ])
  clearTimeout(timer)
  return redis
}

// Fixed windows: the first unit taken opens a window of the limit's length.
function localQuota(limits: Record<RateLimitName, Rate>): Quota {
  const windows = new Map<string, { used: number, resetAt: number }>()
  return {
    async consume(name, key, amount) {
      const { max, windowMs } = limits[name]
      const now = Date.now()
      const id = `${name}:${key}`
      let entry = windows.get(id)
      if (!entry || entry.resetAt <= now) {
        if (windows.size >= LOCAL_CACHE_ENTRIES) pruneExpired(windows, now)
        entry = { used: 0, resetAt: now + windowMs }
        windows.set(id, entry)
      }
      if (entry.used + amount > max) return false
      entry.used += amount
      return true
    },
  }
}

function pruneExpired(windows: Map<string, { resetAt: number }>, now: number) {
  for (const [id, entry] of windows) if (entry.resetAt <= now) windows.delete(id)
  // Still full of live windows: drop the oldest rather than grow without bound.
  for (const id of windows.keys()) {
    if (windows.size < LOCAL_CACHE_ENTRIES) break
    windows.delete(id)
  }
}

const CONSUME_LUA = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if used + amount > tonumber(ARGV[2]) then return 0 end
if redis.call('INCRBY', KEYS[1], amount) == amount then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`

function redisQuota(redis: Redis, limits: Record<RateLimitName, Rate>): Quota {
  const local = localQuota(limits)
  return {
    async consume(name, key, amount) {
      const { max, windowMs } = limits[name]
      try {
        const ok = await redis.eval(CONSUME_LUA, 1, `${NAMESPACE}quota:${name}:${key}`, amount, max, windowMs)
        return ok === 1
      } catch {
        // Redis away: this process's own counters still bound the spend.
        return local.consume(name, key, amount)
      }
    },
  }
}
