// The x-crud vocabulary: a TypeBox schema that every x-crud block of openapi.yaml must satisfy at start-up.
//
// An operation with `x-crud` is served by the CRUD engine from this declaration, its `x-policy`
// ({action, subject}) and the model's metadata (table, columns, relations). Keys (all optional unless
// marked; the README section "x-crud" in /work/notes/x-crud.md has examples):
//
//   model*      Model name in the registry (src/models/index.ts), or a new one defined by `table`.
//   action*     list | retrieve | create | update | delete | bulk-delete | attach | detach | list-related
//   table       Define a model generically: its table; its columns are the properties of the component schema
//   schema      `schema` (default: the model's name), format uuid/date-time/date, boolean, integer, maxLength;
//   columns     `columns` overrides: {col: uuid|datetime|date|boolean|int|string|{maxLength}}; `relations`
//   relations   {name: {model, from, to?, through?: {table, from, to}, many?}}; `timestamps` base|created|none.
//   timestamps  One x-crud block per model carries these; the others just name the model.
//   status      Success status (defaults: list/retrieve/update/attach/detach/bulk-delete 200, create 201, delete 204).
//
//   Row lookup (every action on one row, and list-related):
//   lookup      {param: id, column: <pk>, type: uuid|int|string, malformed: {status, detail}}. A malformed id
//               answers 404 "Not found." unless `malformed` says otherwise.
//   notFound    `detail` of the 404 for a missing or invisible row (default "Not found.").
//
//   Lists (list, list-related):
//   page        {size: 10, max: 100}: DRF page envelope {count, next, previous, results}; absent = bare array.
//   limit       At most N rows (bare array), e.g. the newest 6.
//   search      Fields matched by `?search=` (each term must be in one of them, case-insensitively);
//               dotted paths follow relations (`client.name`).
//   ordering    Fields the client may order by with `?ordering=a,-b`: a list of paths, or {param: path}.
//   order       Default order, e.g. [name] or [-created_at]; the primary key is always the last tie-breaker.
//   filters     {queryParam: path | {path, type: string|uuid|int, match: exact|iexact}}; empty value = no filter.
//   where       Extra conditions for the policy scope (policy syntax, `${user.id}` placeholders), ANDed.
//   onDenied    {status, body}: the answer when the caller has no rule at all for the action (e.g. `[]`).
//
//   Output:
//   output      List of fields. A string is a column or a dotted to-one path (`client.name`), printed under
//               its own name; `{key: value}` renames. A value is a path, or {path, format, fallback}, or
//               {const}, or a nested relation {relation, output, order, scope: <policy action>, where}.
//               Ids (uuid columns) print hyphenated, datetimes in the API format, booleans as booleans.
//               Formats: utc0000 first-word other-words email-local media-path string. A list inside the
//               list is spliced in, so `output: [*BotOut, {chat_sessions: ...}]` extends a YAML anchor.
//
//   Writes (create, update):
//   required    {fields, detail}: each field must be present and non-empty, else 400 {"detail": detail}.
//   input       {bodyField: {column, trim, blank, nullable, default, ref, refBy, refError, relation}}:
//               writable fields in validation order. `ref: Model` = a uuid that must name a row the caller
//               may read (else 400 field map "Invalid pk" or `refError`); `refBy` finds that row by other
//               columns instead of its id; `relation` = a to-many relation whose link set the array replaces.
//   set         {column: value}: server-side values, e.g. {user_id: '${user.id}'}.
//   unique      [{fields, ignoreCase, error: {detail} | {field, message} | {body}, existing: <status>}]:
//               checked before writing (and mapped from the DB's unique errors); `existing` answers the
//               stored row with that status instead of an error (get-or-create).
//   conflicts   [{when: bodyField, exists: {relation, where}, detail}]: 409 when related rows exist (and,
//               with `when`, the field changes).
//   deletePlan  Name of a delete plan (src/db/delete-plans.ts); default: the model's own plan, or a plain delete.
//   cascade     Relations emptied first, in the same transaction, for models without a plan: many-to-many
//               links are removed, has-many rows deleted.
//
//   Relation actions (attach, detach, list-related):
//   relation    To-many relation of the model (attach/detach: many-to-many).
//   ids         {one: bot_id, many: bot_ids}: body keys merged, de-duplicated, non-empty.
//   accept      Conditions a target must meet to be attached (else listed under `rejected`).
//   rejected    Result key for the refused targets, e.g. rejected_cross_client.
//
//   bulk-delete:
//   match       {column: value | {value, type: uuid|int|string}}: the rows to delete (within the policy scope).
//   ifNone      {status, detail} when nothing matches (default: success anyway).
//   success     {status, body}.
//
// Values written as '${body.x}', '${params.x}', '${query.x}', '${user.x}', '${row.x}' are read from the
// request, the caller or the current row; anything else is a literal.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Str = Type.String({ minLength: 1 })
const StrList = Type.Array(Str)
const Status = Type.Integer({ minimum: 200, maximum: 599 })
const Conditions = Type.Record(Type.String(), Type.Unknown())

const Format = Type.Union([
  Type.Literal('utc0000'), Type.Literal('first-word'), Type.Literal('other-words'),
  Type.Literal('email-local'), Type.Literal('media-path'), Type.Literal('string'),
])

const OutputValue = Type.Recursive(This => Type.Union([
  Str,
  Type.Object({ const: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({
    path: Str,
    format: Type.Optional(Format),
    fallback: Type.Optional(This),
  }, { additionalProperties: false }),
  Type.Object({
    relation: Str,
    output: Type.Array(Type.Union([Str, Type.Record(Str, This)])),
    order: Type.Optional(StrList),
    scope: Type.Optional(Str),
    where: Type.Optional(Conditions),
  }, { additionalProperties: false }),
]), { $id: 'OutputValue' })

const OneField = Type.Union([Str, Type.Record(Str, OutputValue, { minProperties: 1, maxProperties: 1 })])
/** A list inside `output` is spliced in: `output: [*BotOut, {chat_sessions: ...}]` reuses a YAML anchor. */
const OutputField = Type.Union([OneField, Type.Array(OneField)])

const ColumnType = Type.Union([
  Type.Literal('uuid'), Type.Literal('datetime'), Type.Literal('date'), Type.Literal('boolean'),
  Type.Literal('int'), Type.Literal('string'),
  Type.Object({ maxLength: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
])

const RelationDef = Type.Object({
  model: Str,
  from: Str,
  to: Type.Optional(Str),
  many: Type.Optional(Type.Boolean()),
  through: Type.Optional(Type.Object({ table: Str, from: Str, to: Str }, { additionalProperties: false })),
}, { additionalProperties: false })

const ErrorAnswer = Type.Object({
  status: Type.Optional(Status),
  detail: Type.Optional(Type.String()),
  field: Type.Optional(Str),
  message: Type.Optional(Type.String()),
  body: Type.Optional(Type.Unknown()),
}, { additionalProperties: false })

const InputField = Type.Object({
  column: Type.Optional(Str),
  trim: Type.Optional(Type.Boolean()),
  blank: Type.Optional(Type.Boolean()),
  nullable: Type.Optional(Type.Boolean()),
  default: Type.Optional(Type.Unknown()),
  ref: Type.Optional(Str),
  refBy: Type.Optional(Conditions),
  refError: Type.Optional(ErrorAnswer),
  relation: Type.Optional(Str),
}, { additionalProperties: false })

const MatchValue = Type.Union([
  Type.String(),
  Type.Number(),
  Type.Object({ value: Type.Unknown(), type: Type.Union([Type.Literal('uuid'), Type.Literal('int'), Type.Literal('string')]) }, { additionalProperties: false }),
])

export const ACTIONS = ['list', 'retrieve', 'create', 'update', 'delete', 'bulk-delete', 'attach', 'detach', 'list-related'] as const

export const CrudDeclarationSchema = Type.Object({
  model: Str,
  action: Type.Union(ACTIONS.map(a => Type.Literal(a))),
  table: Type.Optional(Str),
  schema: Type.Optional(Str),
  columns: Type.Optional(Type.Record(Str, ColumnType)),
  relations: Type.Optional(Type.Record(Str, RelationDef)),
  timestamps: Type.Optional(Type.Union([Type.Literal('base'), Type.Literal('created'), Type.Literal('none')])),
  status: Type.Optional(Status),

  lookup: Type.Optional(Type.Object({
    param: Type.Optional(Str),
    column: Type.Optional(Str),
    type: Type.Optional(Type.Union([Type.Literal('uuid'), Type.Literal('int'), Type.Literal('string')])),
    malformed: Type.Optional(ErrorAnswer),
  }, { additionalProperties: false })),
  notFound: Type.Optional(Type.String()),

  page: Type.Optional(Type.Object({
    size: Type.Integer({ minimum: 1 }),
    max: Type.Integer({ minimum: 1 }),
  }, { additionalProperties: false })),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  search: Type.Optional(StrList),
  ordering: Type.Optional(Type.Union([StrList, Type.Record(Str, Str)])),
  order: Type.Optional(StrList),
  filters: Type.Optional(Type.Record(Str, Type.Union([Str, Type.Object({
    path: Str,
    type: Type.Optional(Type.Union([Type.Literal('string'), Type.Literal('uuid'), Type.Literal('int')])),
    match: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('iexact')])),
  }, { additionalProperties: false })]))),
  where: Type.Optional(Conditions),
  onDenied: Type.Optional(Type.Object({ status: Status, body: Type.Unknown() }, { additionalProperties: false })),

  output: Type.Optional(Type.Array(OutputField)),

  required: Type.Optional(Type.Object({ fields: StrList, detail: Type.String() }, { additionalProperties: false })),
  input: Type.Optional(Type.Record(Str, InputField)),
  set: Type.Optional(Type.Record(Str, Type.Unknown())),
  unique: Type.Optional(Type.Array(Type.Object({
    fields: StrList,
    ignoreCase: Type.Optional(Type.Boolean()),
    error: Type.Optional(ErrorAnswer),
    existing: Type.Optional(Status),
  }, { additionalProperties: false }))),
  conflicts: Type.Optional(Type.Array(Type.Object({
    when: Type.Optional(Str),
    exists: Type.Object({ relation: Str, where: Type.Optional(Conditions) }, { additionalProperties: false }),
    detail: Type.String(),
  }, { additionalProperties: false }))),
  deletePlan: Type.Optional(Str),
  cascade: Type.Optional(StrList),

  relation: Type.Optional(Str),
  ids: Type.Optional(Type.Object({ one: Str, many: Str }, { additionalProperties: false })),
  accept: Type.Optional(Conditions),
  rejected: Type.Optional(Str),

  match: Type.Optional(Type.Record(Str, MatchValue)),
  ifNone: Type.Optional(ErrorAnswer),
  success: Type.Optional(Type.Object({ status: Type.Optional(Status), body: Type.Unknown() }, { additionalProperties: false })),
}, { additionalProperties: false })

export type CrudDeclaration = Static<typeof CrudDeclarationSchema>
export type OutputFieldDecl = Static<typeof OutputField>
export type OutputValueDecl = Static<typeof OutputValue>
export type InputFieldDecl = Static<typeof InputField>
export type ErrorAnswerDecl = Static<typeof ErrorAnswer>
export type RelationDecl = Static<typeof RelationDef>
export type ColumnTypeDecl = Static<typeof ColumnType>

/** Which keys make sense for which action: a key outside its action is a mistake, not a no-op. */
const KEYS_BY_ACTION: Record<(typeof ACTIONS)[number], string[]> = {
  list: ['page', 'limit', 'search', 'ordering', 'order', 'filters', 'where', 'onDenied', 'output'],
  retrieve: ['lookup', 'notFound', 'output'],
  create: ['output', 'required', 'input', 'set', 'unique'],
  update: ['lookup', 'notFound', 'output', 'required', 'input', 'set', 'unique', 'conflicts'],
  delete: ['lookup', 'notFound', 'conflicts', 'deletePlan', 'cascade'],
  'bulk-delete': ['required', 'match', 'ifNone', 'success', 'deletePlan', 'cascade'],
  attach: ['lookup', 'notFound', 'relation', 'ids', 'accept', 'rejected'],
  detach: ['lookup', 'notFound', 'relation', 'ids'],
  'list-related': ['lookup', 'notFound', 'relation', 'order', 'output', 'search', 'ordering', 'filters', 'limit', 'page'],
}
const COMMON_KEYS = ['model', 'action', 'table', 'schema', 'columns', 'relations', 'timestamps', 'status']

export class DeclarationError extends Error {
  constructor(where: string, problems: string[]) {
    super(`Invalid x-crud of ${where}:\n${problems.map(p => `  - ${p}`).join('\n')}`)
    this.name = 'DeclarationError'
  }
}

/** Checks the shape of one x-crud block (not its meaning against the models: see compile.ts). */
export function parseDeclaration(raw: unknown, where: string): CrudDeclaration {
  const problems = [...Value.Errors(CrudDeclarationSchema as TSchema, raw)].map(e => `${e.path || '/'}: ${e.message}`)
  if (problems.length) throw new DeclarationError(where, dedupe(problems).slice(0, 12))
  const decl = raw as CrudDeclaration
  const allowed = new Set([...COMMON_KEYS, ...KEYS_BY_ACTION[decl.action]])
  const misplaced = Object.keys(decl).filter(k => !allowed.has(k))
  if (misplaced.length) {
    throw new DeclarationError(where, misplaced.map(k => `/${k}: not used by action "${decl.action}" (allowed: ${[...allowed].join(', ')})`))
  }
  return decl
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)]
}
