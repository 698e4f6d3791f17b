/**
 * Opens the authorization URL: `$BROWSER` when set (as xdg-utils and Python's
 * webbrowser read it), else the `open` package. Best effort: it reports what
 * happened and never throws, so the caller can print the URL instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { browserUnavailableReason, type Browser, type OpenResult } from './browser-port'

/** How long a launched command may take to fail before we call it a success. */
export const EARLY_EXIT_MS = 1_000

type Env = Readonly<Record<string, string | undefined>>

export function createBrowser(ctx: { env: Env; platform: NodeJS.Platform }): Browser {
  return {
    unavailableReason: () => browserUnavailableReason(ctx.env, ctx.platform),
    open: async (url) => {
      try {
        const commands = ctx.env.BROWSER?.trim()
        if (commands) return await openWithBrowserVar(commands, url, ctx.platform)
        const blocked = browserUnavailableReason(ctx.env, ctx.platform)
        if (blocked) return { opened: false, reason: blocked }
        return await openWithPackage(url)
      } catch (err) {
        return { opened: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
  }
}


/** Tries each `$BROWSER` entry in turn (separated like PATH) until one starts and does not fail early. */
async function openWithBrowserVar(value: string, url: string, platform: NodeJS.Platform): Promise<OpenResult> {
  const reasons: string[] = []
  for (const entry of value.split(platform === 'win32' ? ';' : ':')) {
    const argv = splitCommand(entry)
    const [command, ...rest] = argv
    if (!command) continue
    // Like Python's webbrowser: `%s` marks where the URL goes, else it is appended.
    const args = rest.some((a) => a.includes('%s')) ? rest.map((a) => a.replaceAll('%s', url)) : [...rest, url]
    const failure = await launch(command, args)
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
function launch(command: string, args: string[]): Promise<string | undefined> {
  const child = spawn(command, args, { detached: true, stdio: 'ignore', shell: false, windowsHide: true })
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

async function openWithPackage(url: string): Promise<OpenResult> {
  const { default: open } = await import('open')
  const child = await open(url, { wait: false })
  const failure = await watchAfterSpawn(child)
  return failure ? { opened: false, reason: failure } : { opened: true, via: 'open' }
}

/** `open` resolves after the spawn; give its helper the same short chance to fail. */
function watchAfterSpawn(child: ChildProcess): Promise<string | undefined> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode === 0 ? undefined : `exited with code ${child.exitCode}`)
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), EARLY_EXIT_MS)
    const finish = (reason: string | undefined): void => {
      clearTimeout(timer)
      child.removeListener('exit', onExit)
      resolve(reason)
    }
    const onExit = (code: number | null): void => finish(code === 0 || code === null ? undefined : `exited with code ${code}`)
    child.once('exit', onExit)
  })
}
