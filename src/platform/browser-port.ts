import { isLoopbackRedirectUri } from './loopback-redirect'

/** The Browser port: opening a URL for the user is best effort, never fatal. */
export type OpenResult = { opened: true; via: string } | { opened: false; reason: string }

export interface Browser {
  open(url: string): Promise<OpenResult>
  /**
   * Why no browser can be opened here (CI, no display, an SSH session without
   * $BROWSER), without trying; undefined when opening is worth a try.
   */
  unavailableReason(): string | undefined
}

/**
 * Why no browser can be opened, decided from the environment alone (pure):
 * `$BROWSER` always gets a try; CI, a Linux session without a display, or an
 * SSH session without X forwarding do not (over SSH, `open` would start a
 * browser on the remote machine's screen, if any).
 */
export function browserUnavailableReason(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
): string | undefined {
  if (env.BROWSER?.trim()) return undefined
  if (env.CI) return 'CI'
  const graphical = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
  if (platform === 'linux' && !graphical) return 'no display'
  if ((env.SSH_CONNECTION || env.SSH_TTY) && !graphical) return 'SSH session'
  return undefined
}

/**
 * Whether a URL may be handed to a browser: `https:`, or `http:` on a loopback
 * host (the sandbox, a local provider). A `file:`, `javascript:` or custom-scheme
 * URL, or plain http elsewhere, chosen by a server (a device verification URI)
 * would open a local file, run script, or start another program.
 */
export function isBrowsableUrl(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.username || parsed.password) return false
  return parsed.protocol === 'https:' || isLoopbackRedirectUri(parsed)
}
