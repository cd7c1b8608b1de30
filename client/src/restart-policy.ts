// When the client restarts a language server that stopped unexpectedly: up to MAX_RESTARTS times
// within RESTART_WINDOW_MS; the crash after that stops it for good (until the user restarts it). No
// `vscode` import, so it is unit-tested in plain Node (test/unit/lsp-process.test.ts) and the e2e suite
// can import the messages it expects.

export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 3 * 60 * 1000;

export const RESTARTED_MESSAGE = "Loopguard's language server stopped unexpectedly and was restarted.";

export function stoppedMessage(policy: Pick<RestartPolicy, 'maxRestarts' | 'windowMs'>): string {
  return `Loopguard's language server stopped unexpectedly ${policy.maxRestarts + 1} times in ${Math.round(policy.windowMs / 60_000)} minutes and was not restarted.`;
}

export class RestartPolicy {
  /** times of the crashes within the window, oldest first */
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = MAX_RESTARTS,
    readonly windowMs = RESTART_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server stopped unexpectedly: restart it, or stop (the crashes come too often). */
  crashed(): 'restart' | 'stop' {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length <= this.maxRestarts ? 'restart' : 'stop';
  }

  /** The user restarted the server: earlier crashes no longer count. */
  reset(): void {
    this.crashes = [];
  }
}
