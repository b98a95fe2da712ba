// Timers with delays that come from the config. Node's setTimeout and setInterval take at most
// 2^31-1 ms (about 24.8 days); a longer delay becomes 1 ms with only a warning, so
// `graceful_shutdown_timeout: 720h` would end the wait at once and `sync_period: 720h` would spin.
// `timerDelay` clamps a delay for setTimeout/setInterval; `setLongTimeout` waits the full time by
// chaining timers, for the waits where the exact length matters.

/** The longest delay Node's timers accept. */
export const maxTimerDelayMs = 2 ** 31 - 1;

/** A delay Node's timers take as it is: 0 for negative or NaN, at most `maxTimerDelayMs`. */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms > maxTimerDelayMs ? maxTimerDelayMs : ms;
}

/** A timeout of any length; `clear()` cancels it. */
export interface LongTimeout {
  clear(): void;
  /** Lets the process exit while only this timer is pending. */
  unref(): LongTimeout;
}

/** Calls `fn` once after `ms` milliseconds, however long that is (chained timers past 24.8 days). */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  let remaining = ms > 0 ? ms : 0;
  let referenced = true;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const step = timerDelay(remaining);
    remaining -= step;
    timer = setTimeout(remaining > 0 ? arm : fn, step);
    if (!referenced) timer.unref();
  };
  arm();
  return {
    clear() {
      clearTimeout(timer);
    },
    unref() {
      referenced = false;
      timer.unref();
      return this;
    },
  };
}
