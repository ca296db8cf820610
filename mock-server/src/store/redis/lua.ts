/**
 * The Redis store's operations, one Lua script each, so each is atomic: Redis runs a script to its
 * end before any other command. Every key of a world is `<base>:<name>` where the base carries the
 * world's hash tag (`dc:{w:<id>}`), so a script touches one slot and a Redis Cluster can run it.
 * Time is always an argument (the simulator's clock), never Redis's TIME.
 *
 * The rules here are the domain's, line for line: settlement and abandonment (domain/tasks.ts
 * dueSettlement), the token bucket (domain/token-bucket.ts), ledger folding (domain/ledger.ts),
 * retention (memory-store.ts) and fault-rule firing (qa/fault-rules.ts). The Store conformance suite
 * holds both stores to the same answers.
 *
 * Numbers: Lua 5.1's tostring keeps 14 significant digits, and instants reach 15 (the clock runs to
 * the year 9000), so every number a script writes goes through num() (%.0f, exact for integers below
 * 2^53) or, for a bucket's fractional tokens, %.17g. Task records are hashes of plain fields, so no
 * script re-encodes JSON a client sent (cjson would print numbers with 14 digits).
 *
 * Common arguments of every world script: ARGV[1] now (the world's time, ms), ARGV[2] system time,
 * ARGV[3] retention age (ms), ARGV[4] most tasks, ARGV[5] ledger entries kept; then its own from 6.
 */
import { ABANDONED_MESSAGE } from '../../domain/tasks.js';

export const LIB = `
local B = KEYS[1]
local NOW = tonumber(ARGV[1])
local SYSNOW = tonumber(ARGV[2])
local MAXAGE = tonumber(ARGV[3])
local MAXTASKS = tonumber(ARGV[4])
local MAXLEDGER = tonumber(ARGV[5])
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
  return { t.j, t.s, t.sa or '', t.em or '', num(t.p) }
end
local function stat(field, by) redis.call('HINCRBY', k('meta'), field, by) end

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
`;

/** Each script's body; LIB is prepended. `return` values are arrays of strings and numbers. */
export const SCRIPTS = {
  view: `
local caller = ARGV[6]
local v = redis.call('HMGET', k('meta'), 'spec', 'ck', 'cv', 'co', 'rules')
local reply = { v[1] or '', v[2] or '', v[3] or '0', v[4] or '0', v[5] or '0' }
if caller ~= '' then
  local bal = redis.call('HGET', k('bal'), caller)
  if bal then
    reply[6] = bal
    reply[7] = redis.call('HGET', k('lbl'), caller) or ''
  end
end
return reply
`,

  getAccount: `
local owner = ARGV[6]
local bal = redis.call('HGET', k('bal'), owner)
if not bal then return false end
return { bal, redis.call('HGET', k('lbl'), owner) }
`,

  setBalance: `
local owner, label, balance, at = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local previous = tonumber(redis.call('HGET', k('bal'), owner) or '0')
redis.call('HSET', k('bal'), owner, num(balance))
redis.call('HSET', k('lbl'), owner, label)
ledgerAppend(owner, at, 'set', balance - previous, balance, nil)
return 1
`,

  listAccounts: `
local owners = redis.call('HKEYS', k('bal'))
local out = {}
for _, owner in ipairs(owners) do
  out[#out + 1] = owner
  out[#out + 1] = redis.call('HGET', k('bal'), owner)
  out[#out + 1] = redis.call('HGET', k('lbl'), owner) or ''
end
return out
`,

  // ARGV: 6 id, 7 owner, 8 price, 9 createdAt, 10 readyAt|'', 11 completeOnPoll|'', 12 outcome,
  // 13 plan error|'', 14 deadline, 15 immutable JSON
  acceptTask: `
local id, owner, price, createdAt = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local bal = redis.call('HGET', k('bal'), owner)
if not bal then return { 'unknown_account' } end
if redis.call('EXISTS', k('t:' .. id)) == 1 then return { 'duplicate_id' } end
bal = tonumber(bal)
if bal < price then return { 'insufficient_credits', num(bal), num(price) } end
bal = redis.call('HINCRBY', k('bal'), owner, -price)
ledgerAppend(owner, createdAt, 'debit', -price, bal, id)
stat('tasksCreated', 1)
stat('creditsDebited', price)
redis.call('HSET', k('t:' .. id), 'j', ARGV[15], 's', 'IN_PROGRESS', 'sa', '', 'em', '', 'p', '0', 'o', owner,
  'ca', ARGV[9], 'pr', ARGV[8], 'ra', ARGV[10], 'cp', ARGV[11], 'oc', ARGV[12], 'pe', ARGV[13])
local seq = redis.call('HINCRBY', k('meta'), 'seq', 1)
redis.call('ZADD', k('order'), seq, id)
redis.call('ZADD', k('open'), ARGV[9], id)
redis.call('ZADD', k('due:' .. owner), ARGV[14], id)
redis.call('SADD', k('dueowners'), owner)
enforceCount(createdAt)
return { 'accepted', num(bal), taskReply(taskGet(id)) }
`,

  getTask: `
return taskReply(taskGet(ARGV[6]))
`,

  readTask: `
local t = taskGet(ARGV[6])
if not t then return false end
return taskReply(settleIfDue(t, NOW))
`,

  pollTask: `
local t = taskGet(ARGV[6])
if not t or t.o ~= ARGV[7] then return false end
if t.s ~= 'IN_PROGRESS' then return taskReply(t) end
t.p = redis.call('HINCRBY', k('t:' .. t.id), 'p', 1)
return taskReply(settleIfDue(t, NOW))
`,

  // ARGV: 6 id, 7 status, 8 at, 9 error|''
  settleTask: `
local t = taskGet(ARGV[6])
if not t then return false end
return taskReply(settle(t, ARGV[7], tonumber(ARGV[8]), nz(ARGV[9])))
`,

  // ARGV: 6 owner|'' (all), 7 most to settle in this call. Returns { settled, more }.
  settleDue: `
local owners
if ARGV[6] ~= '' then owners = { ARGV[6] } else owners = redis.call('SMEMBERS', k('dueowners')) end
local limit = tonumber(ARGV[7])
local settled = 0
for _, owner in ipairs(owners) do
  local ids = redis.call('ZRANGEBYSCORE', k('due:' .. owner), '-inf', num(NOW), 'LIMIT', 0, limit - settled)
  for _, id in ipairs(ids) do
    local t = taskGet(id)
    if not t or t.s ~= 'IN_PROGRESS' then
      redis.call('ZREM', k('due:' .. owner), id)
    else
      local status, at, err = dueOf(t, NOW)
      if status then
        settle(t, status, at, err)
        settled = settled + 1
      end
    end
  end
  if redis.call('ZCARD', k('due:' .. owner)) == 0 then redis.call('SREM', k('dueowners'), owner) end
  if settled >= limit then return { settled, 1 } end
end
return { settled, 0 }
`,

  // ARGV: 6 owner|'', 7 status|'', 8 limit, 9 most to examine. Newest first.
  listTasks: `
local owner, status, limit, scan = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
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

  countTasks: `
return redis.call('ZCARD', k('order'))
`,

  // ARGV: 6 most tasks to touch in this call. Returns { dropped, more }.
  prune: `
local budget = tonumber(ARGV[6])
local old = redis.call('ZRANGEBYSCORE', k('open'), '-inf', num(NOW - MAXAGE), 'LIMIT', 0, budget)
for _, id in ipairs(old) do settle(taskGet(id), 'FAILED', tonumber(redis.call('HGET', k('t:' .. id), 'ca')) + MAXAGE, ABANDONED) end
local dropped = 0
local done = redis.call('ZRANGEBYSCORE', k('done'), '-inf', '(' .. num(NOW - MAXAGE), 'LIMIT', 0, budget)
for _, id in ipairs(done) do
  drop(id)
  dropped = dropped + 1
end
dropped = dropped + enforceCount(NOW)
local more = 0
if #old >= budget or #done >= budget then more = 1 end
return { dropped, more }
`,

  nextCounter: `
return redis.call('HINCRBY', k('meta'), 'c:' .. ARGV[6], 1) - 1
`,

  // ARGV: 6 ms, 7 limit. Returns { 'ok', kind, value } or { 'limit', now }.
  advanceClock: `
local ms, limit = tonumber(ARGV[6]), tonumber(ARGV[7])
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
if now + ms > limit then return { 'limit', num(now) } end
local value = redis.call('HINCRBY', k('meta'), field, ms)
return { 'ok', kind, value }
`,

  // ARGV: 6 rule JSON without id, 7 timesLeft|''
  addRule: `
local n = redis.call('HINCRBY', k('meta'), 'ruleSeq', 1)
local id = 'rule_' .. n
redis.call('RPUSH', k('rules'), id)
redis.call('HSET', k('rule:' .. id), 'j', ARGV[6], 'left', ARGV[7], 'hits', '0')
redis.call('HINCRBY', k('meta'), 'rules', 1)
return id
`,

  listRules: `
local out = {}
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do
  local v = redis.call('HMGET', k('rule:' .. id), 'j', 'left', 'hits')
  out[#out + 1] = { id, v[1], v[2], v[3] }
end
return out
`,

  removeRule: `
local removed = redis.call('LREM', k('rules'), 0, ARGV[6])
if removed > 0 then
  redis.call('DEL', k('rule:' .. ARGV[6]))
  redis.call('HINCRBY', k('meta'), 'rules', -removed)
end
return removed
`,

  clearRules: `
local ids = redis.call('LRANGE', k('rules'), 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', k('rule:' .. id)) end
redis.call('DEL', k('rules'))
redis.call('HSET', k('meta'), 'rules', '0')
return #ids
`,

  // ARGV: 6 method, 7 path, 8 owner|'', 9 createsTask '1'|'0'. FaultRuleBook.fire, drawing from
  // the world seed's fault-rules stream.
  fireRule: `
local method, path, owner, createsTask = ARGV[6], ARGV[7], ARGV[8], ARGV[9] == '1'
local seed = redis.call('HGET', k('meta'), 'seed')
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do
  local v = redis.call('HMGET', k('rule:' .. id), 'j', 'left', 'hits')
  local rule = cjson.decode(v[1])
  local m, a = rule.match, rule.action
  local taskOnly = a.task ~= nil and a.status == nil and a.fault == nil and (a.delayMs == nil or a.delayMs == 0)
  local matches = (m.method == nil or m.method == method) and (m.path == nil or m.path == path) and
    (m.owner == nil or m.owner == owner) and (not taskOnly or createsTask)
  if matches and rule.probability ~= cjson.null and rule.probability ~= nil then
    local n = redis.call('HINCRBY', k('meta'), 'c:fault-rules', 1) - 1
    local draw = tonumber(string.sub(redis.sha1hex(seed .. '/fault-rules/' .. string.format('%d', n)), 1, 13), 16) / 4503599627370496
    matches = draw < rule.probability
  end
  if matches then
    local hits, left = tonumber(v[3]), tonumber(nz(v[2]))
    if not taskOnly then hits, left = consumeRule(id, v[2]) end
    return { id, v[1], left and num(left) or '', num(hits) }
  end
end
return false
`,

  consumeRule: `
local id = ARGV[6]
local v = redis.call('HMGET', k('rule:' .. id), 'j', 'left', 'hits')
if not v[1] then return 0 end
consumeRule(id, v[2])
return 1
`,

  // ARGV: 6 bucket, 7 limit, 8 window ms. domain/token-bucket.ts takeToken.
  takeToken: `
local bucket, limit, windowMs = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local perMs = limit / windowMs
local state = redis.call('HGET', k('buckets'), bucket)
local tokens, at = limit, NOW
if state then
  local sep = string.find(state, ' ', 1, true)
  tokens = tonumber(string.sub(state, 1, sep - 1))
  at = tonumber(string.sub(state, sep + 1))
end
tokens = math.min(limit, tokens + math.max(0, NOW - at) * perMs)
local allowed = tokens >= 1
if allowed then tokens = tokens - 1 end
redis.call('HSET', k('buckets'), bucket, string.format('%.17g', tokens) .. ' ' .. num(math.max(NOW, at)))
local retry, missing = 0, 0
if not allowed then
  missing = 1 - tokens
  retry = math.max(1, math.ceil(missing / perMs / 1000))
end
return { allowed and 1 or 0, limit, math.floor(tokens), retry, math.ceil((limit - tokens) / perMs / 1000) }
`,

  // ARGV: 6 fields line (method US status US path US keyOwner US taskId US injected), 7 bytes,
  // 8 entry JSON, 9 most entries, 10 most bytes, 11 channel. Entries: 'id US bytes US fields US json'.
  appendJournal: `
local maxEntries, maxBytes = tonumber(ARGV[9]), tonumber(ARGV[10])
if maxEntries == 0 then return 0 end
local id = redis.call('HINCRBY', k('meta'), 'c:journal', 1)
local bytes = tonumber(ARGV[7])
redis.call('LPUSH', k('journal'), id .. '\\31' .. ARGV[7] .. '\\31' .. ARGV[6] .. '\\31' .. ARGV[8])
local total = redis.call('HINCRBY', k('meta'), 'jbytes', bytes)
local n = redis.call('LLEN', k('journal'))
while n > 1 and (n > maxEntries or total > maxBytes) do
  local oldest = redis.call('RPOP', k('journal'))
  local a = string.find(oldest, '\\31', 1, true)
  local b = string.find(oldest, '\\31', a + 1, true)
  total = redis.call('HINCRBY', k('meta'), 'jbytes', -tonumber(string.sub(oldest, a + 1, b - 1)))
  n = n - 1
end
redis.call('PUBLISH', ARGV[11], id)
return id
`,

  // ARGV: 6 method, 7 path, 8 status ('' | '429' | '4'), 9 keyOwner, 10 taskId, 11 before|'', 12 after|'',
  // 13 limit, 14 most to examine, 15 injected ('' | 'any' | 'none' | '=<source>'), 16 operation, 17 free
  // text (ASCII lower-cased; qa/journal.ts containsText, field for field). Returns { next|'', entry... }
  // newest first. A line is: id, bytes, method, status, path, keyOwner, taskId, injected, operation,
  // then the entry's JSON (which never holds the separator: JSON escapes control characters).
  queryJournal: `
local method, path, status, keyOwner, taskId = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local before, after = tonumber(nz(ARGV[11])), tonumber(nz(ARGV[12]))
local limit, scan = tonumber(ARGV[13]), tonumber(ARGV[14])
local injected, operation, needle = ARGV[15] or '', ARGV[16] or '', ARGV[17] or ''
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
if start >= total then return { '' } end
-- Entries are consecutive, newest first: the next page starts right after the last one examined.
if limit <= 0 then return { num(newest - start + 1) } end
local lines = redis.call('LRANGE', k('journal'), start, start + scan - 1)
local out = { '' }
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
  if after and id <= after then return out end
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
    if #out - 1 >= limit then break end
  end
end
if lastId and lastId > oldest then out[1] = num(lastId) end
return out
`,

  stats: `
local v = redis.call('HMGET', k('meta'), 'tasksCreated', 'tasksSucceeded', 'tasksFailed', 'creditsDebited',
  'creditsRefunded', 'jbytes', 'tasksDropped')
return { v[1] or '0', v[2] or '0', v[3] or '0', v[4] or '0', v[5] or '0', redis.call('ZCARD', k('open')),
  redis.call('ZCARD', k('order')), redis.call('LLEN', k('journal')), v[6] or '0', v[7] or '0' }
`,

  // Forgets every key of the world but its spec; the caller then funds the spec's accounts.
  // ARGV: 6 spec JSON, 7 clock kind, 8 virtual start. Also used to create a world.
  reset: `
for _, id in ipairs(redis.call('ZRANGE', k('order'), 0, -1)) do redis.call('DEL', k('t:' .. id)) end
for _, owner in ipairs(redis.call('HKEYS', k('bal'))) do
  redis.call('DEL', k('ledger:' .. owner), k('due:' .. owner))
end
for _, owner in ipairs(redis.call('SMEMBERS', k('dueowners'))) do redis.call('DEL', k('due:' .. owner)) end
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do redis.call('DEL', k('rule:' .. id)) end
-- Budgets stay: what they count was spent outside the simulator (Store.reserveBudget).
redis.call('DEL', k('order'), k('open'), k('done'), k('dueowners'), k('bal'), k('lbl'), k('rules'),
  k('buckets'), k('journal'), k('meta'))
local spec = cjson.decode(ARGV[6])
redis.call('HSET', k('meta'), 'spec', ARGV[6], 'seed', spec.seed, 'ck', ARGV[7], 'cv', ARGV[8], 'co', '0', 'rules', '0')
local now = tonumber(ARGV[8])
if ARGV[7] == 'real' then now = SYSNOW end
for _, a in ipairs(spec.accounts) do
  redis.call('HSET', k('bal'), a.owner, num(a.balance))
  redis.call('HSET', k('lbl'), a.owner, a.label)
  ledgerAppend(a.owner, now, 'set', a.balance, a.balance, nil)
end
-- The spec's rules (a scenario), in order, as addRule adds them: ARGV[9] how many, then JSON and
-- times-left pairs (built by the client, so no number goes through cjson).
local nrules = tonumber(ARGV[9] or '0')
for i = 1, nrules do
  local id = 'rule_' .. i
  redis.call('RPUSH', k('rules'), id)
  redis.call('HSET', k('rule:' .. id), 'j', ARGV[8 + 2 * i], 'left', ARGV[9 + 2 * i], 'hits', '0')
end
redis.call('HSET', k('meta'), 'ruleSeq', nrules, 'rules', nrules)
return 1
`,

  // Budgets (Store.reserveBudget): ARGV 6 name, 7 amount, 8 limit. Never more than the limit.
  reserveBudget: `
local total = tonumber(redis.call('HGET', k('budget'), ARGV[6]) or '0')
local amount, limit = tonumber(ARGV[7]), tonumber(ARGV[8])
if total + amount > limit then return { 0, num(total) } end
redis.call('HSET', k('budget'), ARGV[6], num(total + amount))
return { 1, num(total + amount) }
`,

  releaseBudget: `
local total = math.max(0, tonumber(redis.call('HGET', k('budget'), ARGV[6]) or '0') - tonumber(ARGV[7]))
redis.call('HSET', k('budget'), ARGV[6], num(total))
return num(total)
`,

  readBudget: `
return redis.call('HGET', k('budget'), ARGV[6]) or '0'
`,

  /** Every key of the world, gone (the directory is the caller's). */
  destroy: `
for _, id in ipairs(redis.call('ZRANGE', k('order'), 0, -1)) do redis.call('DEL', k('t:' .. id)) end
for _, owner in ipairs(redis.call('HKEYS', k('bal'))) do
  redis.call('DEL', k('ledger:' .. owner), k('due:' .. owner))
end
for _, owner in ipairs(redis.call('SMEMBERS', k('dueowners'))) do redis.call('DEL', k('due:' .. owner)) end
for _, id in ipairs(redis.call('LRANGE', k('rules'), 0, -1)) do redis.call('DEL', k('rule:' .. id)) end
redis.call('DEL', k('order'), k('open'), k('done'), k('dueowners'), k('bal'), k('lbl'), k('rules'),
  k('buckets'), k('journal'), k('meta'), k('budget'))
return 1
`,
} as const;

/**
 * The directory's scripts, on keys under the `{dir}` hash tag: `worlds` (id -> record JSON), `seen`
 * (id -> last request, system ms), `keys` (owner -> world), `tokens` (credential digest -> world).
 * ARGV[1] onwards are each script's own.
 */
export const DIRECTORY_SCRIPTS = {
  // ARGV: 1 id, 2 record JSON, 3 token digest|'', 4 last seen, 5.. owners. Refuses a key another world holds.
  claimWorld: `
local B = KEYS[1]
local function k(s) return B .. ':' .. s end
local id = ARGV[1]
for i = 5, #ARGV do
  local holder = redis.call('HGET', k('keys'), ARGV[i])
  if holder and holder ~= id then return 0 end
end
redis.call('HSET', k('worlds'), id, ARGV[2])
redis.call('HSET', k('seen'), id, ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', k('tokens'), ARGV[3], id) end
for i = 5, #ARGV do redis.call('HSET', k('keys'), ARGV[i], id) end
return 1
`,

  // ARGV: 1 id, 2 record JSON, 3 last seen. Returns the record kept (the first one's).
  ensureWorld: `
local B = KEYS[1]
local function k(s) return B .. ':' .. s end
if redis.call('HSETNX', k('worlds'), ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', k('seen'), ARGV[1], ARGV[3])
  return { 1, ARGV[2] }
end
return { 0, redis.call('HGET', k('worlds'), ARGV[1]) }
`,

  // ARGV: 1 id. Forgets the world's directory entries; returns whether it existed.
  forgetWorld: `
local B = KEYS[1]
local function k(s) return B .. ':' .. s end
local id = ARGV[1]
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

  // ARGV: 1 owner, 2 world.
  claimKey: `
local B = KEYS[1]
local holder = redis.call('HGET', B .. ':keys', ARGV[1])
if holder and holder ~= ARGV[2] then return 0 end
redis.call('HSET', B .. ':keys', ARGV[1], ARGV[2])
return 1
`,

  // ARGV: 1 world, 2.. owners.
  releaseKeys: `
local B = KEYS[1]
for i = 2, #ARGV do
  if redis.call('HGET', B .. ':keys', ARGV[i]) == ARGV[1] then redis.call('HDEL', B .. ':keys', ARGV[i]) end
end
return 1
`,

  // ARGV: 1 id, 2 system time: only ever forward.
  touchWorld: `
local B = KEYS[1]
local seen = tonumber(redis.call('HGET', B .. ':seen', ARGV[1]) or '0')
if tonumber(ARGV[2]) > seen and redis.call('HEXISTS', B .. ':worlds', ARGV[1]) == 1 then
  redis.call('HSET', B .. ':seen', ARGV[1], ARGV[2])
end
return 1
`,
} as const;
