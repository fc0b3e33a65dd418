// E-mail syntax (Django's EmailValidator) and the normalisation Django applies when it creates a user.
import { domainToASCII } from 'node:url'

const USER_RE = /^(?:[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i
const DOMAIN_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9-]{2,63})$/i
const LITERAL_RE = /^\[([a-f0-9:.]+)\]$/i
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

/** Django 5.2 EmailValidator: at most 320 characters, a dot-atom or quoted local part, a DNS (or IDN) domain, or [IP]. */
export function isValidEmail(value: string): boolean {
  if (!value || !value.includes('@') || value.length > 320) return false
  const at = value.lastIndexOf('@')
  const user = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (!USER_RE.test(user)) return false
  if (domain === 'localhost') return true
  if (isValidDomain(domain)) return true
  const literal = LITERAL_RE.exec(domain)
  return literal !== null && (IPV4_RE.test(literal[1]) || isIpv6(literal[1]))
}

function isValidDomain(domain: string): boolean {
  const ok = (d: string) => DOMAIN_RE.test(d) && !d.endsWith('-')
  if (ok(domain)) return true
  // Internationalised domains are checked in their punycode form, as Django does.
  if (/^[\x00-\x7f]*$/.test(domain)) return false
  const ascii = domainToASCII(domain)
  return ascii !== '' && ok(ascii)
}

function isIpv6(s: string): boolean {
  if (!s.includes(':')) return false
  try {
    return new URL(`http://[${s}]/`).hostname !== ''
  } catch {
    return false
  }
}

/** Django's BaseUserManager.normalize_email: the domain part lower-cased, the local part untouched. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 0) return email
  return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`
}
