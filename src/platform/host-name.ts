/**
 * This machine's name, as os.hostname() gives it, without loading node:os
 * (about 0.2 ms, on a refresh's critical path: every lock record names its
 * host). On Linux gethostname() is the kernel's UTS node name, which
 * /proc/sys/kernel/hostname shows (for this process's UTS namespace, as
 * gethostname() does); elsewhere, or where /proc is not mounted, os.hostname().
 * Read once per process.
 */
import { readFileSync } from 'node:fs'

let cached: string | undefined

export function hostName(): string {
  cached ??= fromProc() ?? process.getBuiltinModule('node:os').hostname()
  return cached
}

function fromProc(): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const name = readFileSync('/proc/sys/kernel/hostname', 'utf8').replace(/\n$/, '')
    return name === '' ? undefined : name
  } catch {
    return undefined
  }
}
