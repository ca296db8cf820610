/**
 * A Redis script's protocol, written once. A script names its arguments and, when it answers a
 * record, the record's fields; from those lists come both sides:
 *
 * - Lua: a prelude that names every argument (`local id, owner, price = ARGV[6], ARGV[7],
 *   tonumber(ARGV[8])`) and a function per record that lists its fields in order
 *   (`REPLY{ balance = bal, label = lbl }`), so no body reads `ARGV[n]` or returns fields by position;
 * - TypeScript: a call passes a named object, typed from the list (a missing or misspelt argument does
 *   not compile), encoded in the list's order; the reply is read by field name in the script's
 *   `decode`, beside its Lua.
 *
 * An argument is `name` (text: sent as String(value)), `name:num` (a number: the prelude applies
 * tonumber), `name:bool` (true or false: '1' or '0', the prelude makes it a Lua boolean); a trailing
 * `?` lets the caller leave it out (sent as '', so a text arrives as '' and a number as nil). `rest`
 * names a list passed after them all (the prelude collects it into a Lua table).
 *
 * How to add a script (a composite operation, say, that resolves a request's view, authenticates,
 * fires a rule and takes a rate-limit token in one round trip): one `defineWorldScript({ args, reply,
 * body, decode })` entry in WORLD_SCRIPTS (lua.ts), whose body may use every function of the world
 * library (LIB), then one method in redis-store.ts: `return this.run(WORLD_SCRIPTS.name, now, { ... })`.
 * Nothing else: the connection loads it by its SHA on first use, and a name that would hide a library
 * function or a Lua global is refused when the module loads.
 */
import { createHash } from 'node:crypto';

/** A reply as node-redis gives it for a script (RESP2): Lua false and nil arrive as null. */
export type Reply = string | number | null | Reply[];

type Kind = 'text' | 'num' | 'bool';
type KindOf<S extends string> = S extends `${string}:num${'' | '?'}`
  ? 'num'
  : S extends `${string}:bool${'' | '?'}`
    ? 'bool'
    : 'text';
type NameOf<S extends string> = S extends `${infer N}:${string}` ? N : S extends `${infer N}?` ? N : S;
type ValueOf<S extends string> =
  KindOf<S> extends 'num' ? number : KindOf<S> extends 'bool' ? boolean : string | number;
type Required<S extends string> = S extends `${string}?` ? never : S;
type Optional<S extends string> = S extends `${string}?` ? S : never;

/** The named object a call passes for the argument list `A` (and its `rest`, when it has one). */
export type ArgsOf<A extends readonly string[], R extends string | undefined = undefined> = {
  [S in Required<A[number]> as NameOf<S>]: ValueOf<S>;
} & {
  [S in Optional<A[number]> as NameOf<S>]?: ValueOf<S> | null;
} & (R extends string ? { [K in R]: ReadonlyArray<string | number> } : unknown);

/** A record's fields by name, as Redis sent them. */
export type Fields<F extends readonly string[]> = { [K in F[number]]: Reply };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names a script may not give a local: Lua's words and the globals Redis's Lua has. */
const LUA_NAMES = new Set(
  (
    'and break do else elseif end false for function if in local nil not or repeat return then true ' +
    'until while redis cjson cmsgpack bit struct string math table tonumber tostring type ipairs pairs ' +
    'next select unpack error assert pcall rawget rawset setmetatable getmetatable KEYS ARGV _G'
  ).split(' '),
);

interface Arg {
  name: string;
  kind: Kind;
  optional: boolean;
}

function parseArg(spec: string): Arg {
  const m = /^([^:?]+)(?::(num|bool))?(\?)?$/.exec(spec);
  if (!m || !IDENTIFIER.test(m[1]!)) throw new Error(`not a script argument: ${JSON.stringify(spec)}`);
  return { name: m[1]!, kind: (m[2] as Kind | undefined) ?? 'text', optional: m[3] === '?' };
}

function encodeArg(arg: Arg, value: unknown): string {
  if (value === undefined || value === null) {
    if (!arg.optional) throw new Error(`script argument ${arg.name} is missing`);
    return '';
  }
  if (arg.kind === 'bool') return value ? '1' : '0';
  return String(value as string | number);
}

function luaRead(arg: Arg, index: number): string {
  const raw = `ARGV[${index}]`;
  return arg.kind === 'num' ? `tonumber(${raw})` : arg.kind === 'bool' ? `${raw} == '1'` : raw;
}

/** The names a chunk of Lua defines at its top level (`local x`, `local function f`). */
function topLevelNames(lua: string): string[] {
  const names: string[] = [];
  for (const m of lua.matchAll(/^local\s+(?:function\s+(\w+)|([\w\s,]+?)\s*(?:=|$))/gm)) {
    if (m[1]) names.push(m[1]);
    else names.push(...m[2]!.split(',').map((n) => n.trim()));
  }
  return names;
}

/**
 * A record a script answers: a Lua function that lists its fields in order (`NAME{ a = x, b = y }`;
 * a field left nil arrives as null), and the reader of the same fields.
 */
export interface LuaRecord<F extends readonly string[]> {
  readonly luaName: string;
  readonly fields: F;
  /** The Lua function, to put in a script or a library before it is used. */
  readonly lua: string;
  /** The fields of a reply by name; undefined when the script answered no record (false). */
  read(reply: Reply): Fields<F> | undefined;
}

export function defineRecord<const F extends readonly string[]>(luaName: string, fields: F): LuaRecord<F> {
  for (const f of fields) if (!IDENTIFIER.test(f)) throw new Error(`not a record field: ${f}`);
  if (new Set(fields).size !== fields.length) throw new Error(`${luaName}: a field is named twice`);
  // A Lua table ends at its first nil: a field left nil is sent as false, which arrives as null.
  const lua =
    `local function ${luaName}(t) local r = { ${fields.map(() => 'false').join(', ')} } ` +
    fields.map((f, i) => `if t.${f} ~= nil then r[${i + 1}] = t.${f} end `).join('') +
    `return r end\n`;
  return {
    luaName,
    fields,
    lua,
    read(reply) {
      if (!Array.isArray(reply)) return undefined;
      return Object.fromEntries(fields.map((f, i) => [f, reply[i] ?? null])) as Fields<F>;
    },
  };
}

export interface Script<A, T> {
  readonly source: string;
  readonly sha: string;
  /** The ARGV of a call, in the order the prelude reads them, after `before` (a library's own). */
  argv(args: A, before?: readonly string[]): string[];
  decode(reply: Reply, args: A): T;
}

export interface ScriptDefinition<
  A extends readonly string[],
  R extends string | undefined,
  F extends readonly string[] | undefined,
  T,
> {
  /** Names of KEYS[1], KEYS[2], ... in the Lua. */
  keys?: readonly string[];
  /** Arguments a library reads before the script's own (`leading`), and the library itself. */
  leading?: readonly string[];
  library?: string;
  args: A;
  rest?: R;
  /** The record the script answers, as `REPLY{ ... }`. */
  reply?: F;
  body: string;
  decode?: (reply: F extends readonly string[] ? Fields<F> | undefined : Reply, args: ArgsOf<A, R>) => T;
}

/** See the module comment. Checks the names when the module loads, so a clash never reaches Redis. */
export function defineScript<
  const A extends readonly string[],
  const R extends string | undefined = undefined,
  const F extends readonly string[] | undefined = undefined,
  T = Reply,
>(definition: ScriptDefinition<A, R, F, T>): Script<ArgsOf<A, R>, T> {
  const { keys = [], leading = [], library = '', args, rest, reply, body } = definition;
  const leadingArgs = leading.map(parseArg);
  const own = args.map(parseArg);
  const all = [...leadingArgs, ...own];
  const names = [...keys, ...all.map((a) => a.name), ...(rest ? [rest] : [])];
  const taken = new Set([...LUA_NAMES, ...topLevelNames(library)]);
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new Error(`not a Lua name: ${name}`);
    if (taken.has(name)) throw new Error(`script name ${name} would hide a Lua global or a library name`);
    taken.add(name);
  }
  const record = reply ? defineRecord('REPLY', reply) : undefined;
  const lines = [
    ...keys.map((key, i) => `local ${key} = KEYS[${i + 1}]`),
    ...all.map((arg, i) => `local ${arg.name} = ${luaRead(arg, i + 1)}`),
    ...(rest
      ? [`local ${rest} = {}`, `for i = ${all.length + 1}, #ARGV do ${rest}[#${rest} + 1] = ARGV[i] end`]
      : []),
  ];
  const source = `${lines.join('\n')}\n${library}${record?.lua ?? ''}${body}`;
  const decode = definition.decode ?? ((raw: unknown) => raw as T);
  return {
    source,
    sha: createHash('sha1').update(source).digest('hex'),
    argv(values, before = []) {
      if (before.length !== leadingArgs.length)
        throw new Error(`the script reads ${leadingArgs.length} leading arguments, ${before.length} given`);
      const named = values as Record<string, unknown>;
      const out = [...before, ...own.map((arg) => encodeArg(arg, named[arg.name]))];
      if (rest) out.push(...(named[rest] as ReadonlyArray<string | number>).map(String));
      return out;
    },
    decode: (raw, values) =>
      (decode as (r: unknown, a: ArgsOf<A, R>) => T)(record ? record.read(raw) : raw, values),
  };
}

/** The ARGV of a leading argument list (a library's), from a named object. */
export function encodeLeading(leading: readonly string[], values: Record<string, unknown>): string[] {
  return leading.map(parseArg).map((arg) => encodeArg(arg, values[arg.name]));
}
