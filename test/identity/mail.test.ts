// Mail rendering and delivery: escaped templates, encoded links, and a real SMTP round trip to the fake.
import t from 'tap'
import { escapeHtml, formatExpiry, inviteLink, renderInviteMail, renderResetMail, resetLink } from '../../src/services/mail-templates.js'
import { createMailer } from '../../src/services/mailer.js'
import { inviteTokenDigest, inviteTokenMatches, newInviteToken, newResetToken, resetTokenDigest, resetTokenMatches } from '../../src/services/one-time-tokens.js'
import { decodeQuotedPrintable, startSmtpFake } from '../fakes/smtp.js'

t.test('links encode every value; templates escape every value', async t => {
  t.equal(resetLink('https://app.example/', 'a+b c@x.io', 'T0k'), 'https://app.example/reset-password/?email=a%2Bb+c%40x.io&token=T0k')
  t.equal(inviteLink('https://app.example', '0c1d9a57-3b5e-4a43-9f61-0f4f3c8f5e2a', 'a&b=c@x.io'),
    'https://app.example/confirm-invite?token=0c1d9a57-3b5e-4a43-9f61-0f4f3c8f5e2a&email=a%26b%3Dc%40x.io')
  t.equal(escapeHtml(`<img src=x onerror="alert('1')">&`), '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;')

  const mail = renderResetMail({ name: '<b>Eve</b>', link: 'https://app.example/reset-password/?email=e%40x.io&token=a', expiresAt: new Date(Date.UTC(2026, 10, 24, 3, 26, 17)) })
  t.equal(mail.subject, 'Reset Password')
  t.notMatch(mail.html, /<b>Eve<\/b>/, 'the name is not HTML')
  t.match(mail.html, /&lt;b&gt;Eve&lt;\/b&gt;/)
  t.match(mail.html, /href="https:\/\/app\.example\/reset-password\/\?email=e%40x\.io&amp;token=a"/, 'the link is attribute-escaped')
  t.match(mail.text, /00:26:17 de 24\/11\/2026/, 'expiry in Sao Paulo time')
  t.equal(formatExpiry(new Date(Date.UTC(2026, 0, 1, 2, 0, 0))), '23:00:00 de 31/12/2025')

  const invite = renderInviteMail({ name: 'a"b', link: 'https://x/confirm-invite?token=t&email=e' })
  t.equal(invite.subject, "You're invited to join Enlaight")
  t.match(invite.html, /Olá, a&quot;b!/)
})

t.test('one-time tokens: stored as digests, checked in constant time, legacy rows still honoured', async t => {
  const token = newResetToken()
  t.match(token, /^[A-Za-z0-9]{64}$/)
  const stored = resetTokenDigest(token)
  t.match(stored, /^sha256\$[0-9a-f]{64}$/)
  t.ok(resetTokenMatches(stored, token))
  t.notOk(resetTokenMatches(stored, token.toLowerCase() === token ? `${token}x` : token.toLowerCase()), 'case-sensitive')
  t.notOk(resetTokenMatches(stored, stored), 'the digest itself is not a token')
  t.notOk(resetTokenMatches(null, token))
  t.ok(resetTokenMatches('LegacyPlainToken', 'LegacyPlainToken'), 'a plain token written by the original still works')

  const invite = newInviteToken()
  t.match(invite.token, /^[0-9a-f-]{36}$/)
  t.match(invite.digest, /^x[0-9a-f]{31}$/)
  t.equal(invite.digest.length, 32, 'fits char(32)')
  t.ok(inviteTokenMatches(invite.digest, invite.token))
  t.ok(inviteTokenMatches(invite.digest, `{${invite.token.toUpperCase().replace(/-/g, '')}}`), 'any UUID spelling')
  t.notOk(inviteTokenMatches(invite.digest, invite.digest), 'a stored digest cannot be replayed')
  t.equal(inviteTokenDigest('not-a-uuid'), null)
  const legacy = '0c1d9a573b5e4a439f610f4f3c8f5e2a'
  t.ok(inviteTokenMatches(legacy, '0c1d9a57-3b5e-4a43-9f61-0f4f3c8f5e2a'), 'an invite made by the original still works')
})

t.test('quoted-printable soft breaks and escapes are decoded', async t => {
  t.equal(decodeQuotedPrintable('https://app.example/reset=\r\n-password/?email=3D=C3=A9'), 'https://app.example/reset-password/?email=é')
})

t.test('a mail goes over SMTP to the fake and its links come back intact', async t => {
  const smtp = await startSmtpFake()
  t.teardown(() => smtp.close())
  const mailer = createMailer({ host: smtp.host, port: smtp.port, user: '', password: '', secure: false, from: 'Enlaight <noreply@enlaight.test>' })
  // A long link forces quoted-printable soft line breaks in both parts.
  const link = resetLink('https://platform.example', 'jöhn+tag@example.com', 'A'.repeat(64))
  await mailer.send({ to: 'jöhn+tag@example.com', ...renderResetMail({ name: 'Jöhn', link, expiresAt: new Date() }) })
  const mail = await smtp.waitFor(m => m.subject === 'Reset Password')
  t.same(mail.envelopeTo, ['jöhn+tag@example.com'])
  t.match(mail.headers.from, /noreply@enlaight\.test/)
  t.same(mail.links, [link], 'the same link in the HTML button, the HTML fallback and the text part')
  t.match(mail.text, /Olá, Jöhn!/)

  smtp.failDelivery = true
  await t.rejects(mailer.send({ to: 'x@example.com', ...renderResetMail({ name: 'x', link, expiresAt: new Date() }) }), 'a refused delivery rejects')
})
