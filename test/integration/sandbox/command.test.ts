import { describe, expect, it } from 'vitest'
import { executeSandbox } from '../../../src/cli/commands/sandbox'
import { UsageError } from '../../../src/cli/errors'
import { ListenError } from '../../../src/oauth/callback-server'
import { startSandbox } from '../../../src/sandbox/server'
import { makeTestDeps } from '../../fakes'

/** Waits, with a bound, until the banner is on stderr. */
async function waitForBanner(read: () => string): Promise<string> {
  const deadline = Date.now() + 5_000
  while (!read().includes('Press Ctrl+C')) {
    if (Date.now() > deadline) throw new Error(`no banner; stderr so far: ${read()}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return read()
}

describe('oauth-cli sandbox', () => {
  it('serves until stopped and tells the user the URL, the client id and what to run', async () => {
    const deps = makeTestDeps()
    const stop = new AbortController()
    const running = executeSandbox({ port: 0, accessTokenTtl: 30 }, deps, stop.signal)
    // A failed assertion must not leave the sandbox serving in this worker.
    let url = ''
    try {
      const banner = await waitForBanner(() => deps.io.stderrText)
      url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? ''
      expect(banner).toContain('oauth-cli-sandbox')
      expect(banner).toContain('oauth-cli login sandbox')
      expect(banner).toContain('oauth-cli call sandbox /me')
      expect(banner).toContain('expire after 30 s')
      // Not the default port: the banner says how to point the provider here.
      expect(banner).toContain(`"token_endpoint": "${url}/token"`)
      expect(deps.io.stdoutText).toBe('')
      const metadata = await fetch(`${url}/.well-known/oauth-authorization-server`)
      expect(await metadata.json()).toMatchObject({ issuer: url })
    } finally {
      stop.abort()
    }
    await expect(running).resolves.toBe(0)
    await expect(fetch(url)).rejects.toThrow()
  })

  it('rejects with a usage error naming the sandbox port and --port when the port is taken', async () => {
    const other = await startSandbox({ port: 0 })
    try {
      const port = Number(new URL(other.url).port)
      const err = await executeSandbox({ port }, makeTestDeps()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UsageError)
      expect((err as UsageError).message).toBe(`the sandbox cannot listen on port ${port}: it is already in use (is another oauth-cli sandbox running?)`)
      expect((err as UsageError).hint).toContain('--port <n>')
      expect((err as UsageError).cause).toBeInstanceOf(ListenError)
    } finally {
      await other.close()
    }
  })

  it.each([{ port: 70_000 }, { port: 1.5 }, { accessTokenTtl: 0 }])('refuses %j as a usage error', async (opts) => {
    await expect(executeSandbox(opts, makeTestDeps())).rejects.toBeInstanceOf(UsageError)
  })
})
