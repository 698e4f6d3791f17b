/**
 * Plain code-unit order for sorting names (providers, profiles: ASCII by
 * their rules). `localeCompare` would start ICU, ~6 ms of start-up on the
 * listing paths (`status`), for no difference in order that matters here.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
