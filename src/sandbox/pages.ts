/**
 * The sandbox's HTML pages: consent, device code entry and confirmation,
 * notices, and the home page. Pure. Every interpolated value is escaped, the
 * style sheet is allowed by its hash (no 'unsafe-inline'), and pages carry no
 * script at all.
 */
import { createHash } from 'node:crypto'
import { SANDBOX_SCOPES } from './provider'

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for an element body or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch)
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d1f23;--muted:#5c6370;--line:#d9dce1;--accent:#2456c9;--accent-fg:#fff;--ok:#1a7f37;--bad:#c62828}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--card:#22252b;--fg:#e8eaed;--muted:#a0a6b0;--line:#3a3f47;--accent:#7aa2f7;--accent-fg:#10131a;--ok:#4cc26b;--bad:#ef6b6b}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:30rem;margin:1rem;padding:2rem;background:var(--card);border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.12)}
h1{margin:0 0 .75rem;font-size:1.4rem}
.ok h1{color:var(--ok)}.bad h1{color:var(--bad)}
p{margin:.5rem 0}.muted{color:var(--muted);font-size:.9rem}
.badge{display:inline-block;margin-bottom:.75rem;padding:.1rem .5rem;border:1px solid var(--line);border-radius:999px;color:var(--muted);font-size:.8rem}
ul{margin:.5rem 0 1rem;padding-left:1.25rem}li{margin:.25rem 0}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.code{font-size:1.5rem;letter-spacing:.15em;text-align:center;margin:1rem 0}
label{display:block;margin:1rem 0 .35rem;font-weight:600}
input[type=text]{width:100%;padding:.6rem .75rem;border:1px solid var(--line);border-radius:8px;background:transparent;color:inherit;font:1.2rem ui-monospace,Menlo,Consolas,monospace;letter-spacing:.1em;text-transform:uppercase}
.actions{display:flex;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}
button{padding:.55rem 1.4rem;border-radius:8px;border:1px solid var(--line);background:transparent;color:inherit;font:inherit;font-weight:600;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{color:var(--bad)}`

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64')

/**
 * The Content-Security-Policy for a page. `formTargets` are origins a form on
 * the page may end up at: browsers apply `form-action` to the redirect that
 * follows a form post, and the consent form's answer redirects to the client.
 */
export function pageCsp(formTargets: readonly string[] = []): string {
  const formAction = ["'self'", ...formTargets].join(' ')
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; frame-ancestors 'none'; form-action ${formAction}`
}

type Tone = 'ok' | 'bad' | 'neutral'

function layout(title: string, body: string, tone: Tone = 'neutral'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · oauth-cli sandbox</title>
<style>${STYLE}</style>
</head>
<body>
<main class="${tone}">
<span class="badge">oauth-cli sandbox · local test provider</span>
${body}
</main>
</body>
</html>
`
}

export interface SignedInUser {
  name: string
  email: string
}

function scopeList(scope: readonly string[]): string {
  const items = scope.map((name) => `<li>${escapeHtml(SANDBOX_SCOPES[name] ?? name)} <span class="muted">(<code>${escapeHtml(name)}</code>)</span></li>`)
  return `<ul>${items.join('')}</ul>`
}

function decisionForm(action: string, consentId: string): string {
  return `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="consent_id" value="${escapeHtml(consentId)}">
<div class="actions">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
</div>
</form>`
}

export interface ConsentPage {
  clientName: string
  clientId: string
  scope: readonly string[]
  redirectUri: string
  consentId: string
  user: SignedInUser
}

/** The authorization request's consent page, with Allow and Deny buttons. */
export function renderConsentPage(page: ConsentPage): string {
  const target = new URL(page.redirectUri)
  return layout(
    `Allow ${page.clientName}?`,
    `<h1>Allow ${escapeHtml(page.clientName)} to use your account?</h1>
<p>Signed in as <strong>${escapeHtml(page.user.name)}</strong> (${escapeHtml(page.user.email)}).</p>
<p><strong>${escapeHtml(page.clientName)}</strong> <span class="muted">(client <code>${escapeHtml(page.clientId)}</code>)</span> asks to:</p>
${scopeList(page.scope)}
<p class="muted">Either way, you will be sent back to <code>${escapeHtml(target.host + target.pathname)}</code>.</p>
${decisionForm('/authorize/decision', page.consentId)}`,
  )
}

/** The device verification page: a form for the user code. @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3 */
export function renderDeviceEntryPage(options: { error?: string; typed?: string } = {}): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>
<p>Enter the code shown by the program that asked to sign in.</p>
${error}<form method="get" action="/device">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="${escapeHtml(options.typed ?? '')}" placeholder="ABCD-EFGH" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>`,
    options.error ? 'bad' : 'neutral',
  )
}

export interface DeviceConfirmPage {
  userCode: string
  clientName: string
  scope: readonly string[]
  consentId: string
  user: SignedInUser
}

/** Asks the user to compare the code with the device's and decide. @see https://www.rfc-editor.org/rfc/rfc8628#section-5.4 */
export function renderDeviceConfirmPage(page: DeviceConfirmPage): string {
  return layout(
    `Allow ${page.clientName}?`,
    `<h1>Allow ${escapeHtml(page.clientName)} on your device?</h1>
<p>Check that your device shows this code:</p>
<p class="code">${escapeHtml(page.userCode)}</p>
<p>Signed in as <strong>${escapeHtml(page.user.name)}</strong> (${escapeHtml(page.user.email)}). The device asks to:</p>
${scopeList(page.scope)}
${decisionForm('/device/decision', page.consentId)}`,
  )
}

/** A short result or error page. */
export function renderNoticePage(title: string, message: string, tone: Tone, next?: string): string {
  const more = next ? `\n<p class="muted">${escapeHtml(next)}</p>` : ''
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>${more}`, tone)
}

/** What the sandbox is and how to use it, at `/`. */
export function renderHomePage(url: string, clientId: string): string {
  return layout(
    'oauth-cli sandbox',
    `<h1>oauth-cli sandbox</h1>
<p>A local OAuth 2.0 provider for trying oauth-cli. Everything lives in memory and is gone when it stops.</p>
<ul>
<li>Metadata: <code>${escapeHtml(url)}/.well-known/oauth-authorization-server</code></li>
<li>Public client: <code>${escapeHtml(clientId)}</code> (PKCE S256)</li>
<li>Device sign-in: <code>${escapeHtml(url)}/device</code></li>
<li>API: <code>${escapeHtml(url)}/api/me</code>, <code>${escapeHtml(url)}/api/items</code></li>
</ul>
<p class="muted">Try <code>oauth-cli login sandbox</code>, then <code>oauth-cli call sandbox /me</code>.</p>`,
  )
}
