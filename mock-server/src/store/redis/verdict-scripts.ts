/**
 * The verdict of a world in Redis. Each observation (and control event) is appended to the world's
 * backlog (`vobs`) by the script that records its request (appendJournal, lua.ts) or its event
 * (recordControl, below), which draws its seq (`meta.vseq`); nothing is folded there, since reading
 * and writing the whole state per request would cost up to about 490 KB of JSON each.
 *
 * The backlog is folded lazily, in TypeScript (the same `observe` as the memory store's), from a
 * checkpoint (`vstate`: the state as JSON, its last seq inside): when a report is read, and when the
 * backlog grows past a threshold, by whichever replica sees it first, under a short lock (`vlock`,
 * SET NX PX with a token of its own). A replica that cannot take the lock folds a private copy for
 * its report and writes nothing. The backlog is bounded: beyond its cap the oldest lines go, counted
 * (`meta.vdropped`), and the report says how many it never saw.
 *
 * A line is `seq US journalId US kind US json` (kind `o`: an Observation without seq and journal id;
 * `c`: a ControlEvent without seq). A reset deletes the backlog, the checkpoint and the lock, and
 * writes `meta.vsince` (lua.ts, reset).
 */
import { randomBytes } from 'node:crypto';
import type { Owner } from '../../domain/keys.js';
import { observe, observeControl } from '../../verdict/fold.js';
import type { ControlEvent, ControlEventDraft, Observation } from '../../verdict/observation.js';
import type { SpendInput } from '../../verdict/report.js';
import type { VerdictSettings } from '../../verdict/settings.js';
import { VerdictStateError, emptyState, fromJSON, toJSON, type VerdictState } from '../../verdict/state.js';
import type { VerdictReading } from '../store.js';
import { US, defineWorldScript } from './lua.js';
import type { Reply, Script } from './script.js';

export interface BacklogLimits {
  /** A replica that appends and sees more lines than this folds them (in the background). */
  foldAt: number;
  /** Lines kept at most: beyond, the oldest go, counted as unseen. */
  cap: number;
  /** How long a fold may hold the lock (ms) before another replica may take it. */
  lockMs: number;
}

/**
 * About 500 bytes a line: a backlog of 20,000 lines is at most about 10 MB of a world's Redis memory,
 * and a report folds it in a few tens of ms. Folding at 500 keeps it far below that in steady use.
 */
export const DEFAULT_BACKLOG: Readonly<BacklogLimits> = { foldAt: 500, cap: 20_000, lockMs: 10_000 };

const VERDICT_READ_REPLY = ['locked', 'state', 'entries', 'dropped', 'since', 'spend', 'labels'] as const;

export const VERDICT_SCRIPTS = {
  recordControl: defineWorldScript({
    args: ['event', 'cap:num'],
    body: `
return verdictAppend('c', '', event, cap)
`,
    decode: (reply: Reply) => Number(reply),
  }),

  /**
   * Everything a fold and a report need, in one read: the checkpoint, the backlog, what was dropped,
   * the reset's time, the spend counters with the accounts' labels; and the lock, taken if free.
   */
  read: defineWorldScript({
    args: ['token', 'lockMs:num'],
    reply: VERDICT_READ_REPLY,
    body: `
local locked = 0
if redis.call('SET', k('vlock'), token, 'NX', 'PX', lockMs) then locked = 1 end
local v = redis.call('HMGET', k('meta'), 'vdropped', 'vsince')
local spend = redis.call('HGETALL', k('spend'))
local labels = {}
for i = 1, #spend, 2 do
  local owner = string.sub(spend[i], 3)
  labels[#labels + 1] = owner
  labels[#labels + 1] = redis.call('HGET', k('lbl'), owner) or ''
end
return REPLY{ locked = locked, state = redis.call('GET', k('vstate')) or '',
  entries = redis.call('LRANGE', k('vobs'), 0, -1), dropped = v[1] or '0', since = v[2] or '', spend = spend,
  labels = labels }
`,
    decode: (r) => r!,
  }),

  /**
   * Writes the checkpoint and drops the lines it folded, if the lock is still this fold's (a reset,
   * or an expired lock, means another state is the world's now: nothing is written).
   */
  commit: defineWorldScript({
    args: ['token', 'state', 'lastSeq:num'],
    body: `
if redis.call('GET', k('vlock')) ~= token then return 0 end
redis.call('SET', k('vstate'), state)
while true do
  local head = redis.call('LINDEX', k('vobs'), 0)
  if not head then break end
  local sep = string.find(head, '\\31', 1, true)
  if tonumber(string.sub(head, 1, sep - 1)) > lastSeq then break end
  redis.call('LPOP', k('vobs'))
end
redis.call('DEL', k('vlock'))
return 1
`,
    decode: (reply: Reply) => Number(reply) === 1,
  }),
};

/** Runs one of the scripts above on the world's keys (RedisStore.run, without a time). */
export type RunScript = <A, T>(script: Script<A, T>, args: A) => Promise<T>;

/** The verdict of one world in Redis: its backlog appended by the store's scripts, folded here. */
export class RedisVerdict {
  /** A background fold of this process in flight: the next append does not start another. */
  private folding: Promise<void> | undefined;

  constructor(
    private readonly run: RunScript,
    readonly settings: VerdictSettings,
    readonly limits: BacklogLimits = DEFAULT_BACKLOG,
  ) {}

  recordControl(event: ControlEventDraft): Promise<number> {
    return this.run(VERDICT_SCRIPTS.recordControl, { event: JSON.stringify(event), cap: this.limits.cap });
  }

  /** After an append that left `backlog` lines: folds them in the background once past the threshold. */
  afterAppend(backlog: number): void {
    if (backlog <= this.limits.foldAt || this.folding) return;
    this.folding = this.fold()
      .then(() => undefined)
      // Nothing is lost: the next report, or the next append past the threshold, folds the backlog.
      .catch(() => undefined)
      .finally(() => (this.folding = undefined));
  }

  /** Folds the backlog (writing the checkpoint when this fold holds the lock) and reads the verdict. */
  async fold(): Promise<VerdictReading> {
    const token = randomBytes(12).toString('hex');
    const r = await this.run(VERDICT_SCRIPTS.read, { token, lockMs: this.limits.lockMs });
    const state = this.checkpoint(String(r.state), r.since === '' ? null : Number(r.since));
    for (const line of r.entries as string[]) this.apply(state, line);
    if (Number(r.locked) === 1)
      await this.run(VERDICT_SCRIPTS.commit, {
        token,
        state: JSON.stringify(toJSON(state)),
        lastSeq: state.lastSeq ?? 0,
      });
    return { state, spend: spendOf(r.spend as string[], r.labels as string[]), unseen: Number(r.dropped) };
  }

  private checkpoint(json: string, since: number | null): VerdictState {
    if (json !== '') {
      try {
        return fromJSON(JSON.parse(json));
      } catch (err) {
        // A checkpoint of another version (a replica of an older build wrote it): start afresh.
        if (!(err instanceof VerdictStateError)) throw err;
      }
    }
    const state = emptyState(this.settings.caps);
    state.since = since;
    return state;
  }

  private apply(state: VerdictState, line: string): void {
    const a = line.indexOf(US);
    const b = line.indexOf(US, a + 1);
    const c = line.indexOf(US, b + 1);
    // The checkpoint and the backlog were read together, and a commit drops what it folded in the
    // same script: every line here comes after the checkpoint.
    const seq = Number(line.slice(0, a));
    const journalId = line.slice(a + 1, b);
    const body = JSON.parse(line.slice(c + 1)) as object;
    if (line.slice(b + 1, c) === 'c') observeControl(state, { ...body, seq } as ControlEvent, this.settings);
    else
      observe(
        state,
        { ...body, seq, journalId: journalId === '' ? null : Number(journalId) } as Observation,
        this.settings,
      );
  }
}

/** The spend counters (`d:<owner>`, `r:<owner>`) and the accounts' labels, as the report takes them. */
function spendOf(flat: string[], labels: string[]): SpendInput {
  const byOwner = new Map<Owner, { debited: number; refunded: number }>();
  let debited = 0;
  let refunded = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    const amount = Number(flat[i + 1]);
    const owner = field.slice(2) as Owner;
    let spent = byOwner.get(owner);
    if (!spent) byOwner.set(owner, (spent = { debited: 0, refunded: 0 }));
    if (field.startsWith('d:')) {
      spent.debited += amount;
      debited += amount;
    } else {
      spent.refunded += amount;
      refunded += amount;
    }
  }
  const labelOf = new Map<string, string>();
  for (let i = 0; i < labels.length; i += 2) labelOf.set(labels[i]!, labels[i + 1]!);
  return {
    debited,
    refunded,
    byKey: [...byOwner].map(([owner, s]) => ({ key: labelOf.get(owner) || owner.slice(0, 12), ...s })),
  };
}
