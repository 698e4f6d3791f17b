/**
 * The small HTML pages the loopback listener shows in the browser. Pure.
 * Everything interpolated is escaped, and no page ever carries the code.
 */

export type PageKind = 'success' | 'error' | 'bad_request' | 'closed'

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
  lead: string
  next: string
  tone: 'ok' | 'bad' | 'neutral'
}

function pageText(kind: PageKind, who: string, message: string | undefined): PageText {
  switch (kind) {
    case 'success':
      return { title: 'Signed in', lead: `oauth-cli is now signed in to ${who}.`, next: 'You can close this tab and return to the terminal.', tone: 'ok' }
    case 'error':
      return {
        title: 'Sign-in failed',
        lead: message ?? `Signing in to ${who} did not complete.`,
        next: 'The terminal has the details. You can close this tab.',
        tone: 'bad',
      }
    case 'bad_request':
      return {
        title: 'Not the expected request',
        lead: message ?? 'This request does not match the sign-in oauth-cli is waiting for.',
        next: `It was ignored; oauth-cli is still waiting for the sign-in to ${who}.`,
        tone: 'bad',
      }
    case 'closed':
      return { title: 'You can close this tab', lead: `oauth-cli received the answer for ${who}.`, next: 'Return to the terminal to see the result.', tone: 'neutral' }
    default: {
      const never: never = kind
      throw new Error(`unknown page kind ${String(never)}`)
    }
  }
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d1f23;--muted:#5c6370;--ok:#1a7f37;--bad:#c62828;--neutral:#4a6fa5}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--card:#22252b;--fg:#e8eaed;--muted:#a0a6b0;--ok:#4cc26b;--bad:#ef6b6b;--neutral:#8fb0e0}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:1rem;padding:2rem;background:var(--card);border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.12);text-align:center}
h1{margin:0 0 .75rem;font-size:1.4rem}
.ok h1{color:var(--ok)}.bad h1{color:var(--bad)}.neutral h1{color:var(--neutral)}
p{margin:.5rem 0}.muted{color:var(--muted);font-size:.9rem}`

/**
 * Renders one page: which provider and profile it is about, what happened,
 * and that the tab can be closed.
 */
export function renderPage(kind: PageKind, details: PageDetails): string {
  const who = `${details.providerName} (profile ${details.profile})`
  const text = pageText(kind, who, details.message)
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
<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.lead)}</p>
<p>${escapeHtml(text.next)}</p>
<p class="muted">${escapeHtml(details.providerName)} · profile ${escapeHtml(details.profile)}</p>
</main>
</body>
</html>
`
}
