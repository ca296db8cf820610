import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { ownerOf, redactKey, secretsEqual } from '../../mock-server/src/domain/keys.js';

describe('ownerOf', () => {
  it('is the SHA-256 hex digest of the key', () => {
    expect(ownerOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(ownerOf('sk-dreamcore-dev')).toBe(createHash('sha256').update('sk-dreamcore-dev').digest('hex'));
  });

  it('is stable and tells keys apart', () => {
    expect(ownerOf('sk-a')).toBe(ownerOf('sk-a'));
    expect(ownerOf('sk-a')).not.toBe(ownerOf('sk-b'));
    expect(ownerOf('sk-a')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never contains the key', () => {
    expect(ownerOf('sk-secret-value')).not.toContain('sk-secret-value');
  });

  it('hashes the UTF-8 bytes', () => {
    expect(ownerOf('clé')).toBe(createHash('sha256').update(Buffer.from('clé', 'utf8')).digest('hex'));
  });
});

describe('secretsEqual', () => {
  it('is true for equal secrets', () => {
    expect(secretsEqual('token-123', 'token-123')).toBe(true);
    expect(secretsEqual('', '')).toBe(true);
  });

  it('is false for different secrets of the same length', () => {
    expect(secretsEqual('token-123', 'token-124')).toBe(false);
  });

  it('is false for different lengths, without throwing', () => {
    expect(secretsEqual('token', 'token-123')).toBe(false);
    expect(secretsEqual('token-123', 'token')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(secretsEqual('Token', 'token')).toBe(false);
  });
});

describe('redactKey', () => {
  const digest = (key: string) => ownerOf(key).slice(0, 6);

  it('shows the first and last four characters of a long key, and a short hash of its digest', () => {
    expect(redactKey('sk-dreamcore-dev')).toBe(`sk-d…-dev#${digest('sk-dreamcore-dev')}`);
    expect(redactKey('sk-dreamcore-dev')).toMatch(/^sk-d…-dev#[0-9a-f]{6}$/);
  });

  it('shows none of a short key, only the hash of its digest', () => {
    for (const key of ['', 'a', 'sk-ci', 'sk-qa-poor', 'sk-12345678', 'sk-123456789012']) {
      expect(redactKey(key)).toBe(`…#${digest(key)}`);
    }
  });

  it("tells apart the README's short example keys (they all read *** before)", () => {
    const keys = ['sk-qa-poor', 'sk-ci', 'sk-dreamcore-dev', 'sk-abc', 'sk-12345678'];
    expect(new Set(keys.map(redactKey)).size).toBe(keys.length);
  });

  it('tells apart long keys that share their first and last four characters', () => {
    expect(redactKey('sk-live-aaaaaaaa-0001')).not.toBe(redactKey('sk-live-bbbbbbbb-0001'));
  });

  it('never contains the key, nor 8 characters of a key shorter than 16, nor ever more than 8', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let length = 1; length <= 64; length++) {
      const key = Array.from({ length }, (_, i) => alphabet[(i * 7) % alphabet.length]).join('');
      const label = redactKey(key);
      const [shown, hash] = label.split('#') as [string, string];
      expect(hash).toBe(digest(key));
      expect(label).not.toContain(key);
      if (length >= 16) {
        expect(shown).toBe(`${key.slice(0, 4)}…${key.slice(-4)}`);
        expect(label).not.toContain(key.slice(4, -4));
      } else {
        expect(shown).toBe('…'); // nothing of it: 8 of 12 characters would leave too few to guess
      }
      // At most 8 characters of the key ever show, and at least 8 stay hidden.
      expect(shown.replace('…', '').length).toBeLessThanOrEqual(Math.min(8, Math.max(0, length - 8)));
    }
  });
});
