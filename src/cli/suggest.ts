/**
 * "Did you mean …?" for names typed on the command line (providers, shells).
 * Commander suggests commands and options itself; this covers the names it
 * does not know, such as providers from the config file.
 */
import { suggestClosest } from '../providers/schema'

/** The candidate closest to `input` by edit distance, when close enough to be a typo. */
export function suggestName(input: string, candidates: readonly string[]): string | undefined {
  return suggestClosest(input, candidates.filter((c) => c !== input))
}

/**
 * A hint with the suggestion first (`did you mean "livechat"?`), then the
 * original hint on its own line; the original alone when nothing is close.
 */
export function hintWithSuggestion(input: string, candidates: readonly string[], hint: string | undefined): string | undefined {
  const suggestion = suggestName(input, candidates)
  if (suggestion === undefined) return hint
  const line = `did you mean "${suggestion}"?`
  return hint ? `${line}\n${hint}` : line
}
