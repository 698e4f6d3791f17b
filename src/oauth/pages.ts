/**
 * The small HTML pages the loopback listener shows in the browser. Pure.
 * Everything interpolated is escaped, and no page ever carries the code.
 */

export type PageKind = 'success' | 'relayed' | 'error' | 'bad_request' | 'closed'

export interface PageDetails {
  providerName: string
  profile: string
  /** Why the request failed or was refused (error and bad_request pages). */
  message?: string
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for an HTML element body or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch)
}

interface PageText {
  title: string
  /** The one sentence that says what happened. */
  lead: string
  next: string
  tone: 'ok' | 'bad' | 'neutral'
}

function pageText(kind: PageKind, provider: string, message: string | undefined): PageText {
  switch (kind) {
    case 'success':
      return { title: 'Signed in', lead: `oauth-cli is now signed in to ${provider}.`, next: 'You can close this tab and return to the terminal.', tone: 'ok' }
    case 'relayed':
      return {
        title: 'Approved',
        lead: `Approved at ${provider} \u2014 paste the line in the terminal on the other machine.`,
        next: 'oauth-cli printed it in the terminal here; the other machine signs in once it is pasted. You can close this tab.',
        tone: 'ok',
      }
    case 'error':
      return {
        title: 'Sign-in failed',
        lead: message ?? `Signing in to ${provider} did not complete.`,
        next: 'The terminal has the details. You can close this tab.',
        tone: 'bad',
      }
    case 'bad_request':
      return {
        title: 'Not the expected request',
        lead: message ?? 'This request does not match the sign-in oauth-cli is waiting for.',
        next: `It was ignored; oauth-cli is still waiting for the sign-in to ${provider}. You can close this tab.`,
        tone: 'bad',
      }
    case 'closed':
      return { title: 'You can close this tab', lead: `oauth-cli received the answer from ${provider}.`, next: 'Return to the terminal to see the result.', tone: 'neutral' }
    default: {
      const never: never = kind
      throw new Error(`unknown page kind ${String(never)}`)
    }
  }
}

const ICONS: Record<PageText['tone'], string> = { ok: '\u2713', bad: '\u2715', neutral: 'i' }

// A caller's message comes lower-case (the CLI's error style): `.message` starts it with a capital.
const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d1f23;--muted:#5c6370;--line:#e3e5e8;--ok:#1a7f37;--bad:#c62828;--neutral:#3d64a0}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--card:#22252b;--fg:#e8eaed;--muted:#a0a6b0;--line:#343840;--ok:#4cc26b;--bad:#ef6b6b;--neutral:#8fb0e0}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:26rem;margin:1rem;padding:2rem 2rem 1.5rem;background:var(--card);border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.12);text-align:center}
.ok{--tone:var(--ok)}.bad{--tone:var(--bad)}.neutral{--tone:var(--neutral)}
.icon{width:3rem;height:3rem;margin:0 auto .75rem;border-radius:50%;display:flex;align-items:center;justify-content:center;background:var(--tone);color:var(--card);font-size:1.6rem;font-weight:700}
h1{margin:0 0 .5rem;font-size:1.4rem;color:var(--tone)}
p{margin:.5rem 0}.message::first-letter{text-transform:uppercase}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:1rem 0;padding:.75rem 1rem;border:1px solid var(--line);border-radius:8px;text-align:left}
dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.muted{margin-top:1.25rem;color:var(--muted);font-size:.85rem}`

/**
 * Renders one page: what happened, which provider and profile it is about,
 * and that the tab can be closed.
 */
export function renderPage(kind: PageKind, details: PageDetails): string {
  const text = pageText(kind, details.providerName, details.message)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(text.title)} · oauth-cli</title>
<style>${STYLE}</style>
</head>
<body>
<main class="${text.tone}">
<div class="icon" aria-hidden="true">${ICONS[text.tone]}</div>
<h1>${escapeHtml(text.title)}</h1>
<p${details.message ? ' class="message"' : ''}>${escapeHtml(text.lead)}</p>
<dl><dt>Provider</dt><dd>${escapeHtml(details.providerName)}</dd><dt>Profile</dt><dd>${escapeHtml(details.profile)}</dd></dl>
<p>${escapeHtml(text.next)}</p>
<p class="muted">Served by oauth-cli on this computer.</p>
</main>
</body>
</html>
`
}
