// Django's sign-up password validators (auth-and-users §3.5), applied wherever a password is set (DECISIONS 8).
import { readFileSync } from 'node:fs'

export const MIN_LENGTH = 8

// A few hundred of the most common passwords, not Django's 20,000 (see the file's header).
const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map(line => line.trim().toLowerCase())
    .filter(line => line !== '' && !line.startsWith('#')),
)

/** Every failing rule's message, in Django's validator order; [] when the password is acceptable. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = []
  // Python's len() counts code points, not UTF-16 units.
  if ([...password].length < MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${MIN_LENGTH} characters.`)
  }
  if (COMMON.has(password.toLowerCase().trim())) problems.push('This password is too common.')
  if (/^\p{Nd}+$/u.test(password)) problems.push('This password is entirely numeric.')
  return problems
}

export function isCommonPassword(password: string): boolean {
  return COMMON.has(password.toLowerCase().trim())
}
