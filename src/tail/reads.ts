// What the tailers of a process share for reading: a limit on reads in flight (libuv's thread
// pool runs that many at once anyway, and a read waiting here holds no buffer) and a pool of read
// chunks, so a node with hundreds of files does not hold a chunk per file between reads.

const maxConcurrentReads = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
let readsInFlight = 0;
const readWaiters: (() => void)[] = [];

/** Takes a read slot: undefined when one is free now, else a promise for the next free one. */
export function acquireRead(): Promise<void> | undefined {
  if (readsInFlight < maxConcurrentReads) {
    readsInFlight++;
    return undefined;
  }
  return new Promise((resolve) => readWaiters.push(resolve));
}

/** Hands the slot to the next waiting read, if any. */
export function releaseRead(): void {
  const next = readWaiters.shift();
  if (next !== undefined) next();
  else readsInFlight--;
}

/** Free read chunks by size. */
const chunkPool = new Map<number, Buffer[]>();

export function takeChunk(size: number): Buffer {
  return chunkPool.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

export function giveChunk(buf: Buffer): void {
  let free = chunkPool.get(buf.length);
  if (free === undefined) {
    free = [];
    chunkPool.set(buf.length, free);
  }
  if (free.length < maxConcurrentReads) free.push(buf);
}
