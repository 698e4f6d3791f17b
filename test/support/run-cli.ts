/**
 * The end-to-end harness: spawns the real `bin/oauth-cli.cjs` with an environment
 * made only of what the test passes (plus PATH), and captures exit code, stdout
 * and stderr separately. Nothing leaks in from the developer's shell: no HOME,
 * CI, DISPLAY, BROWSER or proxy variables.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { chmodSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface CliRun {
  exitCode: number | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  env: Record<string, string>
  /** Written to stdin, which is then closed. */
  stdin?: string
  /** Leave stdin open for `writeStdin`/`endStdin` (spawnCli only). */
  keepStdinOpen?: boolean
  /** Default: the env's HOME (so no stray `.env` is read), else the temp dir. */
  cwd?: string
  /** Kill the CLI after this long and fail with what it printed. Default 20 s. */
  timeoutMs?: number
  /** Another script to run in place of bin/oauth-cli.cjs (for testing this harness). */
  entry?: string
}

export interface SpawnedCli {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  /** Resolves when stderr matches; rejects on timeout or exit, with the output so far. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Resolves on exit; rejects (after killing the CLI) when it outlives the timeout. */
  exited: Promise<CliRun>
  /**
   * Ends the CLI if it still runs (a sandbox a failed test never stopped): SIGTERM, then
   * SIGKILL after `graceMs`; resolves once it is gone, within a bound.
   */
  stop(graceMs?: number): Promise<void>
  writeStdin(text: string): void
  endStdin(): void
}

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI_BIN = fileURLToPath(new URL('../../bin/oauth-cli.cjs', import.meta.url))
/** The test `$BROWSER`; executable with a node shebang (PATH carries node's dir). */
export const BROWSER_FOLLOW = fileURLToPath(new URL('./browser-follow.mjs', import.meta.url))

ensureExecutable(BROWSER_FOLLOW)

function ensureExecutable(path: string): void {
  // A checkout may lose the mode bit; $BROWSER is run without a shell.
  if ((statSync(path).mode & 0o111) !== 0o111) chmodSync(path, 0o755)
}

/** PATH with node's own directory first, so `#!/usr/bin/env node` scripts find this node. */
export function testPath(): string {
  return [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter)
}

function describeRun(args: string[], run: CliRun): string {
  return `oauth-cli ${args.join(' ')}\n--- exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`
}

/** Every CLI spawned and not yet gone: a test that fails (or a worker that exits) must not leave one behind. */
const running = new Set<ChildProcessWithoutNullStreams>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Ends `child` if it still runs: `signal`, then SIGKILL after `graceMs`; resolves once it has exited (bounded). */
export async function stopChild(child: ChildProcessWithoutNullStreams, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const within = (ms: number): Promise<boolean> =>
    Promise.race([gone.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())])
  child.kill('SIGTERM')
  if (await within(graceMs)) return
  child.kill('SIGKILL')
  if (!(await within(5_000))) throw new Error(`pid ${child.pid} survived SIGKILL for 5 s`)
}

export function spawnCli(args: string[], opts: CliOptions): SpawnedCli {
  const env = { PATH: testPath(), ...opts.env }
  const child = spawn(process.execPath, [opts.entry ?? CLI_BIN, ...args], {
    cwd: opts.cwd ?? opts.env.HOME ?? tmpdir(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  // A CLI that exits without reading stdin makes writes fail with EPIPE; that is not the test's concern.
  child.stdin.on('error', () => {})
  if (opts.stdin !== undefined) child.stdin.write(opts.stdin)
  if (!opts.keepStdinOpen) child.stdin.end()
  const timeoutMs = opts.timeoutMs ?? 20_000
  const exited = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out after ${timeoutMs} ms\n${describeRun(args, { exitCode: null, stdout: out, stderr: err })}`))
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    // 'close', not 'exit': all output has arrived by then.
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code, stdout: out, stderr: err })
    })
  })
  // The test may never await `exited` after a failed assertion; keep that from surfacing as unhandled.
  exited.catch(() => {})
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStderr: (re, waitMs = 10_000) => waitForMatch(() => err, re, waitMs, child, exited, args),
    exited,
    stop: (graceMs) => stopChild(child, graceMs),
    writeStdin: (text) => void child.stdin.write(text),
    endStdin: () => void child.stdin.end(),
  }
}

function waitForMatch(
  text: () => string,
  re: RegExp,
  timeoutMs: number,
  child: ChildProcessWithoutNullStreams,
  exited: Promise<CliRun>,
  args: string[],
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = text().match(re)
      if (m) finish(() => resolve(m))
      return m !== null
    }
    const onData = (): void => void check()
    const finish = (settle: () => void): void => {
      clearTimeout(timer)
      child.stderr.off('data', onData)
      settle()
    }
    const timer = setTimeout(
      () => finish(() => reject(new Error(`stderr did not match ${re} within ${timeoutMs} ms\n--- stderr\n${text()}`))),
      timeoutMs,
    )
    child.stderr.on('data', onData)
    exited.then(
      (run) => {
        if (!check()) finish(() => reject(new Error(`exited before stderr matched ${re}\n${describeRun(args, run)}`)))
      },
      () => {},
    )
    check()
  })
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: CliOptions): Promise<CliRun> {
  return spawnCli(args, { ...opts, keepStdinOpen: false }).exited
}

/** A readable dump of a run, for assertion messages. */
export function show(args: string[], run: CliRun): string {
  return describeRun(args, run)
}
