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
