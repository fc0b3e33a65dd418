// The e-mails of the identity flows (auth-and-users §6), rendered in memory for each message: no shared
// file, every interpolated value HTML-escaped, every link value URL-encoded (§12.11).

export interface RenderedMail {
  subject: string
  html: string
  text: string
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, ch => HTML_ESCAPES[ch])
}

/** `<base><path>?k=v&…` with each value form-encoded (`@` → %40, `+` → %2B, space → +), as §6.2 specifies. */
export function frontendLink(base: string, path: string, params: Array<[string, string]>): string {
  const query = new URLSearchParams(params).toString()
  return `${base.replace(/\/+$/, '')}${path}?${query}`
}

/** §6.1: `<FRONTEND_URL>/reset-password/?email=…&token=…` (the original left the e-mail unencoded). */
export function resetLink(frontendUrl: string, email: string, token: string): string {
  return frontendLink(frontendUrl, '/reset-password/', [['email', email], ['token', token]])
}

/** §6.2: `<FRONTEND_URL>/confirm-invite?token=<uuid>&email=…` (no slash before `?`). */
export function inviteLink(frontendUrl: string, token: string, email: string): string {
  return frontendLink(frontendUrl, '/confirm-invite', [['token', token], ['email', email]])
}

/** The greeting name: the given name, else the e-mail's local part (§6.1). */
export function greetingName(firstName: string | null | undefined, email: string): string {
  const name = (firstName ?? '').trim()
  if (name) return name
  const at = email.indexOf('@')
  return at > 0 ? email.slice(0, at) : email
}

const saoPaulo = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'America/Sao_Paulo', hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
})

/** `HH:MM:SS de DD/MM/YYYY` in America/Sao_Paulo time, e.g. `00:26:17 de 24/11/2026` (§6.1). */
export function formatExpiry(at: Date): string {
  const p: Record<string, string> = {}
  for (const part of saoPaulo.formatToParts(at)) p[part.type] = part.value
  return `${p.hour}:${p.minute}:${p.second} de ${p.day}/${p.month}/${p.year}`
}

// One layout for every message; `body` is already-escaped HTML built by the functions below.
function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="pt-BR">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;padding:24px 0">
<tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;padding:32px">
<tr><td style="font-size:15px;line-height:1.6">
${body}
<p style="margin-top:32px">Equipe Enlaight</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`
}

function button(href: string, label: string): string {
  const url = escapeHtml(href)
  return `<p style="margin:28px 0"><a href="${url}" style="background:#4f46e5;color:#ffffff;text-decoration:none;padding:12px 24px;border-radius:6px;display:inline-block">${escapeHtml(label)}</a></p>
<p style="font-size:13px;color:#52606d">Se o botão não funcionar, copie este endereço no navegador:<br><a href="${url}" style="color:#4f46e5;word-break:break-all">${url}</a></p>`
}

export interface ResetMailInput { name: string, link: string, expiresAt: Date }

/** §6.1 Password reset. Subject `Reset Password`. */
export function renderResetMail({ name, link, expiresAt }: ResetMailInput): RenderedMail {
  const expiry = formatExpiry(expiresAt)
  const html = layout('Reset Password', `<p>Olá, ${escapeHtml(name)}!</p>
<p>Recebemos um pedido para redefinir a senha da sua conta Enlaight. Use o botão abaixo para escolher uma nova senha.</p>
${button(link, 'Redefinir senha')}
<p>Este link vale até ${escapeHtml(expiry)} (horário de Brasília) e pode ser usado uma única vez.</p>
<p>Se você não pediu a redefinição, ignore este e-mail: sua senha continua a mesma.</p>`)
  const text = `Olá, ${name}!

Recebemos um pedido para redefinir a senha da sua conta Enlaight. Abra o link abaixo para escolher uma nova senha:

${link}

Este link vale até ${expiry} (horário de Brasília) e pode ser usado uma única vez.
Se você não pediu a redefinição, ignore este e-mail: sua senha continua a mesma.

Equipe Enlaight
`
  return { subject: 'Reset Password', html, text }
}

export interface InviteMailInput { name: string, link: string }

/** §6.2 Invitation. Subject `You're invited to join Enlaight`. */
export function renderInviteMail({ name, link }: InviteMailInput): RenderedMail {
  const html = layout("You're invited to join Enlaight", `<p>Olá, ${escapeHtml(name)}!</p>
<p>Você foi convidado(a) para a plataforma Enlaight. Para concluir o cadastro, defina sua senha pelo botão abaixo.</p>
${button(link, 'Aceitar convite')}
<p>Se você não esperava este convite, ignore este e-mail.</p>`)
  const text = `Olá, ${name}!

Você foi convidado(a) para a plataforma Enlaight. Para concluir o cadastro, defina sua senha neste link:

${link}

Se você não esperava este convite, ignore este e-mail.

Equipe Enlaight
`
  return { subject: "You're invited to join Enlaight", html, text }
}

export interface AccountExistsMailInput { name: string, loginUrl: string, forgotUrl: string }

/**
 * Sent instead of an invitation when a manager invites an address that already has an active account: the
 * manager gets the usual answer (no account enumeration, §12.6), the owner learns they can simply sign in.
 */
export function renderAccountExistsMail({ name, loginUrl, forgotUrl }: AccountExistsMailInput): RenderedMail {
  const html = layout("You're invited to join Enlaight", `<p>Olá, ${escapeHtml(name)}!</p>
<p>Alguém convidou este endereço para a plataforma Enlaight, mas você já tem uma conta. Basta entrar com ela.</p>
${button(loginUrl, 'Entrar')}
<p>Esqueceu a senha? <a href="${escapeHtml(forgotUrl)}" style="color:#4f46e5">Redefina aqui</a>.</p>
<p>Se você não esperava este convite, ignore este e-mail.</p>`)
  const text = `Olá, ${name}!

Alguém convidou este endereço para a plataforma Enlaight, mas você já tem uma conta. Basta entrar com ela:

${loginUrl}

Esqueceu a senha? ${forgotUrl}

Equipe Enlaight
`
  return { subject: "You're invited to join Enlaight", html, text }
}
