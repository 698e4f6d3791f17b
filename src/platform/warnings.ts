/**
 * Node prints each process warning on stderr. One of them is a dependency
 * speaking of itself, which a user can do nothing about: undici's "SOCKS5
 * proxy support is experimental", printed the first time a socks5:// proxy
 * carries a request. The full CLI drops that one (only that one) by wrapping
 * whatever listens for warnings: Node's printer, absent under --no-warnings or
 * NODE_NO_WARNINGS=1, and anything else that does.
 */

/** The part of a Node process this needs; absent (as in tests), nothing changes. */
export interface WarningEvents {
  listeners(event: 'warning'): Function[]
  removeListener(event: 'warning', listener: (warning: Error) => void): unknown
  on(event: 'warning', listener: (warning: Error) => void): unknown
}

export function dropDependencyWarnings(events: Partial<WarningEvents>): void {
  if (!events.listeners || !events.removeListener || !events.on) return
  for (const listener of events.listeners('warning')) {
    const print = listener as (warning: Error) => void
    events.removeListener('warning', print)
    events.on('warning', (warning: Error) => {
      if (!isDependencyNoise(warning)) print.call(events, warning)
    })
  }
}

/** undici's notice that its SOCKS5 agent is experimental: the proxy works, and nothing in the tool's use of it is the user's to change. */
function isDependencyNoise(warning: Error): boolean {
  return warning.name === 'ExperimentalWarning' && warning.message.startsWith('SOCKS5 proxy support is experimental')
}
