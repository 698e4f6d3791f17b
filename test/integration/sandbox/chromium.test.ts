/**
 * The consent and device pages in a real Chromium: the buttons are found by
 * their accessible names, and the page's own CSP lets the answer redirect to
 * the client's loopback address (browsers apply form-action to that redirect).
 * Skipped where no Chromium is installed.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_CLIENT_ID, startSandbox, type Sandbox } from '../../../src/sandbox/server'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path))
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

let browser: Browser
let sandbox: Sandbox
let client: Server
let clientUrl: string
const callbacks: URLSearchParams[] = []

describe.skipIf(!CHROMIUM)('sandbox pages in Chromium', () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, deviceInterval: 1 })
    client = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      // Chromium also asks for /favicon.ico.
      if (url.pathname === '/callback') callbacks.push(url.searchParams)
      res.end('callback received')
    })
    await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve))
    clientUrl = `http://127.0.0.1:${(client.address() as AddressInfo).port}/callback`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  })

  afterAll(async () => {
    await browser?.close()
    await sandbox?.close()
    client?.closeAllConnections()
    await new Promise((resolve) => client?.close(resolve))
  })

  function authorizeUrl(state: string): string {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: SANDBOX_CLIENT_ID,
      redirect_uri: clientUrl,
      state,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    })
    return `${sandbox.url}/authorize?${query}`
  }

  it.each([
    ['Allow', 'code'],
    ['Deny', 'error'],
  ])('clicking %s sends the browser back to the client with a %s', async (button, param) => {
    const page = await browser.newPage()
    await page.goto(authorizeUrl(button))
    await Promise.all([page.waitForURL(`${clientUrl}**`), page.getByRole('button', { name: button }).click()])
    const received = callbacks.at(-1)
    expect(received?.get('state')).toBe(button)
    expect(received?.has(param)).toBe(true)
    await page.close()
  })

  it('lets the user type the device code, then allow', async () => {
    const res = await fetch(`${sandbox.url}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: SANDBOX_CLIENT_ID }) })
    const device = (await res.json()) as { device_code: string; user_code: string; verification_uri: string }
    const page = await browser.newPage()
    await page.goto(device.verification_uri)
    await page.getByLabel('Code').fill(device.user_code.toLowerCase())
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.getByRole('heading', { name: 'Device connected' }).waitFor({ timeout: 5_000 })
    const poll = await fetch(`${sandbox.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: SANDBOX_CLIENT_ID, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code }),
    })
    expect(poll.status).toBe(200)
    await page.close()
  })
})
