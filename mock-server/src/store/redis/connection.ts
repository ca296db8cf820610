/**
 * The one connection to Redis of a process (node-redis), and what the stores ask of it: run a script
 * by its SHA (loading it on NOSCRIPT), run a plain command, subscribe to a channel.
 *
 * Bounded, whatever Redis does, so a request is answered 503 with Retry-After, never left hanging and
 * never answered 500 with a stack:
 *
 * - Down (the connection is closed): commands are refused at once (no offline queue that would hold
 *   requests until it is back, then replay them), and the client reconnects by itself with a capped
 *   backoff.
 * - Not answering (paused, or a network that drops packets: the connection stays open): node-redis
 *   drops a command's `timeout` once the command is written to the socket (it bounds only commands
 *   still queued: redis/node-redis#3008), so every command here has a timer of its own. The first
 *   that fires refuses every command awaiting a reply (replies come in order: if the oldest has none,
 *   none of the others has one either) and opens a stall: commands are refused unsent until a PING,
 *   written behind all of them, is answered. So nothing piles up while Redis is paused (only what was
 *   written before the first time-out), and a late reply is never taken for another command's:
 *   node-redis keeps each written command in its queue and gives it its own reply when it comes; the
 *   caller already had its refusal, and the reply is dropped. A command refused this way may still
 *   run when Redis resumes, as a request whose answer is lost on the network may have been served.
 * - Full (`maxmemory` with `noeviction`): a write is refused with OOM, which becomes a
 *   StoreFullError (503, and health `degraded`), logged once when the episode starts and once when a
 *   probe write (a no-op SETRANGE) is accepted again.
 *
 * Any other error Redis answers about its own state (loading, busy, read-only...) is a
 * StoreUnavailableError too; a script that fails for any other reason is a bug, thrown as it is.
 */
import { createClient, ErrorReply } from 'redis';
import { StoreFullError, StoreUnavailableError } from '../store.js';
import type { Reply, Script } from './script.js';

export { StoreUnavailableError };

/** Where the connection tells of an episode (Redis not answering, full) when it starts and ends. */
export interface EpisodeLog {
  warn(details: object, message: string): void;
}

export interface RedisConnectionOptions {
  url: string;
  /**
   * Most time one command may wait for its reply before the request that needs it is answered 503
   * (ms). Keep it well above the slowest script (a prune of a large backlog): a command that passes it
   * stalls the connection until Redis answers a probe.
   */
  commandTimeoutMs?: number;
  /** Called on connection errors, for the log (never thrown: node-redis reconnects). */
  onError?: (err: Error) => void;
  log?: EpisodeLog;
  /** A key no one writes, for the probe write that tells a full Redis has room again. */
  probeKey?: string;
}

type Client = ReturnType<typeof createClient>;

/** Error codes of Redis's answers about its state rather than about the command: retry later. */
const STATE_CODES = new Set([
  'LOADING',
  'BUSY',
  'MISCONF',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'NOSCRIPT',
]);
const SCRIPT_FAILED = /ERR .*script|user_script|Error running script/i;
const FULL_REASON = 'Redis is full (used memory over maxmemory): writes are refused, reads work';
/** A full Redis is probed for room at most this often (ms). */
const FULL_PROBE_EVERY_MS = 1_000;
/** How often a stalled connection looks whether it can send its probe (a reconnect under way). */
const STALL_PROBE_RETRY_MS = 100;

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
}

/** Resolves with `promise`, or undefined once `ms` have passed (the promise runs on). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]);
}

interface Episode {
  since: number;
}

export class RedisConnection {
  private readonly client: Client;
  private subscriber: Client | undefined;
  /** The listeners of each channel, and the one function node-redis calls for it (so a retry adds none). */
  private readonly channels = new Map<string, { listeners: Set<() => void>; notify: () => void }>();
  /** Channels whose SUBSCRIBE was answered; node-redis subscribes them again after a reconnect. */
  private readonly subscribed = new Set<string>();
  private readonly timeoutMs: number;
  private readonly probeKey: string;
  private lastError = 'not connected yet';
  /** Redis stopped answering: commands are refused unsent until a probe is answered. */
  private stalled: Episode | undefined;
  /** Redis refuses writes for want of memory. */
  private full: Episode | undefined;
  private fullProbedAt = 0;
  /** How to refuse each command awaiting its reply, all at once when one of them times out. */
  private readonly awaiting = new Set<(err: Error) => void>();
  private closed = false;

  private constructor(private readonly options: RedisConnectionOptions) {
    this.timeoutMs = options.commandTimeoutMs ?? 2_000;
    this.probeKey = options.probeKey ?? 'dc:{dir}:probe';
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        // Retry for ever, a little later each time, never more than a second apart: the replica
        // recovers by itself when Redis is back.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1_000),
      },
    });
    this.client.on('error', (err: Error) => {
      this.lastError = err.message || String(err);
      options.onError?.(err);
    });
  }

  /**
   * Connects. A replica starting before its Redis waits for it (retrying as it does when Redis is lost
   * later), serving nothing meanwhile: it is not listening yet, so no request waits on it.
   */
  static async open(options: RedisConnectionOptions): Promise<RedisConnection> {
    const connection = new RedisConnection(options);
    await connection.client.connect();
    return connection;
  }

  get ready(): boolean {
    return this.client.isReady && !this.stalled;
  }

  /**
   * Runs a script (script.ts) on `keys` with its named arguments, after `before` (the arguments its
   * library reads first), and decodes its reply.
   */
  async run<A, T>(
    script: Script<A, T>,
    keys: readonly string[],
    args: A,
    before?: readonly string[],
  ): Promise<T> {
    const reply = await this.evalsha(script, keys, script.argv(args, before));
    return script.decode(reply as Reply, args);
  }

  async command(args: readonly string[]): Promise<unknown> {
    if (this.stalled)
      throw new StoreUnavailableError(`Redis has not answered for ${this.stalledSeconds()} s`);
    if (!this.client.isReady) throw new StoreUnavailableError(this.lastError);
    return this.send(args);
  }

  /** One command, refused when it (or an older one) has waited `timeoutMs` for its reply. */
  private send(args: readonly string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const refuse = (err: Error) => {
        if (!this.awaiting.delete(refuse)) return;
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => this.stall(), this.timeoutMs);
      this.awaiting.add(refuse);
      // node-redis's own time-out still drops a command that could not even be written in time.
      this.client.sendCommand([...args], { timeout: this.timeoutMs }).then(
        (reply) => {
          if (this.full) this.probeFullSoon();
          // Refused already (a time-out): its caller has its 503; this late reply was its own.
          if (!this.awaiting.delete(refuse)) return;
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => refuse(this.translate(err)),
      );
    });
  }

  /** How long Redis has not answered: since the first command of the stall was sent. */
  private stalledSeconds(): number {
    return Math.round((Date.now() - this.stalled!.since + this.timeoutMs) / 1000);
  }

  /** The oldest command awaiting a reply has waited too long: so has every other one. */
  private stall(): void {
    if (!this.stalled) {
      this.stalled = { since: Date.now() };
      this.options.log?.warn(
        { timeoutMs: this.timeoutMs },
        `Redis did not answer within ${this.timeoutMs} ms: requests are refused (503 with Retry-After) until it does`,
      );
      void this.probeUntilAnswered();
    }
    const err = new StoreUnavailableError(`Redis did not answer within ${this.timeoutMs} ms`);
    for (const refuse of [...this.awaiting]) refuse(err);
  }

  /**
   * A PING is answered after every command written before it, so once it is, nothing of the stall is
   * still owed a reply. If the connection breaks meanwhile, node-redis reconnects and the next PING
   * goes to the new one.
   */
  private async probeUntilAnswered(): Promise<void> {
    while (this.stalled && !this.closed) {
      if (this.client.isReady) {
        try {
          await this.client.sendCommand(['PING']);
          const seconds = this.stalledSeconds();
          this.stalled = undefined;
          this.options.log?.warn({ seconds }, 'Redis answers again: serving');
          return;
        } catch {
          // the connection broke: wait for the new one
        }
      }
      await new Promise((resolve) => setTimeout(resolve, STALL_PROBE_RETRY_MS));
    }
  }

  private async evalsha(
    s: Pick<Script<unknown, unknown>, 'sha' | 'source'>,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command(['EVALSHA', s.sha, ...tail]);
    } catch (err) {
      // A Redis that restarted, or a new one, has no scripts yet: EVAL loads it (and caches it).
      if (err instanceof StoreUnavailableError && /NOSCRIPT/.test(err.message)) {
        return this.command(['EVAL', s.source, ...tail]);
      }
      throw err;
    }
  }

  private translate(err: unknown): Error {
    if (err instanceof ErrorReply) {
      const code = err.message.split(' ', 1)[0]!;
      if (code === 'OOM') {
        this.fullNow();
        return new StoreFullError(FULL_REASON);
      }
      // A script that failed for a reason of its own is a bug, to see as it is, not an outage.
      if (!STATE_CODES.has(code) && SCRIPT_FAILED.test(err.message)) return err;
    }
    return new StoreUnavailableError(firstLine(err));
  }

  private fullNow(): void {
    if (!this.full) {
      this.full = { since: Date.now() };
      this.fullProbedAt = Date.now();
      this.options.log?.warn(
        { reason: FULL_REASON },
        'Redis is full: writes are refused (503 with Retry-After) until it has room; reads still work',
      );
    }
    this.probeFullSoon();
  }

  /** While full, whether a write is accepted again: at most once a second, whatever the traffic. */
  private probeFullSoon(): void {
    if (Date.now() - this.fullProbedAt < FULL_PROBE_EVERY_MS) return;
    this.fullProbedAt = Date.now();
    void this.probeFull().catch(() => undefined);
  }

  /** A write that changes nothing (SETRANGE of nothing on a key no one has) but is refused while full. */
  private async probeFull(): Promise<void> {
    if (!this.full) return;
    try {
      await this.command(['SETRANGE', this.probeKey, '0', '']);
    } catch (err) {
      if (err instanceof StoreFullError) return;
      throw err;
    }
    if (!this.full) return;
    const fullMs = Date.now() - this.full.since;
    this.full = undefined;
    this.options.log?.warn({ fullMs }, 'Redis accepts writes again');
  }

  /** Calls `listener` on every message on `channel`; returns the function that stops it. */
  subscribe(channel: string, listener: () => void): () => void {
    let entry = this.channels.get(channel);
    if (!entry) {
      const listeners = new Set<() => void>();
      entry = { listeners, notify: () => listeners.forEach((l) => l()) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    // Nothing waits for this: without pub/sub a waiter polls (see waitForJournal).
    this.subscribeAll();
    return () => {
      entry.listeners.delete(listener);
    };
  }

  /** SUBSCRIBE every channel not yet subscribed; again each time the subscriber is ready. */
  private subscribeAll(): void {
    const sub = this.subscriberClient();
    if (!sub.isReady) return; // its 'ready' calls this again
    for (const [channel, { notify }] of this.channels) {
      if (this.subscribed.has(channel)) continue;
      sub.subscribe(channel, notify).then(
        () => this.subscribed.add(channel),
        () => undefined, // the next 'ready', or the next subscribe(), tries again
      );
    }
  }

  private subscriberClient(): Client {
    if (!this.subscriber) {
      const sub = (this.subscriber = this.client.duplicate());
      sub.on('error', () => undefined);
      sub.on('ready', () => this.subscribeAll());
      sub.connect().catch(() => undefined); // node-redis keeps trying; 'ready' says when it is there
    }
    return this.subscriber;
  }

  async ping(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await this.command(['PING']);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Health: answered within the command time-out; `degraded` while Redis refuses writes. */
  async health(): Promise<{ ok: true; degraded?: string } | { ok: false; reason: string }> {
    const ping = await this.ping();
    if (!ping.ok) return ping;
    if (this.full) await this.probeFull().catch(() => undefined);
    return this.full ? { ok: true, degraded: FULL_REASON } : { ok: true };
  }

  /** Closes both clients; one that cannot finish its pending commands in time is cut off. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [this.subscriber, this.client].map(async (client) => {
        if (!client) return;
        const done = await within(
          client.close().then(
            () => true,
            () => false,
          ),
          this.timeoutMs,
        );
        if (done) return;
        try {
          client.destroy();
        } catch {
          // closed already
        }
      }),
    );
  }
}
