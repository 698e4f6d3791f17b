/**
 * What the program needs of a Node process, so that only `src/main.ts` touches
 * the real `process` and tests can pass their own.
 */
import type { WarningEvents } from './warnings'

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
  /** Ctrl-C: the full CLI says "cancelled" and exits 130 instead of dying silently. Absent in tests. */
  once?(event: 'SIGINT', listener: () => void): unknown
  /** The node binary, for helper processes (the `open` launcher); `node` on PATH when absent. */
  execPath?: string
}
