import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { pageCsp, renderConsentPage, renderDeviceConfirmPage, renderDeviceEntryPage, renderNoticePage } from '../../../src/sandbox/pages'

const user = { name: 'Sandbox User', email: 'sandbox.user@example.com' }

describe('sandbox pages', () => {
  it('gives the consent page Allow and Deny submit buttons and the consent id', () => {
    const html = renderConsentPage({
      clientName: 'oauth-cli',
      clientId: 'oauth-cli-sandbox',
      scope: ['profile', 'items:read'],
      redirectUri: 'http://127.0.0.1:5000/callback',
      consentId: 'consent-123',
      user,
    })
    expect(html).toContain('<form method="post" action="/authorize/decision">')
    expect(html).toContain('<button type="submit" name="decision" value="allow" class="primary">Allow</button>')
    expect(html).toContain('<button type="submit" name="decision" value="deny">Deny</button>')
    expect(html).toContain('name="consent_id" value="consent-123"')
    expect(html).toContain('Read your items')
    expect(html).toContain('127.0.0.1:5000/callback')
  })

  it('escapes everything it interpolates', () => {
    const html = renderNoticePage('<b>x</b>', `"><script>alert(1)</script>`, 'bad')
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;')
    expect(html).toContain('&quot;&gt;&lt;script&gt;')
    expect(renderDeviceEntryPage({ typed: '"onfocus="x' })).toContain('value="&quot;onfocus=&quot;x"')
  })

  it('labels the device code input and offers Allow and Deny after it', () => {
    expect(renderDeviceEntryPage()).toMatch(/<label for="user_code">Code<\/label>\s*<input type="text" id="user_code" name="user_code"/)
    const confirm = renderDeviceConfirmPage({ userCode: 'BCDF-GHJK', clientName: 'oauth-cli', scope: ['profile'], consentId: 'c', user })
    expect(confirm).toContain('BCDF-GHJK')
    expect(confirm).toContain('action="/device/decision"')
    expect(confirm).toContain('>Allow</button>')
    expect(confirm).toContain('>Deny</button>')
  })

  it("allows exactly the page's own style sheet, no script, and form posts to self and the given targets", () => {
    const html = renderNoticePage('t', 'm', 'ok')
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    const hash = createHash('sha256').update(style).digest('base64')
    const csp = pageCsp(['http://127.0.0.1:5000'])
    expect(csp).toContain(`style-src 'sha256-${hash}'`)
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("form-action 'self' http://127.0.0.1:5000")
    expect(csp).not.toContain('unsafe-inline')
  })
})
