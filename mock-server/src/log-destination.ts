/**
 * Where the process's JSON logs go: standard output, written in order, by the main thread only, and
 * never waiting for a reader.
 *
 * One writer keeps the order. sonic-boom (pino's writer) wrote asynchronously on libuv's thread
 * pool, and its synchronous flush at exit wrote what was still buffered while the write before it
 * was in flight: in about 3 of 8 shutdowns `stopped` reached the log before `shutting down`. Here
 * every write is a synchronous write(2) from the main thread, so a line never overtakes another.
 *
 * It never blocks on a pipe or a socket: reading process.stdout makes libuv put such an fd in
 * non-blocking mode, so a write meets EAGAIN on a full pipe rather than wait for the reader. Then:
 * - a reader that is only slow gets the lines later: they wait here, in order, and are tried again
 *   every RETRY_MS; up to MAX_BUFFERED_BYTES wait, beyond which new lines are dropped, so memory
 *   stays bounded while the pipe is full;
 * - a write error (EPIPE: the reader is gone; or any other) ends logging, never the process;
 * - at exit, one attempt at what still waits, with no retry on a full pipe: the exit is never held
 *   by its own output.
 * A file or a terminal is written as pino's default destination writes it: synchronously.
 */
import { writeSync } from 'node:fs';

/** Lines waiting for a slow reader, at most; beyond it new lines are dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How long a full pipe is left alone before the waiting lines are tried again. */
const RETRY_MS = 100;
/** The most one write(2) is handed: what a pipe holds several times over. */
const MAX_WRITE_BYTES = 256 * 1024;

export interface LogDestination {
  /** The stream to give pino. */
  readonly stream: { write(line: string): void };
  /** Writes what is still waiting, in one attempt that never waits; then the destination is done. */
  flushBeforeExit(): void;
  /** Lines dropped because the reader was too slow or gone. */
  dropped(): number;
}

function isFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

export function createStdoutLogDestination(): LogDestination {
  const fd = process.stdout.fd ?? 1; // first, so that a pipe's fd is non-blocking (see above)
  return createFdLogDestination(fd);
}

/** The destination over any fd already open for writing (standard output in production). */
export function createFdLogDestination(fd: number): LogDestination {
  /** Bytes not yet written, oldest first. */
  const waiting: Buffer[] = [];
  let waitingBytes = 0;
  let retry: NodeJS.Timeout | undefined;
  let exiting = false;
  let broken = false;
  let dropped = 0;

  /** Gives up on what waits, counting its lines (a partly written one included) as dropped. */
  function dropWaiting(): void {
    for (const chunk of waiting) {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) dropped++;
    }
    waiting.length = 0;
    waitingBytes = 0;
  }

  /** Writes what waits until it is all written, the pipe is full (false) or the fd broke. */
  function writeWaiting(): boolean {
    while (waiting.length > 0 && !broken) {
      const chunk = waiting.length === 1 ? waiting[0]! : Buffer.concat(waiting, waitingBytes);
      const part = chunk.length > MAX_WRITE_BYTES ? chunk.subarray(0, MAX_WRITE_BYTES) : chunk;
      let written: number;
      try {
        written = writeSync(fd, part);
      } catch (err) {
        if (isFull(err)) return false;
        broken = true; // EPIPE or worse: nobody will read these lines
        dropWaiting();
        return true;
      }
      const rest = chunk.subarray(written);
      waiting.length = 0;
      if (rest.length > 0) waiting.push(rest);
      waitingBytes = rest.length;
    }
    return true;
  }

  function writeOrWait(): void {
    if (writeWaiting() || retry || exiting) return;
    retry = setTimeout(() => {
      retry = undefined;
      writeOrWait();
    }, RETRY_MS);
    retry.unref(); // the server keeps the process alive; the exit writes what still waits
  }

  return {
    stream: {
      write(line: string) {
        if (broken || exiting) {
          dropped++;
          return;
        }
        const bytes = Buffer.from(line, 'utf8');
        if (waitingBytes + bytes.length > MAX_BUFFERED_BYTES) {
          dropped++;
          return;
        }
        waiting.push(bytes);
        waitingBytes += bytes.length;
        // While a retry is pending the pipe is full: the line waits behind the others.
        if (!retry) writeOrWait();
      },
    },
    flushBeforeExit() {
      if (exiting) return;
      exiting = true;
      clearTimeout(retry);
      retry = undefined;
      // One attempt: on a full pipe those lines are lost, the exit is not.
      if (!writeWaiting()) dropWaiting();
    },
    dropped: () => dropped,
  };
}
