/**
 * The one connection to Redis of a process (node-redis), and what the stores ask of it: run a script
 * by its SHA (loading it on NOSCRIPT), run a plain command, subscribe to a channel.
 *
 * Bounded, whatever Redis does: commands are refused at once while the connection is down (no offline
 * queue that would hold requests until it is back), each has a time-out, and the client reconnects
 * by itself with a capped backoff. A failure becomes a StoreUnavailableError, which the HTTP layer
 * answers 503 with Retry-After, never a hang and never a 500 with a stack.
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { StoreUnavailableError } from '../store.js';
import { DIRECTORY_SCRIPTS, LIB, SCRIPTS } from './lua.js';

export { StoreUnavailableError };

export interface RedisConnectionOptions {
  url: string;
  /** Most time one command may take before the request that needs it is answered 503 (ms). */
  commandTimeoutMs?: number;
  /** Called on connection errors, for the log (never thrown: node-redis reconnects). */
  onError?: (err: Error) => void;
}

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const WORLD_SCRIPTS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => [name, script(LIB + body)]),
) as Record<keyof typeof SCRIPTS, Script>;
const DIR_SCRIPTS = Object.fromEntries(
  Object.entries(DIRECTORY_SCRIPTS).map(([name, body]) => [name, script(body)]),
) as Record<keyof typeof DIRECTORY_SCRIPTS, Script>;

type Client = ReturnType<typeof createClient>;

export class RedisConnection {
  private readonly client: Client;
  private subscriber: Client | undefined;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly timeoutMs: number;
  private lastError = 'not connected yet';

  private constructor(private readonly options: RedisConnectionOptions) {
    this.timeoutMs = options.commandTimeoutMs ?? 2_000;
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

  /** Connects, waiting at most `connectTimeout` for Redis to answer. */
  static async open(options: RedisConnectionOptions): Promise<RedisConnection> {
    const connection = new RedisConnection(options);
    await connection.client.connect();
    return connection;
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  /** A world script (LIB + its body), on the slot of `base`. */
  world(name: keyof typeof SCRIPTS, base: string, args: readonly string[]): Promise<unknown> {
    return this.evalsha(WORLD_SCRIPTS[name], [base], args);
  }

  directory(name: keyof typeof DIRECTORY_SCRIPTS, base: string, args: readonly string[]): Promise<unknown> {
    return this.evalsha(DIR_SCRIPTS[name], [base], args);
  }

  async command(args: readonly string[]): Promise<unknown> {
    if (!this.client.isReady) throw new StoreUnavailableError(this.lastError);
    try {
      return await this.client.sendCommand([...args], { timeout: this.timeoutMs });
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private async evalsha(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
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

  private unavailable(err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err);
    // A script error is a bug to see as it is, not an outage to retry.
    if (/ERR .*script|user_script|Error running script/i.test(message) && !/NOSCRIPT/.test(message))
      return err as Error;
    return new StoreUnavailableError(message.split('\n', 1)[0]!);
  }

  /** Calls `listener` on every message on `channel`; returns the function that stops it. */
  subscribe(channel: string, listener: () => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      void this.subscriberClient()
        .then((sub) => sub.subscribe(channel, () => this.listeners.get(channel)?.forEach((l) => l())))
        .catch(() => undefined); // without pub/sub a waiter still times out; see waitForJournal
    }
    set.add(listener);
    return () => {
      set!.delete(listener);
    };
  }

  private async subscriberClient(): Promise<Client> {
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', () => undefined);
      await this.subscriber.connect();
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

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber?.close(), this.client.close()]);
  }
}
