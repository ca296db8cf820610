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
  it('keeps the first and last four characters of a long key', () => {
    expect(redactKey('sk-dreamcore-dev')).toBe('sk-d…-dev');
  });

  it('hides a short key entirely', () => {
    for (const key of ['', 'a', 'sk-abc', 'sk-12345678']) expect(redactKey(key)).toBe('***');
  });

  it('never contains the middle of the key, whatever its length', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let length = 1; length <= 64; length++) {
      const key = Array.from({ length }, (_, i) => alphabet[(i * 7) % alphabet.length]).join('');
      const label = redactKey(key);
      expect(label).not.toBe(key);
      if (length >= 12) {
        expect(label).not.toContain(key.slice(4, -4));
        expect(label).toBe(`${key.slice(0, 4)}…${key.slice(-4)}`);
      } else {
        expect(label).toBe('***');
      }
      // At most 8 characters of the key ever show.
      expect(label.replace('…', '').replace('***', '').length).toBeLessThanOrEqual(8);
    }
  });
});
