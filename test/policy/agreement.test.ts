// can() in memory, canOnRow, canWith and the SQL list scope give the same answer for every row,
// every persona, every subject and action: with the real policies/ and with a fixture set that
// uses every supported operator (negations through relations, nulls, $elemMatch, inverted rules).
import { subject as asSubject } from '@casl/ability'
import t, { type Test } from 'tap'
import { loadPolicies, type PolicySet } from '../../src/engine/policy/index.js'
import { createTestDatabase } from '../helpers/database.js'
import { ACTIONS, PERSONAS, SUBJECTS, seedWorld, type World } from './world.js'

const db = await createTestDatabase()
t.teardown(() => db.destroy())
const world = await seedWorld(db.knex)

async function checkAgreement(t: Test, policies: PolicySet, world: World, actions: readonly string[], subjects: readonly string[]) {
  let compared = 0
  let allowed = 0
  for (const persona of [...PERSONAS, null]) {
    const user = persona ? world.users[persona] : null
    const who = persona ?? 'anonymous'
    const ability = policies.abilityFor(user)
    for (const subject of subjects) {
      const info = policies.model(subject)
      const Model = (world.models as any)[subject]
      for (const action of actions) {
        const listed = new Set((await policies.scope(Model.query(), user, action, subject).select(`${info.table}.${info.idColumn}`)).map((r: any) => r[info.idColumn]))
        const rows = await Model.query().withGraphFetched(policies.relationsFor(action, subject))
        const mismatches: string[] = []
        for (const row of rows) {
          const id = row[info.idColumn]
          const inList = listed.has(id)
          const inMemory = ability.can(action, asSubject(subject, row))
          const onRow = await policies.canOnRow(user, action, subject, id)
          const values = Object.fromEntries(info.columns.map((c) => [c, row[c] ?? null]))
          const withValues = await policies.canWith(user, action, subject, values)
          if (inMemory !== inList || onRow !== inList || withValues !== inList) {
            mismatches.push(`${id}: list=${inList} can=${inMemory} canOnRow=${onRow} canWith=${withValues}`)
          }
          compared++
          if (inList) allowed++
        }
        t.same(mismatches, [], `${who} ${action} ${subject}: can() = canOnRow = canWith = list (${listed.size}/${rows.length})`)
      }
    }
  }
  t.ok(allowed > 0 && allowed < compared, `both answers occur (${allowed} allowed of ${compared} row checks)`)
}

t.test('the real policies: every check agrees with the list scope row by row', async (t) => {
  const policies = loadPolicies('policies', world.models)
  await checkAgreement(t, policies, world, ACTIONS, SUBJECTS)
})

t.test('fixture policies with every operator: every check agrees with the list scope row by row', async (t) => {
  const policies = loadPolicies('test/policy/fixtures/operators', world.models)
  const actions = [...new Set(policies.rules.flatMap((r) => r.action))]
  const subjects = [...new Set(policies.rules.flatMap((r) => r.subject))]
  t.ok(actions.length >= 3 && subjects.length >= 8, `fixture covers ${actions.join(', ')} on ${subjects.join(', ')}`)
  await checkAgreement(t, policies, world, actions, subjects)
})
