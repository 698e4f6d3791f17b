/**
 * Human and --json renderers. Colour only when io.color allows it (a TTY, no
 * NO_COLOR, no --no-color). Renderers return text; callers write it.
 */
import { escapeControls } from '../platform/terminal-text'
import type { ProviderListing } from '../providers/resolve'
import type { CredentialSummary } from './summary'

export interface Paint {
  bold(s: string): string
  dim(s: string): string
  green(s: string): string
  yellow(s: string): string
  red(s: string): string
}

/** Columns human output fits in on a terminal, whatever its size: `--help` (also precomputed at build time) and `doctor`. */
export const TERMINAL_WIDTH = 80

const plain: Paint = { bold: (s) => s, dim: (s) => s, green: (s) => s, yellow: (s) => s, red: (s) => s }
const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`
const ansi: Paint = { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39) }

export function paint(color: boolean): Paint {
  return color ? ansi : plain
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

export function describeExpiry(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return 'no expiry'
  const ms = Date.parse(expiresAt) - now
  if (ms <= 0) return `expired ${expiresAt}`
  // Under a minute, minutes would round to "0 min": say seconds.
  if (ms < 60_000) return `expires in ${Math.floor(ms / 1000)} s (${expiresAt})`
  const minutes = Math.round(ms / 60_000)
  const span = minutes < 90 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} d`
  return `expires in ${span} (${expiresAt})`
}

export function renderStatus(rows: CredentialSummary[], now: number, p: Paint): string {
  const table = rows.map((r) => [
    r.provider,
    r.profile,
    r.token_type === 'static' ? 'static credential' : describeExpiry(r.expires_at, now),
    r.scope || '-',
    r.token_type === 'static' ? '-' : r.refreshable ? 'yes' : 'no',
    r.store_location ? `${r.store} ${r.store_location}` : r.store,
  ])
  return formatTable(['PROVIDER', 'PROFILE', 'EXPIRY', 'SCOPES', 'REFRESHABLE', 'STORE'], table, p)
}

export function renderProviders(rows: ProviderListing[], p: Paint): string {
  const lines: string[] = []
  for (const row of rows) {
    const c = row.config
    lines.push(`${p.bold(row.name)}  ${p.dim(`(${row.source})`)}${c.display_name ? `  ${c.display_name}` : ''}`)
    const fields: Array<[string, string | undefined]> = [
      ['issuer', c.issuer],
      ['authorize', c.authorization_endpoint],
      ['token', c.token_endpoint && `${c.token_endpoint}${c.token_request_encoding === 'json' ? ' (JSON body)' : ''}`],
      ['revoke', c.revocation_endpoint && `${c.revocation_endpoint}${c.revocation_style === 'delete_bearer' ? ' (DELETE)' : ''}`],
      ['device', c.device_authorization_endpoint],
      ['api', c.api_base_url],
      ['redirect', c.redirect_uri ?? (c.redirect_uri_required && `none by default: ${c.redirect_uri_required}; set it with --redirect-uri or redirect_uri (an HTTPS URL means paste mode)`)],
      ['login', c.default_login === 'static' ? `static credential (${c.static_credential?.format}); --oauth for OAuth` : undefined],
    ]
    for (const [label, value] of fields) if (value) lines.push(`  ${label.padEnd(9)} ${value}`)
    if (c.unverified) lines.push(`  ${p.yellow('unverified')} ${c.unverified}`)
  }
  return `${lines.join('\n')}\n`
}

export function providersJson(rows: ProviderListing[]): unknown[] {
  return rows.map((row) => ({ name: row.name, source: row.source, ...withoutSecrets(row.config) }))
}

function withoutSecrets<T extends { client_secret?: string }>(config: T): Omit<T, 'client_secret'> {
  const { client_secret: _secret, ...rest } = config
  return rest
}

function formatTable(head: string[], cells: string[][], p: Paint): string {
  // Scopes and the like come from the provider's token response: shown, never obeyed.
  const rows = cells.map((row) => row.map((cell) => escapeControls(cell)))
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return `${p.bold(line(head))}\n${rows.map(line).join('\n')}\n`
}
