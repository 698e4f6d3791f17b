/**
 * Renders every command's `--help` through the real commander tree, for the
 * start-up fast path (`main.ts` prints these without loading commander). Run
 * at build time by scripts/build.mjs, which writes the result to dist/.
 */
import type { Deps } from './deps'
import { buildProgram, runCli } from './program'

export async function renderAllHelp(): Promise<Record<string, string>> {
  const names = (await buildProgram(captureDeps([]), {}, () => {}))
    .commands.filter((cmd) => !(cmd as unknown as { _hidden?: boolean })._hidden)
    .map((cmd) => cmd.name())
  const texts: Record<string, string> = {}
  for (const key of ['', ...names]) {
    const out: string[] = []
    const code = await runCli(key === '' ? ['--help'] : [key, '--help'], captureDeps(out))
    if (code !== 0) throw new Error(`help for "${key}" exited ${code}`)
    texts[key] = out.join('')
  }
  return texts
}

/** Just enough Deps for commander to print help into `out`. */
function captureDeps(out: string[]): Deps {
  const stream = { write: (chunk: string | Uint8Array) => void out.push(String(chunk)), isTTY: false }
  return { io: { stdout: stream, stderr: stream, stdinIsTTY: false, color: false } } as unknown as Deps
}
