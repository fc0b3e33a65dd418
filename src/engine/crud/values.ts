// Checks of single input values, with DRF's messages (resources.md §1.4).
export function toBool(v: unknown): boolean | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0
  if (typeof v === 'string') return v !== '0' && v !== '' && v.toLowerCase() !== 'false'
  return Boolean(v)
}

/** Code points, as MySQL counts varchar(N) and as DRF's max_length does. */
export function charLength(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

export const MSG = {
  required: 'This field is required.',
  blank: 'This field may not be blank.',
  null: 'This field may not be null.',
  notString: 'Not a valid string.',
  nulChar: 'Null characters are not allowed.',
  badUnicode: 'Invalid unicode: unpaired surrogate characters are not allowed.',
  tooLong: (n: number) => `Ensure this field has no more than ${n} characters.`,
  badUuid: (v: unknown) => `“${String(v)}” is not a valid UUID.`,
  badUuidElement: 'Must be a valid UUID.',
  noObject: (v: unknown) => `Invalid pk "${String(v)}" - object does not exist.`,
  badPkType: (v: unknown) => `Incorrect type. Expected pk value, received ${pyType(v)}.`,
  notAList: (v: unknown) => `Expected a list of items but got type "${pyType(v)}".`,
  notInt: 'A valid integer is required.',
}

export function pyType(v: unknown): string {
  if (v === null) return 'NoneType'
  if (Array.isArray(v)) return 'list'
  switch (typeof v) {
    case 'string': return 'str'
    case 'number': return Number.isInteger(v) ? 'int' : 'float'
    case 'boolean': return 'bool'
    default: return 'dict'
  }
}

/** A text value that SQL can store exactly: no NUL, no unpaired surrogate. Returns a message or null. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return MSG.nulChar
  if (!(s as any).isWellFormed()) return MSG.badUnicode
  return null
}

/** Every string nested anywhere in a value (for the NUL/surrogate check of free-form inputs). */
export function anyTextProblem(v: unknown): string | null {
  if (typeof v === 'string') return textProblem(v)
  if (Array.isArray(v)) { for (const x of v) { const p = anyTextProblem(x); if (p) return p } }
  return null
}
