/**
 * What the program needs of a Node process, so that only `src/main.ts` touches
 * the real `process` and tests can pass their own.
 */
import type { WarningEvents } from './warnings'

/** The signals a command ends on as at a Ctrl-C (cli/interrupt.ts): the first lets a refresh already sent be stored. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

/** Environment variables, read-only once the process has started. */
export type Env = Readonly<Record<string, string | undefined>>

/** Its warning events (WarningEvents): who prints process warnings, as platform/warnings.ts sees them. Absent in tests. */
export interface ProcessLike extends Partial<WarningEvents> {
  argv: string[]
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  cwd(): string
  /**
   * Ctrl-C, and the signals that ask a process to end (SIGTERM: `timeout`, a CI job's cancel, `docker stop`;
   * SIGHUP: a dropped SSH session): the CLI ends as at a Ctrl-C instead of dying silently. Absent in tests.
   */
  once?(event: StopSignal, listener: () => void): unknown
  off?(event: StopSignal, listener: () => void): unknown
  /** The node binary, for helper processes (the `open` launcher); `node` on PATH when absent. */
  execPath?: string
}
