// Policies as data: policies/*.yaml -> CASL abilities, SQL scopes for lists, may-I for rows, explain.
// API notes for engine authors: /work/notes/policy-api.md (kept in sync with this file).
import { loadRules } from './load.js'
import { PolicySet } from './policy-set.js'
import { describeModels, type ModelRegistry, type SchemaOptions } from './schema.js'

export { PolicyError, formatProblem, OPERATORS, type LoadedRule, type PolicyProblem, type RolesConfig } from './load.js'
export { PolicySet, interpolate, type AppAbility, type DbOptions, type Explanation, type PolicyUser, type RuleRef, type ScopeOptions } from './policy-set.js'
export { authorizeOperation, checkRoutePolicies } from './guard.js'
export { columnsFromDatabase, describeModels, type ModelInfo, type ModelRegistry, type RelationInfo, type Schema } from './schema.js'

export interface LoadOptions extends SchemaOptions {
  /** How file names appear in messages (default: the directory relative to the working directory). */
  displayDir?: string
}

/** Loads and validates `dir` (e.g. 'policies') against the models. Throws PolicyError naming file, line and rule. */
export function loadPolicies(dir: string, models: ModelRegistry | object, options: LoadOptions = {}): PolicySet {
  const schema = describeModels(models as ModelRegistry, options)
  const { rules, roles } = loadRules(dir, schema, options.displayDir)
  return new PolicySet(rules, roles, schema)
}
