/**
 * The proxy variables, read one way for everyone who reads them: the proxy
 * client (which proxy a request goes through, NO_PROXY included), its errors
 * (which proxy failed, shown without the credentials its URL may carry) and
 * `doctor` (what is set, and the one wording for a variable that names no
 * proxy). Pure: no I/O, no undici.
 */
import type { Env } from '../platform/process'

/** The schemes undici's proxy agent speaks. */
const PROXY_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'socks5:', 'socks:'])

export function usesProxy(env: Env): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy)
}

/**
 * The proxy a variable's value names; undefined when it names none. A value
 * without a scheme (`proxy.example:3128`) is read as curl and Go read it, as http://.
 */
export function proxyUrl(value: string): URL | undefined {
  try {
    const url = new URL(value.includes('://') ? value : `http://${value}`)
    return PROXY_SCHEMES.has(url.protocol) && url.hostname !== '' ? url : undefined
  } catch {
    return undefined
  }
}

/** A proxy, and the variable that named it. */
export interface ProxyChoice {
  variable: string
  url: URL
}

/** What the proxy variables say: a proxy for plain-http and for https targets (either may be absent), and NO_PROXY. */
export interface ProxySettings {
  http?: ProxyChoice
  https?: ProxyChoice
  noProxy: string
  /** The variable NO_PROXY was read from: `no_proxy` when set, else `NO_PROXY`. */
  noProxyVariable: 'no_proxy' | 'NO_PROXY'
}

/** A variable that names no proxy: the message and the fix, the same from the client and from `doctor`. */
export function invalidProxyVariable(variable: string): { message: string; hint: string } {
  return {
    // Never the value: it may hold the proxy's password.
    message: `${variable} is not the URL of a proxy`,
    hint: `set ${variable} to the proxy's URL, such as http://proxy.example:3128 (http, https or socks5), or unset it`,
  }
}

/**
 * Reads the proxy variables as the client uses them: for each scheme the
 * lower-case variable when it is set (even empty), else the upper-case one;
 * https targets without an https proxy go through the http one (as undici's
 * EnvHttpProxyAgent does). Throws what `invalid` makes of a variable that
 * names no proxy.
 */
export function readProxySettings(env: Env, invalid: (variable: string) => Error): ProxySettings {
  const http = proxyFrom(env, 'http_proxy', 'HTTP_PROXY', invalid)
  const https = proxyFrom(env, 'https_proxy', 'HTTPS_PROXY', invalid) ?? http
  const noProxyVariable = env.no_proxy !== undefined ? 'no_proxy' : 'NO_PROXY'
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy: env[noProxyVariable] ?? '', noProxyVariable }
}

function proxyFrom(env: Env, lower: string, upper: string, invalid: (variable: string) => Error): ProxyChoice | undefined {
  const variable = env[lower] !== undefined ? lower : upper
  const value = env[variable] ?? ''
  if (value === '') return undefined
  const url = proxyUrl(value)
  if (!url) throw invalid(variable)
  return { variable, url }
}

/**
 * The proxy a request to `target` goes through; undefined when it goes direct
 * (no proxy for its scheme, or its host in NO_PROXY). NO_PROXY is read as
 * undici reads it: entries split on commas and spaces, `host` or `host:port`,
 * a leading `.` or `*.` dropped, a host matching itself and its subdomains,
 * `*` alone matching every host.
 */
export function proxyFor(settings: ProxySettings, target: URL): ProxyChoice | undefined {
  const choice = target.protocol === 'https:' ? settings.https : settings.http
  if (!choice) return undefined
  return bypassesProxy(settings.noProxy, target) ? undefined : choice
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 }

function bypassesProxy(noProxy: string, target: URL): boolean {
  const entries = noProxy.split(/[,\s]/).filter(Boolean)
  if (entries.length === 0) return false
  if (noProxy === '*') return true
  // Brackets kept around an IPv6 address, as NO_PROXY writes it.
  const hostname = target.host.replace(/:\d*$/, '').toLowerCase()
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0
  return entries.some((entry) => {
    const parsed = /^(.+):(\d+)$/.exec(entry)
    const host = (parsed ? parsed[1]! : entry).replace(/^\*?\./, '').toLowerCase()
    const entryPort = parsed ? Number.parseInt(parsed[2]!, 10) : 0
    if (entryPort && entryPort !== port) return false
    return hostname === host || hostname.endsWith(`.${host}`)
  })
}

/** A proxy as messages show it: scheme, host and port, never the user name or password in its URL. */
export function describeProxy(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '1080')
  return `${url.hostname}:${port}`
}
