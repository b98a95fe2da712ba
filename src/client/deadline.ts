// The deadline of one push request (`clients[].timeout`, as Go's http.Client.Timeout: connect,
// headers and body together). It is a plain timer the request holds until done() clears it, not
// `AbortSignal.timeout()`: on Node 20 a timeout signal combined with `AbortSignal.any()` can be
// garbage-collected before it fires, and a Loki that accepts the connection and never answers
// then stalls the client for good.

import { type LongTimeout, setLongTimeout } from '../timers.js';

export class RequestDeadline {
  /** Aborts when the deadline passes or `parent` aborts, whichever comes first. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: LongTimeout | undefined;
  private readonly onParentAbort: () => void;
  private expired = false;

  /** `timeoutMs` 0 (or less) means no deadline, as for Go's http.Client. */
  constructor(
    private readonly parent: AbortSignal,
    readonly timeoutMs: number,
  ) {
    this.signal = this.controller.signal;
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    if (timeoutMs > 0) {
      this.timer = setLongTimeout(() => {
        this.expired = true;
        this.controller.abort(new DOMException(`timeout after ${timeoutMs}ms`, 'TimeoutError'));
      }, timeoutMs);
    }
  }

  /** True when the request was aborted because its deadline passed. */
  get timedOut(): boolean {
    return this.expired;
  }

  /** The request is over (answered, failed or aborted): clears the timer and the listener. */
  done(): void {
    this.timer?.clear();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
