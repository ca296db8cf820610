/**
 * Whose work a request is, for the time share (Tenancy.partyOf, used by http/fair-share.ts): decided
 * before the body is read, from what the process knows without a store call. The tenants one address
 * creates are that address's party, so that it cannot multiply its share by making tenants; the
 * default world and the operator's tenants are parties of their own; anything unknown is its address's.
 * Two Tenancy instances over one backend are two replicas.
 */
import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../mock-server/src/domain/keys.js';
import { MemoryBackend } from '../../mock-server/src/store/memory-backend.js';
import { DEFAULT_JOURNAL, DEFAULT_RETENTION } from '../../mock-server/src/store/memory-store.js';
import { Tenancy } from '../../mock-server/src/tenancy/tenancy.js';
import { CONFORMANCE_SPEC } from '../support/store-conformance.js';

const HERE = '10.0.0.1';
const DEFAULT_KEY = 'sk-default-world';
const DEFAULT_SPEC = {
  ...CONFORMANCE_SPEC,
  accounts: [{ owner: ownerOf(DEFAULT_KEY), label: 'sk-d…', balance: 100 }],
};

function replicas() {
  const backend = new MemoryBackend({ retention: DEFAULT_RETENTION, journal: DEFAULT_JOURNAL });
  const [one, two] = [0, 1].map(
    () =>
      new Tenancy({
        backend,
        defaultSpec: DEFAULT_SPEC,
        tenantDefaults: { clock: 'virtual', latency: 'fast', failureRate: 0 },
        idleTimeoutMs: 60_000,
        maxTenants: 10,
      }),
  );
  return { one: one!, two: two! };
}

async function tenant(tenancy: Tenancy, createdBy?: string) {
  const created = await tenancy.create({}, createdBy);
  if (!created.ok) throw new Error(`not created: ${created.reason}`);
  return { id: created.tenant.record.id, key: created.tenant.keys[0]!.apiKey, token: created.tenant.token };
}

const byKey = (tenancy: Tenancy, key: string) =>
  tenancy.partyOf({ owner: ownerOf(key), tokenDigest: undefined, address: HERE });
const byToken = (tenancy: Tenancy, token: string) =>
  tenancy.partyOf({ owner: undefined, tokenDigest: ownerOf(token), address: HERE });

describe('the party of a request', () => {
  it('is the address of the caller that created its key’s tenant, whatever address sends it', async () => {
    const { one } = replicas();
    await one.start();
    const a = await tenant(one, '192.0.2.7');
    const b = await tenant(one, '192.0.2.7');
    await one.ofOwner(ownerOf(a.key)); // the process has seen the key
    await one.ofOwner(ownerOf(b.key));
    expect(byKey(one, a.key)).toBe('192.0.2.7');
    expect(byKey(one, b.key)).toBe('192.0.2.7'); // its second tenant: no second share
  });

  it('is its world for the operator’s tenants, and the sender’s own for the default world’s public keys', async () => {
    const { one } = replicas();
    await one.start();
    const made = await tenant(one);
    await one.ofOwner(ownerOf(made.key));
    expect(byKey(one, made.key)).toBe(`world:${made.id}`);
    await one.ofOwner(ownerOf(DEFAULT_KEY));
    expect(byKey(one, DEFAULT_KEY)).toBe(`default@${HERE}`);
    expect(one.partyOf({ owner: ownerOf(DEFAULT_KEY), tokenDigest: undefined, address: '10.0.0.2' })).toBe(
      'default@10.0.0.2',
    );
  });

  it('is the tenant’s for its credential, once the process has seen it', async () => {
    const { one } = replicas();
    await one.start();
    const made = await tenant(one, '192.0.2.7');
    expect(byToken(one, made.token)).toBe(HERE); // not seen yet: the sender's address
    expect(await one.tenantOfToken(made.token)).toBe(made.id);
    expect(byToken(one, made.token)).toBe('192.0.2.7');
  });

  it('is the sender’s address for a key no world has, or none', async () => {
    const { one } = replicas();
    await one.start();
    await one.ofOwner(ownerOf('sk-nobody'));
    expect(byKey(one, 'sk-nobody')).toBe(HERE);
    expect(one.partyOf({ owner: undefined, tokenDigest: undefined, address: HERE })).toBe(HERE);
  });

  it('is learnt from the record on a replica that did not create the tenant (its world until then)', async () => {
    const { one, two } = replicas();
    await one.start();
    const made = await tenant(one, '192.0.2.7');
    await two.ofOwner(ownerOf(made.key));
    expect(byKey(two, made.key)).toBe(`world:${made.id}`);
    await two.get(made.id); // one store round trip later, the record it asked for has come
    expect(byKey(two, made.key)).toBe('192.0.2.7');
  });

  it('forgets a credential the store no longer knows (its tenant dropped by another replica)', async () => {
    const { one, two } = replicas();
    await one.start();
    const made = await tenant(one, '192.0.2.7');
    await two.tenantOfToken(made.token);
    expect(byToken(two, made.token)).toBe(`world:${made.id}`); // its creator is being learnt
    await two.get(made.id);
    expect(byToken(two, made.token)).toBe('192.0.2.7');
    await one.drop(made.id);
    expect(await two.tenantOfToken(made.token)).toBeUndefined();
    expect(byToken(two, made.token)).toBe(HERE);
  });

  it('is forgotten with its tenant: a dropped tenant’s key and credential are the sender’s again', async () => {
    const { one } = replicas();
    await one.start();
    const made = await tenant(one, '192.0.2.7');
    await one.ofOwner(ownerOf(made.key));
    await one.tenantOfToken(made.token);
    expect(await one.drop(made.id)).toBe(true);
    expect(byKey(one, made.key)).toBe(HERE);
    expect(byToken(one, made.token)).toBe(HERE);
  });
});
