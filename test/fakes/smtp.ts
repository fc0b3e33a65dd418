// A real SMTP server on 127.0.0.1 (smtp-server) that keeps every message it receives, with a small MIME
// reader (headers, multipart, quoted-printable, base64) and the links found in the text and HTML parts.
import { SMTPServer } from 'smtp-server'

export interface CapturedMail {
  /** Envelope sender and recipients, as the client gave them in MAIL FROM / RCPT TO. */
  envelopeFrom: string
  envelopeTo: string[]
  headers: Record<string, string>
  subject: string
  text: string
  html: string
  /** Every http(s) URL of the text and HTML parts, decoded, in order of appearance, without duplicates. */
  links: string[]
  raw: string
}

export interface SmtpFake {
  host: string
  port: number
  messages: CapturedMail[]
  /** Environment for the app's configuration (SMTP_HOST, SMTP_PORT, SMTP_SECURE, MAIL_FROM). */
  env: Record<string, string>
  /** When set, RCPT TO is refused with 550 (the client's send fails). */
  failDelivery: boolean
  /** Resolves with the first message (already received or arriving later) that satisfies `match`. */
  waitFor(match: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>
  /** Mails sent to `address` (envelope recipient, case-insensitive). */
  to(address: string): CapturedMail[]
  close(): Promise<void>
}

export async function startSmtpFake(): Promise<SmtpFake> {
  const messages: CapturedMail[] = []
  const waiters = new Set<() => void>()
  const fake = {} as SmtpFake
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (fake.failDelivery) {
        const err = new Error('Mailbox unavailable') as Error & { responseCode: number }
        err.responseCode = 550
        return callback(err)
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        messages.push(parseMessage(
          raw,
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          session.envelope.rcptTo.map(r => r.address),
        ))
        for (const wake of [...waiters]) wake()
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as { port: number }).port

  Object.assign(fake, {
    host: '127.0.0.1',
    port,
    messages,
    failDelivery: false,
    env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_SECURE: '0', MAIL_FROM: 'Enlaight <noreply@enlaight.test>' },
    waitFor(match: (mail: CapturedMail) => boolean, timeoutMs = 5000) {
      return new Promise<CapturedMail>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match)
          if (!found) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching mail within ${timeoutMs} ms (received ${messages.length})`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    to(address: string) {
      const wanted = address.toLowerCase()
      return messages.filter(m => m.envelopeTo.some(a => a.toLowerCase() === wanted))
    },
    close() {
      return new Promise<void>(resolve => server.close(() => resolve()))
    },
  })
  return fake
}

// ── A deliberately small MIME reader: enough for what nodemailer produces ──

interface Part { headers: Record<string, string>, body: string }

export function parseMessage(raw: string, envelopeFrom = '', envelopeTo: string[] = []): CapturedMail {
  const top = splitPart(raw)
  let text = ''
  let html = ''
  const visit = (part: Part) => {
    const type = part.headers['content-type'] ?? 'text/plain'
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
    if (/^multipart\//i.test(type) && boundary) {
      for (const child of splitMultipart(part.body, boundary)) visit(splitPart(child))
      return
    }
    const decoded = decodeBody(part.body, part.headers['content-transfer-encoding'] ?? '7bit')
    if (/^text\/html/i.test(type)) html += decoded
    else if (/^text\/plain/i.test(type)) text += decoded
  }
  visit(top)
  return {
    envelopeFrom,
    envelopeTo,
    headers: top.headers,
    subject: decodeEncodedWords(top.headers.subject ?? ''),
    text,
    html,
    links: extractLinks(text, html),
    raw,
  }
}

function splitPart(raw: string): Part {
  const normalized = raw.replace(/\r\n/g, '\n')
  const end = normalized.indexOf('\n\n')
  const head = end === -1 ? normalized : normalized.slice(0, end)
  const body = end === -1 ? '' : normalized.slice(end + 2)
  const headers: Record<string, string> = {}
  // Unfold continuation lines, then split "Name: value".
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = []
  const delimiter = `--${boundary}`
  const sections = body.split(new RegExp(`^${escapeRegExp(delimiter)}(?:--)?[ \\t]*$`, 'm'))
  // sections[0] is the preamble; the last one is the epilogue after the closing delimiter.
  for (let i = 1; i < sections.length - 1; i++) parts.push(sections[i].replace(/^\n/, '').replace(/\n$/, ''))
  return parts
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'quoted-printable': return decodeQuotedPrintable(body)
    case 'base64': return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    default: return body
  }
}

/** Quoted-printable: `=` at a line end is a soft break (removed), `=XX` is a byte; bytes are UTF-8. */
export function decodeQuotedPrintable(input: string): string {
  const joined = input.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i]
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** RFC 2047 encoded words in headers (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`). */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')))
}

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" }

function extractLinks(text: string, html: string): string[] {
  const links: string[] = []
  for (const match of html.matchAll(/href\s*=\s*"([^"]*)"/gi)) {
    links.push(match[1].replace(/&(amp|lt|gt|quot|#39|apos);/g, (_m, e: string) => HTML_ENTITIES[e]))
  }
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) links.push(match[0])
  return [...new Set(links.filter(l => /^https?:\/\//.test(l)))]
}
