/** Says on stderr what was odd in a token answer whose tokens were kept anyway (TokenSet.notes). */
import type { SessionDeps } from './deps'
import type { TokenSet } from '../oauth/types'

export function sayTokenNotes(tokens: TokenSet, deps: Pick<SessionDeps, 'io'>): void {
  for (const note of tokens.notes ?? []) deps.io.stderr.write(`oauth-cli: warning: ${note}\n`)
}
