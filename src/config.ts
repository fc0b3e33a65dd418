// Configuration from the environment, validated once at start-up; every error names its variable.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Port = Type.String({ pattern: '^[0-9]{1,5}$' })
const Url = Type.String({ pattern: '^https?://[^\\s]+$' })
const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })
const Flag = Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('true'), Type.Literal('false')])
const Millis = Type.String({ pattern: '^[1-9][0-9]{0,6}$' })
// '<max>/<window>': 20/15m = 20 per 15 minutes (s, m, h, d).
const Rate = Type.String({ pattern: '^[0-9]{1,9}/[1-9][0-9]{0,5}[smhd]$' })

// The environment as it may be given: all optional strings with their accepted shapes.
const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  PORT: Type.Optional(Port),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(sqlite:.+|mysql://.+)$' })),
  SECRET_KEY: Type.Optional(Type.String({ minLength: 16 })),
  JWT_SIGNING_KEY: Type.Optional(Type.String({ minLength: 16 })),
  ADMIN_EMAIL: Type.Optional(Email),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)))),
  MEDIA_ROOT: Type.Optional(Type.String({ minLength: 1 })),
  N8N_BASE_URL: Type.Optional(Type.Union([Url, Type.Literal('')])),
  N8N_KB_KEY: Type.Optional(Type.String()),
  N8N_KB_CREATE_KEY: Type.Optional(Type.String()),
  SMTP_HOST: Type.Optional(Type.String()),
  SMTP_PORT: Type.Optional(Port),
  SMTP_USER: Type.Optional(Type.String()),
  SMTP_PASSWORD: Type.Optional(Type.String()),
  SMTP_SECURE: Type.Optional(Flag),
  MAIL_FROM: Type.Optional(Type.String()),
  FRONTEND_URL: Type.Optional(Url),
  SUPERSET_BASE_URL: Type.Optional(Type.Union([Url, Type.Literal('')])),
  SUPERSET_USERNAME: Type.Optional(Type.String()),
  SUPERSET_PASSWORD: Type.Optional(Type.String()),
  SUPERSET_TIMEOUT_MS: Type.Optional(Millis),
  TRANSLATION_PROVIDER: Type.Optional(Type.Union([Type.Literal('aws'), Type.Literal('none')])),
  TRANSLATION_TIMEOUT_MS: Type.Optional(Millis),
  I18N_AUTOSAVE: Type.Optional(Flag),
  AWS_REGION: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,32}$' })),
  AWS_ACCESS_KEY_ID: Type.Optional(Type.String()),
  AWS_SECRET_ACCESS_KEY: Type.Optional(Type.String()),
  AWS_SESSION_TOKEN: Type.Optional(Type.String()),
  AWS_ACCESS_KEY: Type.Optional(Type.String()),
  AWS_ACCESS_SECRET: Type.Optional(Type.String()),
  AWS_ENDPOINT_URL_TRANSLATE: Type.Optional(Type.Union([Url, Type.Literal('')])),
  ENABLE_DEBUG_ENDPOINTS: Type.Optional(Flag),
  RATE_LIMIT: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off')])),
  RATE_LIMIT_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://.+' })),
  RATE_LIMIT_LOGIN: Type.Optional(Rate),
  RATE_LIMIT_REGISTER: Type.Optional(Rate),
  RATE_LIMIT_FORGOT: Type.Optional(Rate),
  RATE_LIMIT_RESET: Type.Optional(Rate),
  RATE_LIMIT_CONFIRM: Type.Optional(Rate),
  RATE_LIMIT_INVITE: Type.Optional(Rate),
  RATE_LIMIT_TRANSLATE: Type.Optional(Rate),
  RATE_LIMIT_TRANSLATE_CHARS: Type.Optional(Rate),
  RATE_LIMIT_PER_ADDRESS: Type.Optional(Rate),
  TRUST_PROXY: Type.Optional(Flag),
})
type Env = Static<typeof EnvSchema>

export interface Config {
  isProduction: boolean
  port: number
  host: string
  databaseUrl: string
  secretKey: string
  /** auth-and-users §2.1: JWTs are signed with JWT_SIGNING_KEY when set, else SECRET_KEY. */
  jwtSigningKey: string | null
  admin: { email: string, password: string } | null
  corsOrigins: string[] | '*'
  logLevel: string
  mediaRoot: string
  n8n: { baseUrl: string, kbKey: string, kbCreateKey: string }
  smtp: { host: string, port: number, user: string, password: string, secure: boolean, from: string }
  frontendUrl: string
  superset: { baseUrl: string, username: string, password: string, timeoutMs: number }
  translation: {
    provider: 'aws' | 'none'
    autosave: boolean
    timeoutMs: number
    aws: { region: string, endpoint: string | null, credentials: AwsCredentials | null }
  }
  debugEndpoints: boolean
  rateLimit: { enabled: boolean, redisUrl: string | null, limits: Record<RateLimitName, Rate> }
  trustProxy: boolean
}

export interface AwsCredentials { accessKeyId: string, secretAccessKey: string, sessionToken?: string }
export interface Rate { max: number, windowMs: number }

/**
 * Named limits (RATE_LIMIT_<NAME>): requests per window, keyed as x-rate-limit declares; perAddress caps one
 * client address on routes keyed by a caller-chosen account; translateChars is characters sent to the provider.
 */
export const RATE_LIMIT_DEFAULTS = {
  login: '20/15m',
  register: '50/1h',
  forgot: '5/1h',
  reset: '10/1h',
  confirm: '100/1h',
  invite: '100/1h',
  translate: '120/1m',
  translateChars: '200000/1h',
  perAddress: '600/15m',
} as const
export type RateLimitName = keyof typeof RATE_LIMIT_DEFAULTS

export class ConfigError extends Error {}

const DEFAULT_DATABASE_URL = 'sqlite:./data/enlaight.sqlite3'
const GENERATED_SECRET_FILE = './data/secret_key'

const isOn = (flag: string | undefined) => flag === '1' || flag === 'true'

export function loadConfig(raw: NodeJS.ProcessEnv = process.env, notice: (msg: string) => void = console.warn): Config {
  const env = pickKnown(raw)
  const problems = [...Value.Errors(EnvSchema, env)].map(e => `${e.path.slice(1)}: ${e.message}`)
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`)

  const isProduction = env.NODE_ENV === 'production'
  if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  }
  const debugEndpoints = isOn(env.ENABLE_DEBUG_ENDPOINTS)
  if (debugEndpoints && isProduction) {
    throw new ConfigError('Invalid configuration: ENABLE_DEBUG_ENDPOINTS cannot be on with NODE_ENV=production')
  }
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY)) {
    throw new ConfigError('Invalid configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together')
  }
  const awsCredentials = awsCredentialsOf(env)
  return {
    isProduction,
    port: Number(env.PORT ?? 8000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    secretKey: env.SECRET_KEY ?? developmentSecret(isProduction, notice),
    jwtSigningKey: env.JWT_SIGNING_KEY ?? null,
    admin: env.ADMIN_EMAIL && env.ADMIN_PASSWORD ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } : null,
    corsOrigins: parseOrigins(env.CORS_ORIGINS),
    logLevel: env.LOG_LEVEL ?? 'info',
    mediaRoot: env.MEDIA_ROOT ?? './data/media',
    n8n: {
      baseUrl: (env.N8N_BASE_URL ?? '').replace(/\/+$/, ''),
      kbKey: env.N8N_KB_KEY ?? '',
      kbCreateKey: env.N8N_KB_CREATE_KEY || env.N8N_KB_KEY || '',
    },
    smtp: {
      host: env.SMTP_HOST ?? '',
      port: Number(env.SMTP_PORT ?? 587),
      user: env.SMTP_USER ?? '',
      password: env.SMTP_PASSWORD ?? '',
      secure: isOn(env.SMTP_SECURE),
      from: env.MAIL_FROM ?? 'Enlaight <no-reply@localhost>',
    },
    frontendUrl: (env.FRONTEND_URL ?? 'https://platform-v2.enlaight.ai').replace(/\/+$/, ''),
    superset: {
      baseUrl: (env.SUPERSET_BASE_URL ?? '').replace(/\/+$/, ''),
      username: env.SUPERSET_USERNAME ?? '',
      password: env.SUPERSET_PASSWORD ?? '',
      timeoutMs: Number(env.SUPERSET_TIMEOUT_MS ?? 10_000),
    },
    translation: {
      // Unset: AWS when credentials are configured, else none (misses are answered "not found").
      provider: env.TRANSLATION_PROVIDER ?? (awsCredentials ? 'aws' : 'none'),
      autosave: env.I18N_AUTOSAVE === undefined || isOn(env.I18N_AUTOSAVE),
      timeoutMs: Number(env.TRANSLATION_TIMEOUT_MS ?? 10_000),
      aws: {
        region: env.AWS_REGION ?? 'eu-central-1',
        endpoint: (env.AWS_ENDPOINT_URL_TRANSLATE ?? '').replace(/\/+$/, '') || null,
        credentials: awsCredentials,
      },
    },
    debugEndpoints,
    rateLimit: {
      enabled: env.RATE_LIMIT !== 'off',
      redisUrl: env.RATE_LIMIT_REDIS_URL ?? null,
      limits: rateLimits(env),
    },
    trustProxy: isOn(env.TRUST_PROXY),
  }
}

function pickKnown(raw: NodeJS.ProcessEnv): Env {
  const env: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = raw[key]
    if (value !== undefined) env[key] = value
  }
  return env as Env
}

// resources §12.4: the standard names first, then the original's AWS_ACCESS_KEY/AWS_ACCESS_SECRET.
function awsCredentialsOf(env: Env): AwsCredentials | null {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
  }
  if (env.AWS_ACCESS_KEY && env.AWS_ACCESS_SECRET) return { accessKeyId: env.AWS_ACCESS_KEY, secretAccessKey: env.AWS_ACCESS_SECRET }
  return null
}

const WINDOW_UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

function rateLimits(env: Env): Record<RateLimitName, Rate> {
  const limits = {} as Record<RateLimitName, Rate>
  for (const [name, fallback] of Object.entries(RATE_LIMIT_DEFAULTS) as [RateLimitName, string][]) {
    const envName = `RATE_LIMIT_${name.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()}` as keyof Env
    const [max, window] = (env[envName] ?? fallback).split('/')
    limits[name] = { max: Number(max), windowMs: Number(window.slice(0, -1)) * WINDOW_UNIT_MS[window.slice(-1) as keyof typeof WINDOW_UNIT_MS] }
  }
  return limits
}

function parseOrigins(value: string | undefined): string[] | '*' {
  if (value === undefined || value.trim() === '' || value.trim() === '*') return '*'
  return value.split(',').map(o => o.trim()).filter(Boolean)
}

// Development convenience: a random key kept in ./data so tokens survive restarts. Production must configure one.
function developmentSecret(isProduction: boolean, notice: (msg: string) => void): string {
  if (isProduction) throw new ConfigError('Invalid configuration: SECRET_KEY is required when NODE_ENV=production')
  if (existsSync(GENERATED_SECRET_FILE)) return readFileSync(GENERATED_SECRET_FILE, 'utf8').trim()
  mkdirSync(dirname(GENERATED_SECRET_FILE), { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(GENERATED_SECRET_FILE, secret, { mode: 0o600 })
  notice(`SECRET_KEY is not set: generated a development key into ${GENERATED_SECRET_FILE}`)
  return secret
}
