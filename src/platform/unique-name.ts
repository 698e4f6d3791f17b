/**
 * Random hex for names that must only never collide: temp files, a lock's
 * nonce. Without node:crypto, whose loading costs about 3 ms, more than a
 * third of a refresh's own work. Uniqueness is all these names need, not
 * unpredictability: they live in the user's private (0700) directories, each
 * is created with O_EXCL (or link(), which fails the same way), and a lock's
 * nonce only tells one holder's record from another's. V8 seeds Math.random
 * from the system's entropy in every process (never from the start-up
 * snapshot), so two processes, or two names in one, do not repeat.
 */
export function randomHex(bytes: number): string {
  let hex = ''
  while (hex.length < 2 * bytes) hex += Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0')
  return hex.slice(0, 2 * bytes)
}
