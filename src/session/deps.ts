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
  /**
   * Reads a text file; undefined when it does not exist. With `settings`, the
   * file decides where secrets go (the config file names the endpoints they
   * are sent to): it is read only when it is a regular file that no other user
   * could have written (platform/trusted-file.ts), and otherwise refused with
   * an InputError saying how to fix it, as SPEC says of the credential files.
   */
  readTextFile(path: string, options?: { settings?: boolean }): Promise<string | undefined>
  /**
   * Reads a file the tool picks up unasked (`.env` in the working directory):
   * undefined when it does not exist, or when it is not a file only the user
   * could have written (platform/trusted-file.ts); a file left unread is said
   * once on stderr, with why and what to do.
   */
  readUnaskedFile(path: string): Promise<string | undefined>
  /** Ctrl-C, where the command's root reports it (session/interrupt.ts); absent: nothing interrupts the work. */
  interrupt?: Interrupt
}

/**
 * The user's Ctrl-C, as the root that reports it sees it (cli/interrupt.ts):
 * the command is said to be cancelled at once, `signal` aborts (with a
 * CancelledError), and the process ends only once every work handed to
 * `finish` has settled. Such work (a refresh under its lock: a write check's
 * temp file, a save, the lock's release) stops where it can, sends nothing more
 * and aborts a request in flight, but is never cut off half-way through a
 * file operation (session/interrupt.ts).
 */
export interface Interrupt {
  readonly signal: AbortSignal
  finish(work: Promise<unknown>): void
  /**
   * A request whose answer may hold the only copy of issued tokens (a refresh
   * at a rotating provider, a login's code exchange) is going out: from now on
   * a Ctrl-C lets the work handed to `finish` settle (bounded by its own
   * deadline) before the command is said to be cancelled, or fails with that
   * work's own failure. `what`: the request, as the Ctrl-C's line names it
   * (default "the refresh").
   */
  awaitAnswer?(what?: string): void
}
