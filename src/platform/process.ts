/**
 * What the program needs of a Node process, so that only `src/main.ts` touches
 * the real `process` and tests can pass their own.
 */

/** Environment variables, read-only once the process has started. */
export type Env = Readonly<Record<string, string | undefined>>

export interface ProcessLike {
  argv: string[]
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  cwd(): string
  /** Ctrl-C: the full CLI says "cancelled" and exits 130 instead of dying silently. Absent in tests. */
  once?(event: 'SIGINT', listener: () => void): unknown
  /** Who prints process warnings (platform/warnings.ts drops a dependency's notice about itself). Absent in tests. */
  listeners?(event: 'warning'): Function[]
  removeListener?(event: 'warning', listener: (warning: Error) => void): unknown
  on?(event: 'warning', listener: (warning: Error) => void): unknown
  /** The node binary, for helper processes (the `open` launcher); `node` on PATH when absent. */
  execPath?: string
}
