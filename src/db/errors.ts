// Database errors -> one classification, the same on MySQL/MariaDB (mysql2, possibly wrapped by
// objection's db-errors) and SQLite (better-sqlite3). Callers map `kind` to an HTTP answer.
import { DJANGO_TABLES, CLIENT_SCOPE_MESSAGE } from './django-schema.js'

export type DbErrorKind =
  | 'unique' // duplicate key (MySQL 1062, SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY)
  | 'foreign_key' // referenced row missing (1452) or row still referenced (1451), SQLITE_CONSTRAINT_FOREIGNKEY
  | 'not_null' // 1048, SQLITE_CONSTRAINT_NOTNULL
  | 'client_scope' // the membership triggers (database.md §4): errno 1644 / SQLSTATE 45000, SQLite RAISE
  | 'too_long' // 1406 data too long (SQLite never raises it; the models check maxLength first)
  | 'invalid_value' // 1366/1292/1264 incorrect value, out of range, bad datetime
  | 'validation' // objection ValidationError (model maxLength / UUID checks), statusCode 400
  | 'deadlock' // 1213 / 1205 lock wait timeout, SQLITE_BUSY: retryable
  | 'unavailable' // connection refused/lost, pool timeout: answer 503

export interface DbErrorInfo {
  kind: DbErrorKind
  /** Columns involved when known (unique key columns, the NOT NULL column, the too-long column). */
  columns?: string[]
  /** Constraint/index name when known. */
  constraint?: string
  /** For foreign_key: 'missing_parent' (insert/update) or 'referenced' (delete/update of a parent). */
  direction?: 'missing_parent' | 'referenced'
  /** For validation: objection's per-field data. */
  data?: unknown
  message: string
}

const INDEX_COLUMNS = new Map<string, string[]>()
for (const t of DJANGO_TABLES) for (const i of t.indexes) INDEX_COLUMNS.set(i.name, i.columns)
INDEX_COLUMNS.set('uq_projects_agents', ['projects_id', 'bots_id'])
INDEX_COLUMNS.set('PRIMARY', ['id'])

interface AnyErr {
  name?: string
  code?: string
  errno?: number
  sqlState?: string
  message?: string
  sqlMessage?: string
  nativeError?: AnyErr
  statusCode?: number
  type?: string
  data?: unknown
}

export function classifyDbError(error: unknown): DbErrorInfo | null {
  if (!error || typeof error !== 'object') return null
  const top = error as AnyErr
  if (top.name === 'ValidationError' && top.statusCode === 400) {
    return { kind: 'validation', data: top.data, columns: top.data && typeof top.data === 'object' ? Object.keys(top.data) : undefined, message: String(top.message) }
  }
  if (top.name === 'KnexTimeoutError') return { kind: 'unavailable', message: String(top.message) }
  const e: AnyErr = top.nativeError ?? top
  const msg = String(e.sqlMessage ?? e.message ?? '')

  // SQLite (better-sqlite3)
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
    const cols = (m: RegExpExecArray | null) => (m ? m[1].split(',').map((s) => s.trim().replace(/^[^.]+\./, '')) : undefined)
    switch (e.code) {
      case 'SQLITE_CONSTRAINT_UNIQUE':
      case 'SQLITE_CONSTRAINT_PRIMARYKEY':
        return { kind: 'unique', columns: cols(/constraint failed: (.+)$/.exec(msg)), message: msg }
      case 'SQLITE_CONSTRAINT_FOREIGNKEY':
        return { kind: 'foreign_key', message: msg }
      case 'SQLITE_CONSTRAINT_NOTNULL':
        return { kind: 'not_null', columns: cols(/constraint failed: (.+)$/.exec(msg)), message: msg }
      case 'SQLITE_CONSTRAINT_TRIGGER':
        if (msg.includes('Cross-client')) return { kind: 'client_scope', message: CLIENT_SCOPE_MESSAGE }
        return { kind: 'invalid_value', message: msg }
      case 'SQLITE_CONSTRAINT_CHECK':
        return { kind: 'invalid_value', message: msg }
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return { kind: 'deadlock', message: msg }
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_IOERR':
        return { kind: 'unavailable', message: msg }
      default:
        return null
    }
  }

  // MySQL / MariaDB (mysql2)
  switch (e.errno) {
    case 1062: {
      const m = /for key '([^']+)'/.exec(msg)
      const key = m ? m[1].replace(/^.*\./, '') : undefined
      return { kind: 'unique', constraint: key, columns: key ? INDEX_COLUMNS.get(key) ?? [key] : undefined, message: msg }
    }
    case 1451:
    case 1452: {
      const m = /CONSTRAINT `([^`]+)` FOREIGN KEY \(`([^`]+)`\)/.exec(msg)
      return {
        kind: 'foreign_key', constraint: m?.[1], columns: m ? [m[2]] : undefined,
        direction: e.errno === 1451 ? 'referenced' : 'missing_parent', message: msg,
      }
    }
    case 1048: {
      const m = /Column '([^']+)'/.exec(msg)
      return { kind: 'not_null', columns: m ? [m[1]] : undefined, message: msg }
    }
    case 1644:
      return { kind: 'client_scope', message: msg || CLIENT_SCOPE_MESSAGE }
    case 1406: {
      const m = /column '([^']+)'/.exec(msg)
      return { kind: 'too_long', columns: m ? [m[1]] : undefined, message: msg }
    }
    case 1366:
    case 1292:
    case 1264:
    case 3819: // check constraint
    case 4025: // MariaDB check constraint
      return { kind: 'invalid_value', message: msg }
    case 1213:
    case 1205:
      return { kind: 'deadlock', message: msg }
    case 2002:
    case 2003:
    case 2006:
    case 2013:
    case 1040:
    case 1045:
    case 1049:
    case 1053:
    case 1927:
      return { kind: 'unavailable', message: msg }
  }
  if (e.sqlState === '45000') return { kind: 'client_scope', message: msg || CLIENT_SCOPE_MESSAGE }
  const code = String(e.code ?? '')
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST',
    'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ENOTFOUND'].includes(code)) {
    return { kind: 'unavailable', message: msg || code }
  }
  if (/Can't add new command when connection is in closed state|connection is in closed state|Connection lost/i.test(msg)) {
    return { kind: 'unavailable', message: msg }
  }
  return null
}
