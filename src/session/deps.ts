/**
 * The ports the session layer works through. The session layer owns them;
 * `cli/deps.ts` wires real adapters to them (lazily), tests wire fakes
 * (`test/fakes`). Nothing here imports an adapter.
 */
import type { RetryInfo } from '../http/retry'
import type { HttpClient } from '../http/types'
import type { StartCallbackServer } from '../oauth/callback-server'
import type { Browser } from '../platform/browser-port'
import type { Clock } from '../platform/clock'
import type { IO } from '../platform/io'
import type { Env } from '../platform/process'
import type { CredentialStore, Locker, StoreChoice } from '../store/credential-store'

export type { Env }

export interface SessionDeps {
  io: IO
  env: Env
  cwd: string
  homedir: string
  clock: Clock
  /** The HTTP client, traced when verbose; built on first use. */
  http(): Promise<HttpClient>
  /** Told before each retry wait (`--verbose` writes a trace line); see http/retry. */
  onRetry?: (info: RetryInfo) => void
  browser: Browser
  /** Picks the keychain or the file store; says once on stderr when it falls back. */
  openStore(choice: StoreChoice): Promise<CredentialStore>
  locker(): Promise<Locker>
  listen: StartCallbackServer
  /** Reads a text file; undefined when it does not exist. */
  readTextFile(path: string): Promise<string | undefined>
  /**
   * Reads a file the tool picks up unasked (`.env` in the working directory):
   * undefined when it does not exist, or when it is not a file only the user
   * could have written (platform/trusted-file.ts); a file left unread is said
   * once on stderr, with why and what to do.
   */
  readUnaskedFile(path: string): Promise<string | undefined>
}
