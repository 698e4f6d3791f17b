import { describe, expect, it } from 'vitest'
import { renderPage, type PageKind } from '../../../src/oauth/pages'

const KINDS: Array<[PageKind, string]> = [
  ['success', 'Signed in'],
  ['error', 'Sign-in failed'],
  ['bad_request', 'Not the expected request'],
  ['closed', 'You can close this tab'],
]

describe('renderPage', () => {
  it.each(KINDS)('the %s page has its heading, names the provider and profile, and says the tab can be closed', (kind, heading) => {
    const html = renderPage(kind, { providerName: 'Acme ID', profile: 'work' })
    expect(html).toContain(`<h1>${heading}</h1>`)
    expect(html).toContain('<dt>Provider</dt><dd>Acme ID</dd>')
    expect(html).toContain('<dt>Profile</dt><dd>work</dd>')
    expect(html).toMatch(/close this tab/i)
  })

  it('shows the caller\'s message, escaped, and marks it for a capital first letter', () => {
    const html = renderPage('error', { providerName: 'acme', profile: 'default', message: 'the provider answered: <b>access_denied</b>' })
    expect(html).toContain('<p class="message">the provider answered: &lt;b&gt;access_denied&lt;/b&gt;</p>')
    expect(html).not.toContain('<b>')
  })

  it('keeps its own sentences as written', () => {
    expect(renderPage('success', { providerName: 'acme', profile: 'default' })).toContain('<p>oauth-cli is now signed in to acme.</p>')
  })

  it('escapes the provider name and profile', () => {
    const html = renderPage('success', { providerName: '<script>x</script>', profile: '"q"' })
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;')
    expect(html).toContain('&quot;q&quot;')
  })
})
