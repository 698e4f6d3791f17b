/**
 * `oauth-cli login sandbox` with a real Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core; never a downloaded browser). `$BROWSER` hands the
 * authorization URL to the test, whose Chromium visits it and clicks Allow or
 * Deny on the sandbox's consent page, then lands on the loopback listener's page.
 * Skipped where Chromium is missing, except in CI (OAUTH_CLI_REQUIRE_CHROMIUM=1).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sandboxProviderConfig } from '../../src/sandbox/provider'
import { startSandbox, type Sandbox } from '../../src/sandbox/server'
import { REPO_ROOT, runCli, show, spawnCli, type CliRun, type SpawnedCli } from '../support/run-cli'
import { colourStats, decodePng } from '../support/png'
import { makeTempHome, type TempHome } from '../support/temp-home'

const CHROMIUM = '/usr/bin/chromium'
const PRESENT = existsSync(CHROMIUM)
const REQUIRED = process.env.OAUTH_CLI_REQUIRE_CHROMIUM === '1'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const URL_CATCHER = fileURLToPath(new URL('../support/url-catcher.mjs', import.meta.url))
const RESULTS = join(REPO_ROOT, 'test-results')
const CALLBACK = /^http:\/\/127\.0\.0\.1:\d+\/callback\?/
const WAIT_MS = 10_000

describe.runIf(!PRESENT && REQUIRED)('the real-browser test in CI', () => {
  it('finds Chromium at /usr/bin/chromium (OAUTH_CLI_REQUIRE_CHROMIUM=1)', () => {
    expect.fail(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package`)
  })
})

const title = PRESENT
  ? 'login in a real Chromium'
  : `login in a real Chromium (skipped: ${CHROMIUM} is missing; install Debian's chromium package)`

/** A tiny server that receives the URLs url-catcher.mjs posts, one waiter at a time. */
interface Catcher {
  url: string
  next(): Promise<string>
  close(): Promise<void>
}

async function startCatcher(): Promise<Catcher> {
  const caught: string[] = []
  let waiter: ((url: string) => void) | undefined
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      res.writeHead(204).end()
      if (waiter) waiter(body)
      else caught.push(body)
      waiter = undefined
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    next: () => {
      const ready = caught.shift()
      if (ready !== undefined) return Promise.resolve(ready)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`$BROWSER was not called within ${WAIT_MS} ms`)), WAIT_MS)
        waiter = (url) => {
          clearTimeout(timer)
          resolve(url)
        }
      })
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe.skipIf(!PRESENT)(title, () => {
  let sandbox: Sandbox
  let catcher: Catcher
  let context: BrowserContext
  let profileDir: string
  const homes: TempHome[] = []
  const pages: Page[] = []

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 })
    catcher = await startCatcher()
    profileDir = mkdtempSync(join(tmpdir(), 'oauth-cli-chromium-'))
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 800, height: 600 },
    })
  })

  afterAll(async () => {
    await context?.close()
    await catcher?.close()
    await sandbox?.close()
    if (profileDir) rmSync(profileDir, { recursive: true, force: true })
  })

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close()
    for (const home of homes.splice(0)) home.cleanup()
  })

  /** A temp HOME whose config points `sandbox` at this sandbox, and a login whose $BROWSER is the catcher. */
  function startLogin(): { home: TempHome; cli: SpawnedCli; args: string[] } {
    const home = makeTempHome()
    homes.push(home)
    home.writeConfig({ providers: { sandbox: sandboxProviderConfig(sandbox.url) } })
    const args = ['login', 'sandbox', '--timeout', '30']
    const browser = `'${process.execPath}' '${URL_CATCHER}'`
    const cli = spawnCli(args, { env: { ...home.env, BROWSER: browser, URL_CATCHER: catcher.url } })
    return { home, cli, args }
  }

  /** Visits the authorization URL, clicks `button` on the consent page and waits for the loopback page. */
  async function answerConsent(button: 'Allow' | 'Deny'): Promise<Page> {
    const url = await catcher.next()
    const page = await context.newPage()
    pages.push(page)
    await page.goto(url)
    await Promise.all([page.waitForURL(CALLBACK, { timeout: WAIT_MS }), page.getByRole('button', { name: button }).click()])
    return page
  }

  async function statusJson(home: TempHome): Promise<Array<Record<string, unknown>>> {
    const run = await runCli(['status', '--json'], { env: home.env })
    expect(run.exitCode, show(['status', '--json'], run)).toBe(0)
    return JSON.parse(run.stdout) as Array<Record<string, unknown>>
  }

  function saveScreenshot(name: string, png: Buffer): void {
    mkdirSync(RESULTS, { recursive: true })
    writeFileSync(join(RESULTS, name), png)
  }

  it('stores the tokens after Allow, and the success page names the provider and profile', async () => {
    const { home, cli, args } = startLogin()
    const page = await answerConsent('Allow')
    const text = await page.locator('body').innerText()
    expect(text).toMatch(/Signed in/)
    expect(text).toContain('oauth-cli sandbox (local)')
    expect(text).toMatch(/Profile\s+default/)
    expect(text).toMatch(/close this tab/i)
    const run: CliRun = await cli.exited
    expect(run.exitCode, show(args, run)).toBe(0)
    expect(run.stderr).toMatch(/Logged in to sandbox/)
    const rows = await statusJson(home)
    expect(rows).toEqual([expect.objectContaining({ provider: 'sandbox', profile: 'default', refreshable: true, store: 'file' })])
  })

  it('exits 1 after Deny, says the request was refused, and stores nothing', async () => {
    const { home, cli, args } = startLogin()
    const page = await answerConsent('Deny')
    const text = await page.locator('body').innerText()
    expect(text).toMatch(/Sign-in failed/)
    expect(text).toMatch(/close this tab/i)
    saveScreenshot('loopback-error.png', await page.screenshot())
    const run = await cli.exited
    expect(run.exitCode, show(args, run)).toBe(1)
    expect(run.stderr).toMatch(/access_denied|refused|denied/i)
    expect(await statusJson(home)).toEqual([])
  })

  it('renders the success page as a visible, styled page (screenshot in test-results/)', async () => {
    const { cli, args } = startLogin()
    const page = await answerConsent('Allow')
    const png = await page.screenshot()
    saveScreenshot('loopback-success.png', png)
    const image = decodePng(png)
    expect(image.width).toBe(800)
    expect(image.height).toBe(600)
    const stats = colourStats(image)
    // Text is anti-aliased: a page with words has many shades; a blank one has one or two.
    expect(stats.distinct).toBeGreaterThan(20)
    expect(stats.nonBackground).toBeGreaterThan(0.05)
    const run = await cli.exited
    expect(run.exitCode, show(args, run)).toBe(0)
  })

  it('runs the demo with the real browser: the user clicks Allow on the consent page', async () => {
    const home = makeTempHome()
    homes.push(home)
    const args = ['demo']
    const browser = `'${process.execPath}' '${URL_CATCHER}'`
    const cli = spawnCli(args, { env: { ...home.env, BROWSER: browser, URL_CATCHER: catcher.url } })
    const page = await answerConsent('Allow')
    expect(await page.locator('h1').innerText()).toBe('Signed in')
    const run = await cli.exited
    expect(run.exitCode, show(args, run)).toBe(0)
    expect(run.stderr).toMatch(/Your browser is on the sandbox's consent page: click Allow/)
    expect(run.stderr).not.toMatch(/No browser here/)
    expect(run.stderr).toMatch(/sandbox refreshes: 0 -> 1/)
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'sandbox-user-1' })
  })
})
