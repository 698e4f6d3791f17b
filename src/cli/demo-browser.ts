/** The demo's browser where no real one can open. */
import type { HttpClient } from '../http/types'
import { isLoopbackRedirectUri } from '../platform/loopback-redirect'
import type { Browser, OpenResult } from '../platform/browser-port'

/**
 * A Browser for machines without one: it sends the authorization request over
 * HTTP and follows the sandbox's redirect to the loopback callback, as a browser
 * would after Allow. Only loopback redirects are followed. The callback's page
 * (held by the listener until the exchange is done) is handed to `onLanding`.
 */
export function createApprovingBrowser(http: () => Promise<HttpClient>, onLanding: (page: Promise<string | undefined>) => void): Browser {
  return {
    unavailableReason: () => undefined,
    open: async (url): Promise<OpenResult> => {
      try {
        const client = await http()
        const answer = await client(url, { redirect: 'manual' })
        const location = answer.headers.get('location')
        if (answer.status < 300 || answer.status > 399 || !location) return { opened: false, reason: `the sandbox answered HTTP ${answer.status}` }
        const target = new URL(location, url)
        if (!isLoopbackRedirectUri(target)) {
          return { opened: false, reason: 'the sandbox redirected away from the loopback address' }
        }
        onLanding(client(target.href, { redirect: 'manual' }).then((res) => res.text(), () => undefined))
        return { opened: true, via: 'the demo\'s approver' }
      } catch (err) {
        return { opened: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
  }
}
