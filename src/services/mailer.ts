// Outgoing mail over SMTP (nodemailer) from config.smtp, plus the bookkeeping of work done after a reply.
import { setTimeout as sleep } from 'node:timers/promises'
import nodemailer, { type Transporter } from 'nodemailer'
import type { Config } from '../config.js'
import type { RenderedMail } from './mail-templates.js'

export interface OutgoingMail extends RenderedMail {
  to: string
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>
}

export class MailNotConfiguredError extends Error {
  override name = 'MailNotConfiguredError'
  constructor() { super('SMTP_HOST is not set: e-mail cannot be sent') }
}

// A slow or silent SMTP server must not hold a request (or a background task) for minutes.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }

type SmtpConfig = Config['smtp']

export function createMailer(smtp: SmtpConfig): Mailer {
  let transport: Transporter | undefined
  return {
    async send(mail) {
      if (!smtp.host) throw new MailNotConfiguredError()
      transport ??= nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure, // true: TLS from the first byte (465); false: STARTTLS when the server offers it (587)
        auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
        ...TIMEOUTS,
      })
      await transport.sendMail({
        from: smtp.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      })
    },
  }
}

// One mailer (one transport) per configuration object, so every app instance uses its own settings.
const mailers = new WeakMap<SmtpConfig, Mailer>()

export function mailerFor(config: Pick<Config, 'smtp'>): Mailer {
  let mailer = mailers.get(config.smtp)
  if (!mailer) {
    mailer = createMailer(config.smtp)
    mailers.set(config.smtp, mailer)
  }
  return mailer
}

// ── Work that runs after the reply (DECISIONS 3: the forgot-password mail goes out after the answer) ──

const pending = new Set<Promise<void>>()
// The work waits a moment after the reply is handed to the kernel: started at once, its CPU competes with the
// delivery of that reply on a busy machine, and a known address's answer arrived measurably later (a 1.0-1.6 ms
// median gap in 2 of 4 runs with two cores kept busy; within 0.2 ms in 5 of 5 with the wait).
const DELIVERY_GRACE_MS = 10

/**
 * Runs `task` shortly after the reply has been handed to the client (or right away if it already has). Errors are
 * logged by `onError`, never thrown: nobody is waiting for the result any more.
 */
export function afterReply(raw: NodeJS.EventEmitter & { writableFinished?: boolean }, task: () => Promise<void>, onError: (err: unknown) => void): void {
  let started = false
  const start = () => {
    if (started) return
    started = true
    const run = (async () => {
      await sleep(DELIVERY_GRACE_MS)
      try { await task() } catch (err) { onError(err) }
    })()
    pending.add(run)
    void run.finally(() => pending.delete(run))
  }
  if (raw.writableFinished) setImmediate(start)
  else {
    raw.once('finish', start)
    raw.once('close', start)
  }
}

/** Resolves when every after-reply task started so far has settled (tests, graceful shutdown). */
export async function settleBackgroundWork(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending])
}
