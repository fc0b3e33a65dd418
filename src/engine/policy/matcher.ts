// CASL's in-memory condition matcher, adjusted to SQL semantics so can() and the SQL scope agree:
// null (or a missing relation) equals only null and is never greater or smaller than anything;
// $exists means "not null" for a column and "at least one row" for a relation.
import { buildMongoQueryMatcher } from '@casl/ability'

/** 0 equal, 1 greater, -1 smaller, 2 incomparable (null against a value, mixed types). */
export function compareValues(a: unknown, b: unknown): 0 | 1 | -1 | 2 {
  if (a === b) return 0
  if (a === null || a === undefined || b === null || b === undefined) return 2
  if (typeof a !== typeof b) return 2
  return (a as any) > (b as any) ? 1 : (a as any) < (b as any) ? -1 : 2
}

function valueAt(object: unknown, path: string): unknown {
  let value: unknown = object
  for (const seg of path.split('.')) {
    if (Array.isArray(value)) value = value.flatMap((v) => (v === null || v === undefined || v[seg] === undefined ? [] : v[seg]))
    else if (value !== null && typeof value === 'object') value = (value as Record<string, unknown>)[seg]
    else return undefined
  }
  return value
}

const exists = (node: { field: string, value: boolean }, object: unknown): boolean => {
  const value = valueAt(object, node.field)
  const present = Array.isArray(value) ? value.some((v) => v !== null && v !== undefined) : value !== null && value !== undefined
  return present === node.value
}

export const conditionsMatcher = buildMongoQueryMatcher({}, { exists } as any, { compare: compareValues as any })
