/**
 * Opens the authorization URL: `$BROWSER` when set (as xdg-utils and Python's
 * webbrowser read it), else the `open` package. Best effort: it reports what
 * happened and never throws, so the caller can print the URL instead.
 *
 * The browser is another program (extensions, crash reporters, its own
 * children): it is started with the environment minus every secret the tool
 * knows of (platform/secret-env.ts). The `open` package has no `env` option and
 * would pass on this process's whole environment, so it runs in a small node
 * helper process that is itself started without the secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { browserUnavailableReason, isBrowsableUrl, type Browser, type OpenResult } from './browser-port'
import type { Env } from './process'
import { childEnv } from './secret-env'

/** How long a launched command may take to fail before we call it a success. */
export const EARLY_EXIT_MS = 1_000


export function createBrowser(ctx: { env: Env; platform: NodeJS.Platform; execPath?: string }): Browser {
  return {
    unavailableReason: () => browserUnavailableReason(ctx.env, ctx.platform),
    open: async (url) => {
      // Defence in depth: callers check first and say why (session/login-flows.ts).
      if (!isBrowsableUrl(url)) return { opened: false, reason: 'not an https: URL' }
      try {
        const env = childEnv(ctx.env)
        const commands = ctx.env.BROWSER?.trim()
        if (commands) return await openWithBrowserVar(commands, url, ctx.platform, env)
        const blocked = browserUnavailableReason(ctx.env, ctx.platform)
        if (blocked) return { opened: false, reason: blocked }
        return await openWithPackage(url, env, ctx.execPath ?? 'node')
      } catch (err) {
        return { opened: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
  }
}


/** Tries each `$BROWSER` entry in turn (separated like PATH) until one starts and does not fail early. */
async function openWithBrowserVar(value: string, url: string, platform: NodeJS.Platform, env: Env): Promise<OpenResult> {
  const reasons: string[] = []
  for (const entry of value.split(platform === 'win32' ? ';' : ':')) {
    const argv = splitCommand(entry)
    const [command, ...rest] = argv
    if (!command) continue
    // Like Python's webbrowser: `%s` marks where the URL goes, else it is appended.
    const args = rest.some((a) => a.includes('%s')) ? rest.map((a) => a.replaceAll('%s', url)) : [...rest, url]
    const failure = await launch(command, args, env)
    if (!failure) return { opened: true, via: `$BROWSER (${command})` }
    reasons.push(`${command}: ${failure}`)
  }
  return { opened: false, reason: reasons.length ? reasons.join('; ') : '$BROWSER names no command' }
}

/**
 * The `$BROWSER` entries whose command cannot be found (not on PATH, or not an
 * executable file), for `doctor`; nothing is run.
 */
export async function missingBrowserCommands(env: Env, platform: NodeJS.Platform): Promise<string[]> {
  const entries = (env.BROWSER ?? '').split(platform === 'win32' ? ';' : ':')
  const commands = entries.map((entry) => splitCommand(entry)[0]).filter((c): c is string => Boolean(c))
  const found = await Promise.all(commands.map((command) => findExecutable(command, env, platform)))
  return commands.filter((_, i) => !found[i])
}

async function findExecutable(command: string, env: Env, platform: NodeJS.Platform): Promise<boolean> {
  const { access, stat } = await import('node:fs/promises')
  const { constants } = await import('node:fs')
  const { delimiter, isAbsolute, join } = await import('node:path')
  const isFile = async (path: string): Promise<boolean> => {
    try {
      await access(path, platform === 'win32' ? constants.F_OK : constants.X_OK)
      return (await stat(path)).isFile()
    } catch {
      return false
    }
  }
  if (isAbsolute(command) || command.includes('/')) return isFile(command)
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : ['']
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of extensions) if (await isFile(join(dir, command + ext))) return true
  }
  return false
}

/** Splits a command line on whitespace, honouring simple single and double quotes. No shell. */
export function splitCommand(line: string): string[] {
  const args: string[] = []
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g
  for (const match of line.matchAll(pattern)) args.push(match[1] ?? match[2] ?? match[3] ?? '')
  return args
}

/** Starts a detached command; resolves to a failure reason, or undefined when it looks fine. */
function launch(command: string, args: string[], env: Env): Promise<string | undefined> {
  const child = spawn(command, args, { detached: true, stdio: 'ignore', shell: false, windowsHide: true, env })
  return watchEarlyExit(child)
}

/**
 * Waits for the spawn, then up to EARLY_EXIT_MS for a failing exit: xdg-open
 * and friends exit non-zero at once when they find nothing to open with.
 */
function watchEarlyExit(child: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const done = (reason: string | undefined): void => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.removeAllListeners('spawn')
      child.removeAllListeners('error')
      // A late error must not crash the process.
      child.on('error', () => undefined)
      child.unref()
      resolve(reason)
    }
    child.once('error', (err) => done(err.message))
    child.once('exit', (code, signal) => {
      if (code === 0) done(undefined)
      else done(signal ? `killed by ${signal}` : `exited with code ${code}`)
    })
    child.once('spawn', () => {
      if (child.exitCode === null) timer = setTimeout(() => done(undefined), EARLY_EXIT_MS)
    })
  })
}

/**
 * The helper: imports `open`, opens the URL, and exits 0 once the opener has
 * run for EARLY_EXIT_MS without failing (1 when it failed), as the in-process
 * check did. Arguments: the `open` module's URL, then the URL to open. (It runs
 * in the helper process, so the `process` it touches is the helper's own.)
 */
const OPEN_HELPER = `
const helper = globalThis.process
const [moduleUrl, target] = helper.argv.slice(1)
const { default: open } = await import(moduleUrl)
const child = await open(target, { wait: false })
const end = (ok) => helper.exit(ok ? 0 : 1)
if (child.exitCode !== null) end(child.exitCode === 0)
child.once('error', () => end(false))
child.once('exit', (code) => end(code === 0 || code === null))
setTimeout(() => end(true), ${EARLY_EXIT_MS})
`

/** Bound on the helper's whole life: node start-up, `open`, and its own EARLY_EXIT_MS. */
const HELPER_LIMIT_MS = 10_000

async function openWithPackage(url: string, env: Env, execPath: string): Promise<OpenResult> {
  const moduleUrl = import.meta.resolve('open')
  const child = spawn(execPath, ['--input-type=module', '-e', OPEN_HELPER, moduleUrl, url], {
    stdio: 'ignore',
    shell: false,
    windowsHide: true,
    env,
  })
  const failure = await watchHelper(child)
  return failure ? { opened: false, reason: failure } : { opened: true, via: 'open' }
}

/** Waits for the helper to say whether the opener failed; one that outlives the bound is taken as opened. */
function watchHelper(child: ChildProcess): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), HELPER_LIMIT_MS)
    const finish = (reason: string | undefined): void => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.removeAllListeners('error')
      child.on('error', () => undefined)
      child.unref()
      resolve(reason)
    }
    child.once('error', (err) => finish(err.message))
    child.once('exit', (code) => finish(code === 0 ? undefined : 'the system browser opener failed'))
  })
}
