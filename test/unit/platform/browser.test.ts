import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBrowser, splitCommand } from '../../../src/platform/browser'
import { isBrowsableUrl } from '../../../src/platform/browser-port'

const URL_WITH_QUERY = 'https://id.example.com/authorize?client_id=abc&scope=a%20b&state=x y&redirect_uri=http://127.0.0.1:8085/cb'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oauth-cli-browser-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function script(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

async function waitForFile(path: string, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path) || readFileSync(path, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return readFileSync(path, 'utf8')
}

describe.skipIf(process.platform === 'win32')('createBrowser with $BROWSER', () => {
  it('passes the exact URL as one argument', async () => {
    const out = join(dir, 'args.txt')
    const browser = script('record.sh', `printf '%s\\n' "$#" "$1" > "${out}.tmp" && mv "${out}.tmp" "${out}"`)
    const result = await createBrowser({ env: { BROWSER: browser }, platform: 'linux' }).open(URL_WITH_QUERY)
    expect(result).toEqual({ opened: true, via: `$BROWSER (${browser})` })
    expect(await waitForFile(out)).toBe(`1\n${URL_WITH_QUERY}\n`)
  })

  it('reports a command that exits non-zero as not opened', async () => {
    const browser = script('fail.sh', 'exit 1')
    const result = await createBrowser({ env: { BROWSER: browser }, platform: 'linux' }).open(URL_WITH_QUERY)
    expect(result).toEqual({ opened: false, reason: `${browser}: exited with code 1` })
  })

  it('falls through a failing entry to the next one, with %s replaced by the URL', async () => {
    const out = join(dir, 'second.txt')
    const fail = script('fail.sh', 'exit 3')
    const record = script('record.sh', `printf '%s\\n' "$@" > "${out}.tmp" && mv "${out}.tmp" "${out}"`)
    const env = { BROWSER: `${fail}:${record} --new-tab %s`, CI: '1' }
    const result = await createBrowser({ env, platform: 'linux' }).open(URL_WITH_QUERY)
    expect(result).toMatchObject({ opened: true })
    expect(await waitForFile(out)).toBe(`--new-tab\n${URL_WITH_QUERY}\n`)
  })

  it('reports a command that does not exist', async () => {
    const result = await createBrowser({ env: { BROWSER: join(dir, 'missing') }, platform: 'linux' }).open('https://x.example')
    expect(result.opened).toBe(false)
    expect((result as { reason: string }).reason).toContain('ENOENT')
  })
})

describe('createBrowser without $BROWSER', () => {
  it('does not try on Linux without a display', async () => {
    const result = await createBrowser({ env: {}, platform: 'linux' }).open('https://x.example')
    expect(result).toEqual({ opened: false, reason: 'no display' })
  })

  it('does not try in CI', async () => {
    const result = await createBrowser({ env: { CI: 'true', DISPLAY: ':0' }, platform: 'linux' }).open('https://x.example')
    expect(result).toEqual({ opened: false, reason: 'CI' })
  })
})

describe('splitCommand', () => {
  it.each([
    ['firefox', ['firefox']],
    ['open -a "Google Chrome"', ['open', '-a', 'Google Chrome']],
    ["chromium --new-window '%s'", ['chromium', '--new-window', '%s']],
  ])('%s', (line, expected) => {
    expect(splitCommand(line)).toEqual(expected)
  })
})

describe('isBrowsableUrl', () => {
  it.each([
    ['https://id.example/device', true],
    ['http://127.0.0.1:8080/x', true],
    ['http://localhost/x', true],
    ['http://[::1]:9/x', true],
    ['http://id.example/device', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['ms-settings:privacy', false],
    ['https://user:pw@id.example/', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isBrowsableUrl(url)).toBe(expected)
  })

  it('is checked by the adapter itself: a non-web URL never reaches $BROWSER', async () => {
    const result = await createBrowser({ env: { BROWSER: '/bin/false' }, platform: 'linux' }).open('file:///etc/passwd')
    expect(result).toEqual({ opened: false, reason: 'not an https: URL' })
  })
})
