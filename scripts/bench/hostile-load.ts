/**
 * The hostile's side of the fair-share benchmark, in a process of its own so that what it costs to
 * send does not slow the clients it is measured against (autocannon, in the benchmark's process):
 * keeps one attack up (hostile-tenant.ts AGAIN) over its connections, as fast as it is answered, from
 * the hostile's address, until SIGTERM; then prints what it was answered, as one JSON line.
 *
 *   node --import tsx scripts/bench/hostile-load.ts '{"url":…,"attack":…,"context":…,"connections":8}'
 *
 * Prints `ready` once its loops are started. It exits at SIGTERM without waiting for the requests in
 * flight: a follower it was let hold would never answer.
 */
import { AGAIN, Caller, Tally, type AttackContext, type AttackName } from './hostile-tenant.js';

const { url, attack, context, connections } = JSON.parse(process.argv[2]!) as {
  url: string;
  attack: AttackName;
  context: AttackContext;
  connections: number;
};
const caller = new Caller(url, undefined, connections);
const tally = new Tally();
let i = 0;
process.once('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(tally.toJSON())}\n`, () => process.exit(0));
});
for (let c = 0; c < connections; c++)
  void (async () => {
    for (;;) tally.add(await AGAIN[attack](caller, context, i++));
  })().catch((err: unknown) => {
    process.stderr.write(`hostile-load: ${String(err)}\n`);
    process.exit(1);
  });
process.stdout.write('ready\n');
