/**
 * The Redis store's operations, one Lua script each, so each is atomic: Redis runs a script to its
 * end before any other command. Every key of a world is `<base>:<name>` where the base carries the
 * world's hash tag (`dc:{w:<id>}`), so a script touches one slot and a Redis Cluster can run it.
 * Time is always an argument (the simulator's clock), never Redis's TIME.
 *
 * Each script is one `defineWorldScript` (or `defineDirectoryScript`) call: its arguments and its
 * reply's fields by name, its Lua, and the decoding of its reply (script.ts says how, and how to add
 * one). The rules here are the domain's, line for line: settlement and abandonment (domain/tasks.ts
 * dueSettlement), the token bucket (domain/token-bucket.ts), ledger folding (domain/ledger.ts),
 * retention (memory-store.ts) and fault-rule firing (qa/fault-rules.ts). The Store conformance suite
 * holds both stores to the same answers.
 *
 * Numbers: Lua 5.1's tostring keeps 14 significant digits, and instants reach 15 (the clock runs to
 * the year 9000), so every number a script writes goes through num() (%.0f, exact for integers below
 * 2^53) or, for a bucket's fractional tokens, %.17g. Task records are hashes of plain fields, so no
 * script re-encodes JSON a client sent (cjson would print numbers with 14 digits).
 *
 * A script that fails halfway keeps what it wrote before (Redis has no rollback), so each checks
 * before it writes; Redis itself refuses a script's first write when it is over maxmemory, and never
 * a later one, so a full Redis never leaves half an operation (a debit without its task).
 */
import { CLOCK_LIMIT_ISO, type ClockState } from '../../domain/clock.js';
import type { Owner } from '../../domain/keys.js';
import { ABANDONED_MESSAGE, type Task } from '../../domain/tasks.js';
import type { BucketVerdict } from '../../domain/token-bucket.js';
import type { FaultRule } from '../../qa/fault-rules.js';
import { materialise, type StoredEntry } from '../../qa/journal.js';
import type {
  AcceptResult,
  Admission,
  AdvanceResult,
  BudgetResult,
  JournalPage,
  JournalTail,
  TenantRecord,
  WorldSpec,
  WorldStats,
  WorldView,
} from '../store.js';
import {
  defineRecord,
  defineScript,
  type ArgsOf,
  type Fields,
  type Reply,
  type Script,
  type ScriptDefinition,
} from './script.js';

/** Separates the fields of a journal line (never in an entry's JSON: JSON escapes control characters). */
export const US = '\x1f';

/** What every world script is given before its own arguments, read by LIB. */
export const WORLD_ARGS = [
  'NOW:num?', // the world's time (ms); absent for the scripts that do not need it
  'SYSNOW:num', // this process's system time (a real clock's world time is it plus the offset)
  'MAXAGE:num', // retention: ms a task is kept (RetentionPolicy.maxAgeMs)
  'MAXTASKS:num', // retention: most tasks
  'MAXLEDGER:num', // retention: ledger entries kept per account
] as const;

/** A task as the scripts answer it: the fields that change, and the JSON of those that never do. */
const TASK = defineRecord('TASK', ['json', 'status', 'settledAt', 'errorMessage', 'polls'] as const);
/** A fault rule as the scripts answer it. */
const RULE = defineRecord('RULE', ['id', 'json', 'left', 'hits'] as const);
/** An account as listAccounts answers it. */
const ACCOUNT = defineRecord('ACCOUNT', ['owner', 'balance', 'label'] as const);
/** A rate limiter's verdict (domain/token-bucket.ts BucketVerdict). */
const TOKEN = defineRecord('TOKEN', [
  'allowed',
  'limit',
  'remaining',
  'retryAfterSeconds',
  'resetSeconds',
] as const);

/** The part of a task that never changes, kept as JSON (its `j` field). */
export interface TaskImmutable {
  id: string;
  owner: Owner;
  request: Task['request'];
  preset: Task['preset'];
  price: number;
  imageCount: number;
  createdAt: number;
  plan: Task['plan'];
}

function taskFrom(reply: Reply): Task | undefined {
  const t = TASK.read(reply);
  if (!t) return undefined;
  const base = JSON.parse(String(t.json)) as TaskImmutable;
  return {
    id: base.id,
    owner: base.owner,
    request: base.request,
    preset: base.preset,
    price: base.price,
    imageCount: base.imageCount,
    createdAt: base.createdAt,
    status: t.status as Task['status'],
    settledAt: t.settledAt ? Number(t.settledAt) : null,
    errorMessage: t.errorMessage ? String(t.errorMessage) : null,
    polls: Number(t.polls),
    plan: base.plan,
  };
}

function ruleFrom(reply: Reply): FaultRule | undefined {
  const r = RULE.read(reply);
  if (!r) return undefined;
  const rule = JSON.parse(String(r.json)) as Omit<FaultRule, 'id'>;
  const left = r.left ?? '';
  return {
    id: String(r.id),
    match: rule.match,
    action: rule.action,
    timesLeft: left === '' ? null : Number(left),
    probability: rule.probability,
    hits: Number(r.hits ?? '0'),
  };
}

/** The journal entry as kept in Redis: the memory store's, its request bytes as text. */
export interface RedisEntry extends Omit<StoredEntry, 'requestBody' | 'id' | 'bytes'> {
  rawBody?: string;
  cutBody?: string;
}

/** An entry as a journal script answers it, `id US json`, as the memory store keeps it. */
function storedOfLine(line: string): StoredEntry {
  const cut = line.indexOf(US);
  const { rawBody, cutBody, ...rest } = JSON.parse(line.slice(cut + 1)) as RedisEntry;
  return {
    ...rest,
    id: Number(line.slice(0, cut)),
    bytes: 0,
    requestBody: rawBody !== undefined ? Buffer.from(rawBody, 'utf8') : cutBody,
  };
}

/** The world library, after the prelude that names KEYS[1] `B` and WORLD_ARGS. */
const LIB =
  TASK.lua +
  RULE.lua +
  TOKEN.lua +
  `
local ABANDONED = ${JSON.stringify(ABANDONED_MESSAGE)}
local function k(s) return B .. ':' .. s end
local function num(x) return string.format('%.0f', x) end
local function nz(x) if x == false or x == nil or x == '' then return nil end return x end

local TF = {'j','s','sa','em','p','o','ca','pr','ra','cp','oc','pe'}
local function taskGet(id)
  local v = redis.call('HMGET', k('t:' .. id), unpack(TF))
  if not v[1] then return nil end
  return { id = id, j = v[1], s = v[2], sa = nz(v[3]), em = nz(v[4]), p = tonumber(v[5]), o = v[6],
    ca = tonumber(v[7]), pr = tonumber(v[8]), ra = tonumber(nz(v[9])), cp = tonumber(nz(v[10])),
    oc = v[11], pe = nz(v[12]) }
end
local function taskReply(t)
  if not t then return false end
  return TASK{ json = t.j, status = t.s, settledAt = t.sa or '', errorMessage = t.em or '', polls = num(t.p) }
end
local function stat(field, by) redis.call('HINCRBY', k('meta'), field, by) end
-- Credits debited ('d') or refunded ('r') per account since the reset: the verdict's spend.
local function spent(kind, owner, amount) redis.call('HINCRBY', k('spend'), kind .. ':' .. owner, amount) end

-- The verdict's backlog (verdict-scripts.ts folds it): a line per observation or control event,
-- \`seq US journalId US kind US json\`, in seq order; beyond \`cap\` lines the oldest go, counted.
local function verdictAppend(kind, journalId, json, cap)
  local seq = redis.call('HINCRBY', k('meta'), 'vseq', 1)
  local n = redis.call('RPUSH', k('vobs'), num(seq) .. '\\31' .. journalId .. '\\31' .. kind .. '\\31' .. json)
  while n > cap do
    redis.call('LPOP', k('vobs'))
    redis.call('HINCRBY', k('meta'), 'vdropped', 1)
    n = n - 1
  end
  return n
end

local function ledgerAppend(owner, at, kind, amount, after, taskId)
  local key = k('ledger:' .. owner)
  local e = '{"at":' .. num(at) .. ',"kind":"' .. kind .. '","amount":' .. num(amount) ..
    ',"balanceAfter":' .. num(after) .. ',"taskId":' .. (taskId and ('"' .. taskId .. '"') or 'null') .. '}'
  local n = redis.call('RPUSH', key, e)
  if n > MAXLEDGER + math.ceil(MAXLEDGER / 4) then
    local fold = n - math.max(1, MAXLEDGER) + 1
    local old = redis.call('LRANGE', key, 0, fold - 1)
    local sum = 0
    local last
    for _, raw in ipairs(old) do
      last = cjson.decode(raw)
      sum = sum + last.amount
    end
    redis.call('LTRIM', key, fold, -1)
    redis.call('LPUSH', key, '{"at":' .. num(last.at) .. ',"kind":"carried_forward","amount":' .. num(sum) ..
      ',"balanceAfter":' .. num(last.balanceAfter) .. ',"taskId":null}')
  end
end

-- The settlement due for a task at now, or nil (domain/tasks.ts dueSettlement).
local function dueOf(t, now)
  if t.s ~= 'IN_PROGRESS' then return nil end
  local abandon = t.ca + MAXAGE
  local isDue
  if t.cp then isDue = t.p >= t.cp else isDue = (t.ra ~= nil and t.ra <= now) end
  if isDue then
    local plannedAt = t.ra or now
    if plannedAt > abandon then return 'FAILED', abandon, ABANDONED end
    local at = now
    if t.ra then at = math.min(t.ra, now) end
    if t.oc == 'failed' then return 'FAILED', at, t.pe end
    return 'SUCCESS', at, nil
  end
  if abandon <= now then return 'FAILED', abandon, ABANDONED end
  return nil
end

-- Ends an in-progress task, refunding a failure (once: a terminal task is never settled again).
local function settle(t, status, at, err)
  if t.s ~= 'IN_PROGRESS' then return t end
  redis.call('HSET', k('t:' .. t.id), 's', status, 'sa', num(at), 'em', (status == 'FAILED' and err) or '')
  redis.call('ZREM', k('open'), t.id)
  redis.call('ZADD', k('done'), num(at), t.id)
  redis.call('ZREM', k('due:' .. t.o), t.id)
  if status == 'FAILED' then
    stat('tasksFailed', 1)
    if redis.call('HEXISTS', k('bal'), t.o) == 1 then
      local bal = redis.call('HINCRBY', k('bal'), t.o, t.pr)
      stat('creditsRefunded', t.pr)
      spent('r', t.o, t.pr)
      ledgerAppend(t.o, at, 'refund', t.pr, bal, t.id)
    end
  else
    stat('tasksSucceeded', 1)
  end
  t.s = status
  t.sa = num(at)
  t.em = (status == 'FAILED' and err) or nil
  return t
end

local function settleIfDue(t, now)
  local status, at, err = dueOf(t, now)
  if status then return settle(t, status, at, err) end
  return t
end

-- One firing of a rule: a hit, and one of its \`times\` used (the rule goes with its last).
local function consumeRule(id, leftRaw)
  local hits = redis.call('HINCRBY', k('rule:' .. id), 'hits', 1)
  local left = tonumber(nz(leftRaw))
  if left then
    left = left - 1
    if left <= 0 then
      redis.call('LREM', k('rules'), 0, id)
      redis.call('DEL', k('rule:' .. id))
      redis.call('HINCRBY', k('meta'), 'rules', -1)
    else
      redis.call('HSET', k('rule:' .. id), 'left', num(left))
    end
  end
  return hits, left
end

local function drop(id)
  local owner = redis.call('HGET', k('t:' .. id), 'o')
  if not owner then return end
  stat('tasksDropped', 1)
  redis.call('DEL', k('t:' .. id))
  redis.call('ZREM', k('order'), id)
  redis.call('ZREM', k('open'), id)
  redis.call('ZREM', k('done'), id)
  if owner then redis.call('ZREM', k('due:' .. owner), id) end
end

-- The most tasks: the oldest finished go first, then the oldest in progress, abandoned at now.
local function enforceCount(now)
  local dropped = 0
  while redis.call('ZCARD', k('order')) > MAXTASKS do
    local oldest = redis.call('ZRANGE', k('done'), 0, 0)[1]
    if not oldest then
      oldest = redis.call('ZRANGE', k('open'), 0, 0)[1]
      local t = taskGet(oldest)
      settle(t, 'FAILED', now, ABANDONED)
    end
    drop(oldest)
    dropped = dropped + 1
  end
  return dropped
end

-- Draw n of the world's stream \`name\` in [0, 1), n counted in meta (domain/rng.ts counterDraw).
local function counterDraw(seed, name)
  local n = redis.call('HINCRBY', k('meta'), 'c:' .. name, 1) - 1
  return tonumber(string.sub(redis.sha1hex(seed .. '/' .. name .. '/' .. string.format('%d', n)), 1, 13), 16) /
    4503599627370496
end

-- FaultRuleBook.fire: the first rule that matches and fires, as a RULE reply, or false.
local function fire(seed, method, path, owner, createsTask)
  for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do
    local v = redis.call('HMGET', k('rule:' .. id), 'j', 'left', 'hits')
    local rule = cjson.decode(v[1])
    local m, a = rule.match, rule.action
    local taskOnly = a.task ~= nil and a.status == nil and a.fault == nil and (a.delayMs == nil or a.delayMs == 0)
    local matches = (m.method == nil or m.method == method) and (m.path == nil or m.path == path) and
      (m.owner == nil or m.owner == owner) and (not taskOnly or createsTask)
    if matches and rule.probability ~= cjson.null and rule.probability ~= nil then
      matches = counterDraw(seed, 'fault-rules') < rule.probability
    end
    if matches then
      local hits, left = tonumber(v[3]), tonumber(nz(v[2]))
      if not taskOnly then hits, left = consumeRule(id, v[2]) end
      return RULE{ id = id, json = v[1], left = left and num(left) or '', hits = num(hits) }, a
    end
  end
  return false
end

-- Whether a rule's action answers the request itself (store.ts answersRequest).
local function answers(action)
  return action.status ~= nil or action.fault ~= nil
end

-- A hit of a task-shaping rule once its task exists (nothing when the rule has gone).
local function spendRule(id)
  local left = redis.call('HGET', k('rule:' .. id), 'left')
  if left then consumeRule(id, left) end
end

-- One token of a bucket at now (domain/token-bucket.ts takeToken), as a TOKEN reply, and whether allowed.
local function takeToken(bucket, limit, windowMs, now)
  local perMs = limit / windowMs
  local state = redis.call('HGET', k('buckets'), bucket)
  local tokens, at = limit, now
  if state then
    local sep = string.find(state, ' ', 1, true)
    tokens = tonumber(string.sub(state, 1, sep - 1))
    at = tonumber(string.sub(state, sep + 1))
  end
  tokens = math.min(limit, tokens + math.max(0, now - at) * perMs)
  local allowed = tokens >= 1
  if allowed then tokens = tokens - 1 end
  redis.call('HSET', k('buckets'), bucket, string.format('%.17g', tokens) .. ' ' .. num(math.max(now, at)))
  local retry, missing = 0, 0
  if not allowed then
    missing = 1 - tokens
    retry = math.max(1, math.ceil(missing / perMs / 1000))
  end
  return TOKEN{ allowed = allowed and 1 or 0, limit = limit, remaining = math.floor(tokens),
    retryAfterSeconds = retry, resetSeconds = math.ceil((limit - tokens) / perMs / 1000) }, allowed
end

-- A status poll by owner at now: the task as it leaves it, or nil (unknown, or another owner's).
local function pollTask(id, owner, now)
  local t = taskGet(id)
  if not t or t.o ~= owner then return nil end
  if t.s ~= 'IN_PROGRESS' then return t end
  t.p = redis.call('HINCRBY', k('t:' .. t.id), 'p', 1)
  return settleIfDue(t, now)
end

-- Settles what is due by now of these owners' tasks, at most limit; true when there may be more.
local function settleDueOf(owners, now, limit)
  local settled = 0
  for _, o in ipairs(owners) do
    local ids = redis.call('ZRANGEBYSCORE', k('due:' .. o), '-inf', num(now), 'LIMIT', 0, limit - settled)
    for _, id in ipairs(ids) do
      local t = taskGet(id)
      if not t or t.s ~= 'IN_PROGRESS' then
        redis.call('ZREM', k('due:' .. o), id)
      else
        local status, at, err = dueOf(t, now)
        if status then
          settle(t, status, at, err)
          settled = settled + 1
        end
      end
    end
    if redis.call('ZCARD', k('due:' .. o)) == 0 then redis.call('SREM', k('dueowners'), o) end
    if settled >= limit then return settled, true end
  end
  return settled, false
end

-- Debits a task's price and stores it, or neither: every check comes before the first write.
-- Answers the outcome, the balance, and the price when the balance cannot cover it.
local function storeTask(a)
  local balance = redis.call('HGET', k('bal'), a.owner)
  if not balance then return 'unknown_account' end
  if redis.call('EXISTS', k('t:' .. a.id)) == 1 then return 'duplicate_id' end
  balance = tonumber(balance)
  if balance < a.price then return 'insufficient_credits', balance, a.price end
  balance = redis.call('HINCRBY', k('bal'), a.owner, -a.price)
  ledgerAppend(a.owner, a.createdAt, 'debit', -a.price, balance, a.id)
  stat('tasksCreated', 1)
  stat('creditsDebited', a.price)
  spent('d', a.owner, a.price)
  redis.call('HSET', k('t:' .. a.id), 'j', a.immutable, 's', 'IN_PROGRESS', 'sa', '', 'em', '', 'p', '0',
    'o', a.owner, 'ca', num(a.createdAt), 'pr', num(a.price), 'ra', a.readyAt, 'cp', a.completeOnPoll,
    'oc', a.outcome, 'pe', a.planError)
  local seq = redis.call('HINCRBY', k('meta'), 'seq', 1)
  redis.call('ZADD', k('order'), seq, a.id)
  redis.call('ZADD', k('open'), num(a.createdAt), a.id)
  redis.call('ZADD', k('due:' .. a.owner), a.deadline, a.id)
  redis.call('SADD', k('dueowners'), a.owner)
  enforceCount(a.createdAt)
  return 'accepted', balance
end

-- Retention at now, touching at most budget tasks of each kind; true when there may be more.
local function pruneAt(now, budget)
  local old = redis.call('ZRANGEBYSCORE', k('open'), '-inf', num(now - MAXAGE), 'LIMIT', 0, budget)
  for _, id in ipairs(old) do
    settle(taskGet(id), 'FAILED', tonumber(redis.call('HGET', k('t:' .. id), 'ca')) + MAXAGE, ABANDONED)
  end
  local dropped = 0
  local done = redis.call('ZRANGEBYSCORE', k('done'), '-inf', '(' .. num(now - MAXAGE), 'LIMIT', 0, budget)
  for _, id in ipairs(done) do
    drop(id)
    dropped = dropped + 1
  end
  dropped = dropped + enforceCount(now)
  return dropped, #old >= budget or #done >= budget
end
`;

/** A script on a world's keys (KEYS[1] is its base `B`), after LIB and WORLD_ARGS. */
export function defineWorldScript<
  const A extends readonly string[],
  const R extends string | undefined = undefined,
  const F extends readonly string[] | undefined = undefined,
  T = Reply,
>(definition: Omit<ScriptDefinition<A, R, F, T>, 'keys' | 'leading' | 'library'>): Script<ArgsOf<A, R>, T> {
  return defineScript<A, R, F, T>({ ...definition, keys: ['B'], leading: WORLD_ARGS, library: LIB });
}

const number = (reply: Reply): number => Number(reply);

function verdictFrom(reply: Reply): BucketVerdict | undefined {
  const r = TOKEN.read(reply);
  if (!r) return undefined;
  return {
    allowed: r.allowed === 1,
    limit: Number(r.limit),
    remaining: Number(r.remaining),
    retryAfterSeconds: Number(r.retryAfterSeconds),
    resetSeconds: Number(r.resetSeconds),
  };
}

/** The world's settings and clock as view and admit answer them; undefined: the world does not exist. */
function worldFrom(r: {
  spec: Reply;
  clockKind: Reply;
  clockVirtual: Reply;
  clockOffset: Reply;
  rules: Reply;
  verdictSeq: Reply;
}): WorldView | undefined {
  if (!r.spec) return undefined;
  const clock: ClockState =
    r.clockKind === 'virtual'
      ? { kind: 'virtual', nowMs: Number(r.clockVirtual) }
      : { kind: 'real', offsetMs: Number(r.clockOffset) };
  return {
    spec: JSON.parse(String(r.spec)) as WorldSpec,
    clock,
    rules: Number(r.rules),
    verdictSeq: Number(r.verdictSeq ?? 0),
  };
}

/** A task as acceptTask and accept are given it: its fields the scripts read, and the JSON of the rest. */
const TASK_ARGS = [
  'id',
  'owner',
  'price:num',
  'createdAt:num',
  'readyAt?',
  'completeOnPoll?',
  'outcome',
  'planError?',
  'deadline', // when settleDue must look at it (its planned end, or its abandonment)
  'immutable', // TaskImmutable as JSON
] as const;

/** The Lua table storeTask takes, from TASK_ARGS. */
const STORE_TASK_LUA = `{ id = id, owner = owner, price = price, createdAt = createdAt, readyAt = readyAt,
  completeOnPoll = completeOnPoll, outcome = outcome, planError = planError, deadline = deadline,
  immutable = immutable }`;

const ACCEPT_REPLY = ['outcome', 'balance', 'required', 'task'] as const;

function acceptResultFrom(r: Fields<typeof ACCEPT_REPLY> | undefined): AcceptResult {
  const outcome = r!.outcome as string;
  if (outcome === 'accepted')
    return { accepted: true, task: taskFrom(r!.task)!, balance: Number(r!.balance) };
  if (outcome === 'insufficient_credits')
    return { accepted: false, reason: outcome, balance: Number(r!.balance), required: Number(r!.required) };
  return { accepted: false, reason: outcome as 'unknown_account' | 'duplicate_id' | 'stale_world' };
}

/** Each world operation's script (redis-store.ts calls them by name). */
export const WORLD_SCRIPTS = {
  /**
   * Store.admit in one script (AdmitRequest says the order). A rule is asked for when `ruleMethod` is
   * given, chaos when its odds are, a token when `bucket` is; `thenKind`: '' | 'reserve' (`thenArg` the
   * counter) | 'poll' (`thenArg` the task id). The world's time is its clock's, read here.
   */
  admit: defineWorldScript({
    args: [
      'caller',
      'ruleMethod?',
      'rulePath?',
      'ruleOwner?',
      'ruleCreatesTask:bool',
      'chaos500:num?',
      'chaos429:num?',
      'bucket?',
      'bucketLimit:num?',
      'bucketWindowMs:num?',
      'thenKind?',
      'thenArg?',
    ],
    reply: [
      'spec',
      'clockKind',
      'clockVirtual',
      'clockOffset',
      'rules',
      'verdictSeq',
      'now',
      'balance',
      'label',
      'rule',
      'chaos',
      'token',
      'reserved',
      'task',
    ],
    body: `
local v = redis.call('HMGET', k('meta'), 'spec', 'ck', 'cv', 'co', 'rules', 'seed', 'vseq')
if not v[1] then return REPLY{ spec = '' } end
local now = tonumber(v[3] or '0')
if v[2] ~= 'virtual' then now = SYSNOW + tonumber(v[4] or '0') end
local a = { spec = v[1], clockKind = v[2], clockVirtual = v[3] or '0', clockOffset = v[4] or '0',
  rules = v[5] or '0', verdictSeq = v[7] or '0', now = num(now) }
local balance = redis.call('HGET', k('bal'), caller)
if not balance then return REPLY(a) end
a.balance = balance
a.label = redis.call('HGET', k('lbl'), caller) or ''
if ruleMethod ~= '' and tonumber(a.rules) > 0 then
  local rule, action = fire(v[6], ruleMethod, rulePath, ruleOwner, ruleCreatesTask)
  if rule then
    a.rule = rule
    if answers(action) then return REPLY(a) end
  end
end
if chaos500 and chaos429 and (chaos500 > 0 or chaos429 > 0) then
  local draw = counterDraw(v[6], 'chaos')
  if draw < chaos500 then a.chaos = 500 elseif draw < chaos500 + chaos429 then a.chaos = 429 end
  if a.chaos then return REPLY(a) end
end
if bucket ~= '' then
  local token, allowed = takeToken(bucket, bucketLimit, bucketWindowMs, now)
  a.token = token
  if not allowed then return REPLY(a) end
end
if thenKind == 'reserve' then
  a.reserved = redis.call('HINCRBY', k('meta'), 'c:' .. thenArg, 1) - 1
elseif thenKind == 'poll' then
  local t = pollTask(thenArg, caller, now)
  if t then a.task = taskReply(t) end
end
return REPLY(a)
`,
    /** Undefined: the world does not exist. */
    decode: (r, { caller }): Admission | undefined => {
      const view = r && worldFrom(r);
      if (!view) return undefined;
      const admission: Admission = { view, now: Number(r.now), verdictSeq: view.verdictSeq ?? 0 };
      if (r.balance === null) return admission;
      const owner = caller as Owner;
      admission.account = { owner, label: String(r.label ?? ''), balance: Number(r.balance) };
      const rule = ruleFrom(r.rule);
      if (rule) admission.rule = rule;
      if (r.chaos !== null) admission.chaos = Number(r.chaos) as 500 | 429;
      const token = verdictFrom(r.token);
      if (token) admission.token = token;
      if (r.reserved !== null) admission.reserved = Number(r.reserved);
      const task = taskFrom(r.task);
      if (task) admission.task = task;
      return admission;
    },
  }),

  /**
   * Store.accept in one script: the owner's due tasks settled first (at most `limit`: `outcome` 'more'
   * when there may be more, and nothing else was done: call again), then the debit and the task or
   * neither, the rule spent, and retention applied (one chunk; `pruneMore`: prune() on). With
   * `checkSalt`, a world whose id salt is no longer `salt` (lost and made again since the task's id was
   * drawn) or that no longer exists refuses it as 'stale_world' before anything else.
   */
  accept: defineWorldScript({
    args: [...TASK_ARGS, 'checkSalt:bool', 'salt?', 'spendRuleId?', 'prune:bool', 'limit:num'],
    reply: [...ACCEPT_REPLY, 'pruneMore'],
    body: `
if checkSalt then
  local m = redis.call('HMGET', k('meta'), 'salt', 'spec')
  local current = m[1]
  if not current and m[2] then current = cjson.decode(m[2]).idSalt end
  if current ~= salt then return REPLY{ outcome = 'stale_world' } end
end
local _, more = settleDueOf({ owner }, createdAt, limit)
if more then return REPLY{ outcome = 'more' } end
local result, balance, required = storeTask(${STORE_TASK_LUA})
if result ~= 'accepted' then
  return REPLY{ outcome = result, balance = balance and num(balance), required = required and num(required) }
end
if spendRuleId ~= '' then spendRule(spendRuleId) end
local pruneMore = false
if prune then _, pruneMore = pruneAt(createdAt, limit) end
return REPLY{ outcome = result, balance = num(balance), task = taskReply(taskGet(id)), pruneMore = pruneMore and 1 or 0 }
`,
    /** `more`: settle on (call again); `pruneMore`: retention has more to do (prune). */
    decode: (r) =>
      r!.outcome === 'more'
        ? ({ more: true } as const)
        : { more: false as const, result: acceptResultFrom(r), pruneMore: r!.pruneMore === 1 },
  }),

  view: defineWorldScript({
    args: ['caller?'],
    reply: ['spec', 'clockKind', 'clockVirtual', 'clockOffset', 'rules', 'balance', 'label', 'verdictSeq'],
    body: `
local v = redis.call('HMGET', k('meta'), 'spec', 'ck', 'cv', 'co', 'rules', 'vseq')
local balance, label
if caller ~= '' then
  balance = redis.call('HGET', k('bal'), caller)
  if balance then label = redis.call('HGET', k('lbl'), caller) or '' else balance = nil end
end
return REPLY{ spec = v[1] or '', clockKind = v[2] or '', clockVirtual = v[3] or '0', clockOffset = v[4] or '0',
  rules = v[5] or '0', balance = balance, label = label, verdictSeq = v[6] or '0' }
`,
    /** Undefined: the world does not exist. */
    decode: (r, { caller }): WorldView | undefined => {
      const view = r && worldFrom(r);
      if (!view) return undefined;
      if (caller !== undefined && caller !== null) {
        const owner = caller as Owner;
        view.caller =
          r.balance === null
            ? { owner }
            : { owner, account: { owner, label: String(r.label ?? ''), balance: Number(r.balance) } };
      }
      return view;
    },
  }),

  getAccount: defineWorldScript({
    args: ['owner'],
    reply: ['balance', 'label'],
    body: `
local balance = redis.call('HGET', k('bal'), owner)
if not balance then return false end
return REPLY{ balance = balance, label = redis.call('HGET', k('lbl'), owner) or nil }
`,
    decode: (r, { owner }) =>
      r && { owner: owner as Owner, label: String(r.label ?? ''), balance: Number(r.balance) },
  }),

  /** 1, or false (nothing written) for a new account past maxAccounts (WorldCaps). */
  setBalance: defineWorldScript({
    args: ['owner', 'label', 'balance:num', 'at:num', 'maxAccounts:num'],
    body: `
local held = redis.call('HGET', k('bal'), owner)
if not held and redis.call('HLEN', k('bal')) >= maxAccounts then return false end
local previous = tonumber(held or '0')
redis.call('HSET', k('bal'), owner, num(balance))
redis.call('HSET', k('lbl'), owner, label)
ledgerAppend(owner, at, 'set', balance - previous, balance, nil)
return 1
`,
    decode: (set) => set !== null,
  }),

  listAccounts: defineWorldScript({
    args: [],
    body:
      ACCOUNT.lua +
      `
local out = {}
for _, owner in ipairs(redis.call('HKEYS', k('bal'))) do
  out[#out + 1] = ACCOUNT{ owner = owner, balance = redis.call('HGET', k('bal'), owner),
    label = redis.call('HGET', k('lbl'), owner) or '' }
end
return out
`,
    decode: (accounts) =>
      (accounts as Reply[]).map((reply) => {
        const a = ACCOUNT.read(reply)!;
        return { owner: a.owner as Owner, balance: Number(a.balance), label: String(a.label) };
      }),
  }),

  acceptTask: defineWorldScript({
    args: TASK_ARGS,
    reply: ACCEPT_REPLY,
    body: `
local result, balance, required = storeTask(${STORE_TASK_LUA})
return REPLY{ outcome = result, balance = balance and num(balance), required = required and num(required),
  task = result == 'accepted' and taskReply(taskGet(id)) }
`,
    decode: acceptResultFrom,
  }),

  getTask: defineWorldScript({
    args: ['id'],
    body: `
return taskReply(taskGet(id))
`,
    decode: taskFrom,
  }),

  readTask: defineWorldScript({
    args: ['id'],
    body: `
local t = taskGet(id)
if not t then return false end
return taskReply(settleIfDue(t, NOW))
`,
    decode: taskFrom,
  }),

  pollTask: defineWorldScript({
    args: ['id', 'owner'],
    body: `
return taskReply(pollTask(id, owner, NOW))
`,
    decode: taskFrom,
  }),

  settleTask: defineWorldScript({
    args: ['id', 'status', 'at:num', 'errorMessage?'],
    body: `
local t = taskGet(id)
if not t then return false end
return taskReply(settle(t, status, at, nz(errorMessage)))
`,
    decode: taskFrom,
  }),

  /** Settles what is due by NOW, at most `limit` tasks in this call; `more`: call again. */
  settleDue: defineWorldScript({
    args: ['owner?', 'limit:num'],
    reply: ['settled', 'more'],
    body: `
local owners
if owner ~= '' then owners = { owner } else owners = redis.call('SMEMBERS', k('dueowners')) end
local settled, more = settleDueOf(owners, NOW, limit)
return REPLY{ settled = settled, more = more and 1 or 0 }
`,
    decode: (r) => ({ settled: Number(r!.settled), more: Number(r!.more) === 1 }),
  }),

  /** Newest first: at most `limit` tasks, of the newest `scan`. */
  listTasks: defineWorldScript({
    args: ['owner?', 'status?', 'limit:num', 'scan:num'],
    body: `
local ids = redis.call('ZREVRANGE', k('order'), 0, scan - 1)
local out = {}
for _, id in ipairs(ids) do
  local t = taskGet(id)
  if t and (owner == '' or t.o == owner) and (status == '' or t.s == status) then
    out[#out + 1] = taskReply(t)
    if #out >= limit then break end
  end
end
return out
`,
    decode: (tasks) => (tasks as Reply[]).map((t) => taskFrom(t)!),
  }),

  countTasks: defineWorldScript({
    args: [],
    body: `
return redis.call('ZCARD', k('order'))
`,
    decode: number,
  }),

  /** Retention, touching at most `budget` tasks of each kind in this call; `more`: call again. */
  prune: defineWorldScript({
    args: ['budget:num'],
    reply: ['dropped', 'more'],
    body: `
local dropped, more = pruneAt(NOW, budget)
return REPLY{ dropped = dropped, more = more and 1 or 0 }
`,
    decode: (r) => ({ dropped: Number(r!.dropped), more: Number(r!.more) === 1 }),
  }),

  nextCounter: defineWorldScript({
    args: ['name'],
    body: `
return redis.call('HINCRBY', k('meta'), 'c:' .. name, 1) - 1
`,
    decode: number,
  }),

  /** Refuses (and changes nothing) past `limit`. */
  advanceClock: defineWorldScript({
    args: ['ms:num', 'limit:num'],
    reply: ['outcome', 'kind', 'value'],
    body: `
local kind = redis.call('HGET', k('meta'), 'ck')
local field, current, now
if kind == 'virtual' then
  field = 'cv'
  current = tonumber(redis.call('HGET', k('meta'), 'cv') or '0')
  now = current
else
  field = 'co'
  current = tonumber(redis.call('HGET', k('meta'), 'co') or '0')
  now = SYSNOW + current
end
if now + ms > limit then return REPLY{ outcome = 'limit', value = num(now) } end
return REPLY{ outcome = 'ok', kind = kind, value = redis.call('HINCRBY', k('meta'), field, ms) }
`,
    decode: (r, { limit }): AdvanceResult => {
      const value = Number(r!.value);
      if (r!.outcome === 'limit')
        return {
          ok: false,
          problem: `the clock cannot pass ${CLOCK_LIMIT_ISO}: at most ${Math.max(0, limit - value)} ms more`,
        };
      return {
        ok: true,
        clock: r!.kind === 'virtual' ? { kind: 'virtual', nowMs: value } : { kind: 'real', offsetMs: value },
      };
    },
  }),

  /** Returns the new rule's id; undefined (nothing written) past maxRules (WorldCaps). */
  addRule: defineWorldScript({
    // the rule's JSON without its id; its times left ('' : no limit); the world's cap
    args: ['rule', 'left?', 'maxRules:num'],
    body: `
if tonumber(redis.call('HGET', k('meta'), 'rules') or '0') >= maxRules then return false end
local n = redis.call('HINCRBY', k('meta'), 'ruleSeq', 1)
local id = 'rule_' .. n
redis.call('RPUSH', k('rules'), id)
redis.call('HSET', k('rule:' .. id), 'j', rule, 'left', left, 'hits', '0')
redis.call('HINCRBY', k('meta'), 'rules', 1)
return id
`,
    decode: (id) => (id === null ? undefined : String(id)),
  }),

  listRules: defineWorldScript({
    args: [],
    body: `
local out = {}
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do
  local v = redis.call('HMGET', k('rule:' .. id), 'j', 'left', 'hits')
  out[#out + 1] = RULE{ id = id, json = v[1], left = v[2], hits = v[3] }
end
return out
`,
    decode: (rules) => (rules as Reply[]).map((r) => ruleFrom(r)!),
  }),

  removeRule: defineWorldScript({
    args: ['id'],
    body: `
local removed = redis.call('LREM', k('rules'), 0, id)
if removed > 0 then
  redis.call('DEL', k('rule:' .. id))
  redis.call('HINCRBY', k('meta'), 'rules', -removed)
end
return removed
`,
    decode: (removed) => Number(removed) > 0,
  }),

  clearRules: defineWorldScript({
    args: [],
    body: `
local ids = redis.call('LRANGE', k('rules'), 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', k('rule:' .. id)) end
redis.call('DEL', k('rules'))
redis.call('HSET', k('meta'), 'rules', '0')
return #ids
`,
    decode: number,
  }),

  /** FaultRuleBook.fire, drawing from the world seed's fault-rules stream. */
  fireRule: defineWorldScript({
    args: ['method', 'path', 'owner?', 'createsTask:bool'],
    body: `
return (fire(redis.call('HGET', k('meta'), 'seed'), method, path, owner, createsTask))
`,
    decode: ruleFrom,
  }),

  consumeRule: defineWorldScript({
    args: ['id'],
    body: `
spendRule(id)
return 1
`,
  }),

  /** domain/token-bucket.ts takeToken. */
  takeToken: defineWorldScript({
    args: ['bucket', 'limit:num', 'windowMs:num'],
    body: `
return (takeToken(bucket, limit, windowMs, NOW))
`,
    decode: (r) => verdictFrom(r)!,
  }),

  /**
   * A line of the journal list is `id US bytes US fields US json`; `fields` is method, status, path,
   * keyOwner, taskId, injected and operation, each after a US (what queryJournal filters on).
   */
  appendJournal: defineWorldScript({
    args: [
      'fields',
      'bytes',
      'entry',
      'maxEntries:num',
      'maxBytes:num',
      'channel',
      'observation?', // the verdict's observation as JSON ('' when none), in the same operation as the entry
      'backlogCap:num',
    ],
    // Answers the verdict's backlog length after this append (0 without an observation).
    body: `
local backlog = 0
if observation ~= '' then
  -- The id the entry takes below (none when the journal is off).
  local journalId = ''
  if maxEntries > 0 then journalId = num(tonumber(redis.call('HGET', k('meta'), 'c:journal') or '0') + 1) end
  backlog = verdictAppend('o', journalId, observation, backlogCap)
end
if maxEntries == 0 then return backlog end
local id = redis.call('HINCRBY', k('meta'), 'c:journal', 1)
redis.call('LPUSH', k('journal'), id .. '\\31' .. bytes .. '\\31' .. fields .. '\\31' .. entry)
local total = redis.call('HINCRBY', k('meta'), 'jbytes', tonumber(bytes))
local n = redis.call('LLEN', k('journal'))
while n > 1 and (n > maxEntries or total > maxBytes) do
  local oldest = redis.call('RPOP', k('journal'))
  local a = string.find(oldest, '\\31', 1, true)
  local b = string.find(oldest, '\\31', a + 1, true)
  total = redis.call('HINCRBY', k('meta'), 'jbytes', -tonumber(string.sub(oldest, a + 1, b - 1)))
  n = n - 1
end
redis.call('PUBLISH', channel, id)
return backlog
`,
    decode: number,
  }),

  /**
   * Newest first. `status`: '' | '429' | '4' (a class); `injected`: '' | 'any' | 'none' | '=<source>';
   * `needle`: free text, ASCII lower-cased (qa/journal.ts containsText, field for field). An entry
   * goes back as `id US json`; `next`: where the next page starts ('' on the last).
   */
  queryJournal: defineWorldScript({
    args: [
      'method?',
      'path?',
      'status?',
      'keyOwner?',
      'taskId?',
      'before:num?',
      'after:num?',
      'limit:num',
      'scan:num', // most entries to examine
      'injected?',
      'operation?',
      'needle?',
    ],
    reply: ['next', 'entries'],
    body: `
-- string.lower folds A-Z only: Redis runs Lua in the C locale (asciiLower in qa/journal.ts).
local function has(s) return type(s) == 'string' and string.find(string.lower(s), needle, 1, true) ~= nil end
local function decodedQuery(q)
  q = string.gsub(q, '%+', ' ')
  q = string.gsub(q, '%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end)
  return q
end
local function containsText(json)
  local e = cjson.decode(json)
  if has(e.path) or (type(e.rawQuery) == 'string' and has(decodedQuery(e.rawQuery))) or has(e.taskId) or
    has(e.keyLabel) or has(e.injected) or has(e.operation) or has(e.rawBody) or has(e.cutBody) or
    has(e.responseText) then return true end
  if type(e.requestHeaders) == 'table' then
    for _, v in pairs(e.requestHeaders) do if has(v) then return true end end
  end
  return false
end
local newest = tonumber(redis.call('HGET', k('meta'), 'c:journal') or '0')
local total = redis.call('LLEN', k('journal'))
local oldest = newest - total + 1
local start = 0
if before then start = math.max(0, newest - before + 1) end
if start >= total then return REPLY{ next = '', entries = {} } end
-- Entries are consecutive, newest first: the next page starts right after the last one examined.
if limit <= 0 then return REPLY{ next = num(newest - start + 1), entries = {} } end
local lines = redis.call('LRANGE', k('journal'), start, start + scan - 1)
local out = {}
local lastId
for _, line in ipairs(lines) do
  local f = {}
  local pos = 1
  for i = 1, 9 do
    local sep = string.find(line, '\\31', pos, true)
    if not sep then break end
    f[i] = string.sub(line, pos, sep - 1)
    pos = sep + 1
  end
  local id = tonumber(f[1])
  if after and id <= after then return REPLY{ next = '', entries = out } end
  lastId = id
  local st = f[4]
  local inj = f[8]
  if f[9] and (method == '' or f[3] == method) and (path == '' or f[5] == path) and
    (keyOwner == '' or f[6] == keyOwner) and (taskId == '' or f[7] == taskId) and
    (status == '' or st == status or (#status == 1 and string.sub(st, 1, 1) == status)) and
    (operation == '' or f[9] == operation) and
    (injected == '' or (injected == 'any' and inj ~= '') or (injected == 'none' and inj == '') or
      injected == '=' .. inj) and
    (needle == '' or containsText(string.sub(line, pos))) then
    out[#out + 1] = f[1] .. '\\31' .. string.sub(line, pos)
    if #out >= limit then break end
  end
end
local nextId = ''
if lastId and lastId > oldest then nextId = num(lastId) end
return REPLY{ next = nextId, entries = out }
`,
    decode: (r): JournalPage => {
      const entries = (r!.entries as string[]).map((line) => materialise(storedOfLine(line)));
      return r!.next ? { entries, next: Number(r!.next) } : { entries };
    },
  }),

  /**
   * The entries newer than `after`, oldest first, at most `limit`, and the newest id (Store.journalTail);
   * `missing`: the world does not exist. The list is newest first with consecutive ids, so the entry
   * with id x is at index newest - x.
   */
  journalTail: defineWorldScript({
    args: ['after:num', 'limit:num'],
    reply: ['missing', 'newest', 'entries'],
    body: `
if redis.call('HEXISTS', k('meta'), 'spec') == 0 then return REPLY{ missing = 1 } end
local newest = tonumber(redis.call('HGET', k('meta'), 'c:journal') or '0')
local out = {}
if limit > 0 and newest > after then
  local total = redis.call('LLEN', k('journal'))
  local from = math.max(after, newest - total) -- entries from id from + 1 on are kept
  local lines = redis.call('LRANGE', k('journal'), newest - math.min(from + limit, newest), newest - from - 1)
  for i = #lines, 1, -1 do
    local line = lines[i]
    -- id, bytes and 7 fields before the entry's JSON
    local pos = 1
    for _ = 1, 9 do pos = string.find(line, '\\31', pos, true) + 1 end
    out[#out + 1] = string.sub(line, 1, string.find(line, '\\31', 1, true)) .. string.sub(line, pos)
  end
end
return REPLY{ newest = num(newest), entries = out }
`,
    decode: (r): JournalTail | undefined =>
      r!.missing
        ? undefined
        : { newest: Number(r!.newest), entries: (r!.entries as string[]).map(storedOfLine) },
  }),

  stats: defineWorldScript({
    args: [],
    reply: [
      'tasksCreated',
      'tasksSucceeded',
      'tasksFailed',
      'creditsDebited',
      'creditsRefunded',
      'tasksInProgress',
      'tasks',
      'journalEntries',
      'journalBytes',
      'tasksDropped',
    ],
    body: `
local v = redis.call('HMGET', k('meta'), 'tasksCreated', 'tasksSucceeded', 'tasksFailed', 'creditsDebited',
  'creditsRefunded', 'jbytes', 'tasksDropped')
return REPLY{ tasksCreated = v[1] or '0', tasksSucceeded = v[2] or '0', tasksFailed = v[3] or '0',
  creditsDebited = v[4] or '0', creditsRefunded = v[5] or '0', tasksInProgress = redis.call('ZCARD', k('open')),
  tasks = redis.call('ZCARD', k('order')), journalEntries = redis.call('LLEN', k('journal')),
  journalBytes = v[6] or '0', tasksDropped = v[7] or '0' }
`,
    decode: (r): WorldStats => ({
      tasksCreated: Number(r!.tasksCreated),
      tasksSucceeded: Number(r!.tasksSucceeded),
      tasksFailed: Number(r!.tasksFailed),
      creditsDebited: Number(r!.creditsDebited),
      creditsRefunded: Number(r!.creditsRefunded),
      tasksInProgress: Number(r!.tasksInProgress),
      tasks: Number(r!.tasks),
      journalEntries: Number(r!.journalEntries),
      journalBytes: Number(r!.journalBytes),
      tasksDropped: Number(r!.tasksDropped),
    }),
  }),

  /**
   * Forgets every key of the world but its budgets, and writes its start from its spec: its accounts
   * funded, its rules (a scenario) in order as addRule adds them, given as JSON and times-left pairs
   * built by the client, so no number goes through cjson. Also how a world is created.
   */
  reset: defineWorldScript({
    args: ['specJson', 'clock', 'virtualStart'],
    rest: 'rules',
    body: `
for _, id in ipairs(redis.call('ZRANGE', k('order'), 0, -1)) do redis.call('DEL', k('t:' .. id)) end
for _, owner in ipairs(redis.call('HKEYS', k('bal'))) do
  redis.call('DEL', k('ledger:' .. owner), k('due:' .. owner))
end
for _, owner in ipairs(redis.call('SMEMBERS', k('dueowners'))) do redis.call('DEL', k('due:' .. owner)) end
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do redis.call('DEL', k('rule:' .. id)) end
-- Budgets stay: what they count was spent outside the simulator (Store.reserveBudget).
redis.call('DEL', k('order'), k('open'), k('done'), k('dueowners'), k('bal'), k('lbl'), k('rules'),
  k('buckets'), k('journal'), k('meta'), k('spend'), k('vobs'), k('vstate'), k('vlock'))
local spec = cjson.decode(specJson)
redis.call('HSET', k('meta'), 'spec', specJson, 'seed', spec.seed, 'salt', spec.idSalt or '', 'ck', clock, 'cv', virtualStart, 'co', '0', 'rules', '0')
local now = tonumber(virtualStart)
if clock == 'real' then now = SYSNOW end
-- The verdict starts again from here (its seq from 0: meta is gone).
redis.call('HSET', k('meta'), 'vsince', num(now))
for _, a in ipairs(spec.accounts) do
  redis.call('HSET', k('bal'), a.owner, num(a.balance))
  redis.call('HSET', k('lbl'), a.owner, a.label)
  ledgerAppend(a.owner, now, 'set', a.balance, a.balance, nil)
end
local nrules = #rules / 2
for i = 1, nrules do
  local id = 'rule_' .. i
  redis.call('RPUSH', k('rules'), id)
  redis.call('HSET', k('rule:' .. id), 'j', rules[2 * i - 1], 'left', rules[2 * i], 'hits', '0')
end
redis.call('HSET', k('meta'), 'ruleSeq', num(nrules), 'rules', num(nrules))
return 1
`,
  }),

  /** Adds `amount` unless the total would pass `limit` (Store.reserveBudget). */
  reserveBudget: defineWorldScript({
    args: ['name', 'amount:num', 'limit:num'],
    reply: ['reserved', 'total'],
    body: `
local total = tonumber(redis.call('HGET', k('budget'), name) or '0')
if total + amount > limit then return REPLY{ reserved = 0, total = num(total) } end
redis.call('HSET', k('budget'), name, num(total + amount))
return REPLY{ reserved = 1, total = num(total + amount) }
`,
    decode: (r, { limit }): BudgetResult =>
      Number(r!.reserved) === 1
        ? { reserved: true, total: Number(r!.total) }
        : { reserved: false, total: Number(r!.total), limit },
  }),

  releaseBudget: defineWorldScript({
    args: ['name', 'amount:num'],
    body: `
local total = math.max(0, tonumber(redis.call('HGET', k('budget'), name) or '0') - amount)
redis.call('HSET', k('budget'), name, num(total))
return num(total)
`,
    decode: number,
  }),

  readBudget: defineWorldScript({
    args: ['name'],
    body: `
return redis.call('HGET', k('budget'), name) or '0'
`,
    decode: number,
  }),

  /** Every key of the world, gone (the directory is the caller's). */
  destroy: defineWorldScript({
    args: [],
    body: `
for _, id in ipairs(redis.call('ZRANGE', k('order'), 0, -1)) do redis.call('DEL', k('t:' .. id)) end
for _, owner in ipairs(redis.call('HKEYS', k('bal'))) do
  redis.call('DEL', k('ledger:' .. owner), k('due:' .. owner))
end
for _, owner in ipairs(redis.call('SMEMBERS', k('dueowners'))) do redis.call('DEL', k('due:' .. owner)) end
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do redis.call('DEL', k('rule:' .. id)) end
redis.call('DEL', k('order'), k('open'), k('done'), k('dueowners'), k('bal'), k('lbl'), k('rules'),
  k('buckets'), k('journal'), k('meta'), k('budget'), k('spend'), k('vobs'), k('vstate'), k('vlock'))
return 1
`,
  }),
};

/**
 * The directory's scripts, on keys under the `{dir}` hash tag (KEYS[1] is its base `B`): `worlds`
 * (id -> record JSON), `seen` (id -> last request, system ms), `keys` (owner -> world), `tokens`
 * (credential digest -> world).
 */
function defineDirectoryScript<
  const A extends readonly string[],
  const R extends string | undefined = undefined,
  const F extends readonly string[] | undefined = undefined,
  T = Reply,
>(definition: Omit<ScriptDefinition<A, R, F, T>, 'keys' | 'leading' | 'library'>): Script<ArgsOf<A, R>, T> {
  return defineScript<A, R, F, T>({
    ...definition,
    keys: ['B'],
    library: `local function k(s) return B .. ':' .. s end\n`,
  });
}

const oneIsYes = (reply: Reply): boolean => Number(reply) === 1;

export const DIRECTORY_SCRIPTS = {
  /** Refuses (0) when a key is another world's. */
  claimWorld: defineDirectoryScript({
    args: ['id', 'record', 'tokenDigest?', 'lastSeen'],
    rest: 'owners',
    body: `
for _, owner in ipairs(owners) do
  local holder = redis.call('HGET', k('keys'), owner)
  if holder and holder ~= id then return 0 end
end
redis.call('HSET', k('worlds'), id, record)
redis.call('HSET', k('seen'), id, lastSeen)
if tokenDigest ~= '' then redis.call('HSET', k('tokens'), tokenDigest, id) end
for _, owner in ipairs(owners) do redis.call('HSET', k('keys'), owner, id) end
return 1
`,
    decode: oneIsYes,
  }),

  /** The record kept (the first one's), and whether it is this call's. */
  ensureWorld: defineDirectoryScript({
    args: ['id', 'record', 'lastSeen'],
    reply: ['created', 'record'],
    body: `
if redis.call('HSETNX', k('worlds'), id, record) == 1 then
  redis.call('HSET', k('seen'), id, lastSeen)
  return REPLY{ created = 1, record = record }
end
return REPLY{ created = 0, record = redis.call('HGET', k('worlds'), id) }
`,
    /** `json` as stored, to pass on unchanged. */
    decode: (r) => {
      const json = String(r!.record);
      return { created: Number(r!.created) === 1, json, record: JSON.parse(json) as TenantRecord };
    },
  }),

  /** Forgets the world's directory entries; whether it existed. */
  forgetWorld: defineDirectoryScript({
    args: ['id'],
    body: `
local record = redis.call('HGET', k('worlds'), id)
if not record then return 0 end
for _, owner in ipairs(redis.call('HKEYS', k('keys'))) do
  if redis.call('HGET', k('keys'), owner) == id then redis.call('HDEL', k('keys'), owner) end
end
for _, digest in ipairs(redis.call('HKEYS', k('tokens'))) do
  if redis.call('HGET', k('tokens'), digest) == id then redis.call('HDEL', k('tokens'), digest) end
end
redis.call('HDEL', k('worlds'), id)
redis.call('HDEL', k('seen'), id)
return 1
`,
    decode: oneIsYes,
  }),

  claimKey: defineDirectoryScript({
    args: ['owner', 'world'],
    body: `
local holder = redis.call('HGET', k('keys'), owner)
if holder and holder ~= world then return 0 end
redis.call('HSET', k('keys'), owner, world)
return 1
`,
    decode: oneIsYes,
  }),

  releaseKeys: defineDirectoryScript({
    args: ['world'],
    rest: 'owners',
    body: `
for _, owner in ipairs(owners) do
  if redis.call('HGET', k('keys'), owner) == world then redis.call('HDEL', k('keys'), owner) end
end
return 1
`,
  }),

  /** Only ever forward. */
  touchWorld: defineDirectoryScript({
    args: ['id', 'systemNow'],
    body: `
local seen = tonumber(redis.call('HGET', k('seen'), id) or '0')
if tonumber(systemNow) > seen and redis.call('HEXISTS', k('worlds'), id) == 1 then
  redis.call('HSET', k('seen'), id, systemNow)
end
return 1
`,
  }),
};
