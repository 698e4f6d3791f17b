/**
 * The port of the one-shot loopback listener (implemented in `oauth/loopback.ts`).
 * It accepts exactly one callback with the right path and the right `state`;
 * anything else gets an HTTP 400 page and is otherwise ignored.
 */
import type { State } from './types'

export interface CallbackServerOptions {
  /** A loopback `http:` redirect URI. Port 0 means "pick a free port". */
  redirectUri: URL
  expectedState: State
  /** Named on the success and error pages. */
  providerName: string
  profile: string
  /** Aborting closes the listener and rejects `waitForCallback`. */
  signal?: AbortSignal
}

/** `relayed`: the code goes on to another machine (`authorize`), so the page says to paste, not "signed in". */
export type CallbackOutcome = { ok: true; relayed?: boolean } | { ok: false; message: string }

export interface ReceivedCallback {
  /** The callback's query parameters: the right state, and `code` or `error`. */
  params: URLSearchParams
  /**
   * Answers the browser's pending request with the success or error page.
   * Called once, after the code exchange, so the page tells the truth.
   */
  respond(outcome: CallbackOutcome): Promise<void>
}

export interface CallbackServer {
  /** The redirect URI actually served (with the port filled in when it was 0). */
  readonly redirectUri: string
  /**
   * A short address (`http://127.0.0.1:PORT/`) that redirects to `url`, for
   * terminals where the long authorization URL is hard to copy. Undefined
   * when the callback path is `/` itself.
   */
  setLandingRedirect(url: string): string | undefined
  waitForCallback(): Promise<ReceivedCallback>
  close(): Promise<void>
}

/** Thrown when the listener cannot bind. */
export class ListenError extends Error {
  readonly code: 'port_in_use' | 'permission' | 'other'
  readonly port: number
  readonly host: string
  constructor(code: ListenError['code'], host: string, port: number, options?: { cause?: unknown }) {
    super(
      code === 'port_in_use'
        ? `port ${port} on ${host} is already in use`
        : `cannot listen on ${host}:${port}`,
      options,
    )
    this.name = 'ListenError'
    this.code = code
    this.port = port
    this.host = host
  }
}

export type StartCallbackServer = (options: CallbackServerOptions) => Promise<CallbackServer>
