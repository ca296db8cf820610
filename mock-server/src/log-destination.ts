/**
 * Where the process's JSON logs go: standard output, written by sonic-boom (pino's own writer)
 * asynchronously, so that neither a slow reader nor a dead one can hold the simulator.
 *
 * pino's default destination retried forever in two ways, both seen with SIGTERM never finishing:
 * sonic-boom 4 (pino 10's) sleeps and retries *any* failed write in its synchronous flush at exit,
 * EPIPE included, so `node ... | head -3` spun in the exit handler; and it retries EAGAIN (a pipe
 * whose reader stalled) for ever, in that same flush. sonic-boom 5 throws what it cannot retry, and
 * this module decides the rest:
 * - a write error (EPIPE: the reader is gone; or any other) ends logging, never the process;
 * - a reader that is only slow gets the lines later, up to MAX_BUFFERED_BYTES waiting, beyond which
 *   new lines are dropped: memory stays bounded while the pipe is full;
 * - at exit, one attempt at what is still buffered, with no retry on a full pipe: the exit is never
 *   held by its own output.
 */
// CommonJS without named exports Node can see: the default import is module.exports, which holds
// the class under its own name too.
import sonicBoom from 'sonic-boom';

/** Lines waiting for a slow reader, at most; beyond it new lines are dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface LogDestination {
  /** The stream to give pino. */
  readonly stream: { write(line: string): void };
  /** Writes what is still buffered, in one attempt that never waits; then the destination is done. */
  flushBeforeExit(): void;
  /** Lines dropped because the reader was too slow or gone. */
  dropped(): number;
}

export function createStdoutLogDestination(): LogDestination {
  // Reading process.stdout creates Node's own handle for fd 1 first. For a pipe or a socket libuv
  // then makes it non-blocking, so sonic-boom's writes, made on libuv's thread pool, meet EAGAIN
  // on a full pipe rather than hold a pool thread (which sharp and fs share) until a reader reads.
  const fd = process.stdout.fd ?? 1;
  let exiting = false;
  let broken = false;
  let dropped = 0;
  const sonic = new sonicBoom.SonicBoom({
    fd,
    sync: false,
    maxLength: MAX_BUFFERED_BYTES,
    // A full pipe while running: sonic-boom tries again in 100 ms, off the event loop. At exit
    // there is no later: give up at once.
    retryEAGAIN: () => !exiting,
  });
  sonic.on('error', () => {
    broken = true;
  });
  sonic.on('drop', () => {
    dropped++;
  });
  return {
    stream: {
      write(line: string) {
        if (broken || exiting) dropped++;
        else sonic.write(line);
      },
    },
    flushBeforeExit() {
      if (exiting) return;
      exiting = true;
      if (broken) return;
      try {
        sonic.flushSync();
      } catch {
        // EPIPE, EAGAIN on a full pipe, or not ready yet: those lines are lost, the exit is not.
      }
    },
    dropped: () => dropped,
  };
}
