/** What the proxy keeps of an exchange holds no key and no signed link's credential. */
import { describe, expect, it } from 'vitest';
import {
  Redactor,
  authorizationLabel,
  redactUrlSecrets,
  redactedQuery,
} from '../../mock-server/src/cassette/redaction.js';

const KEY = 'sk-live-0a1b2c3d4e5f6789';

describe('redaction', () => {
  it('replaces the key and its URL-encoded form in text, and in every string and name of a JSON value', () => {
    const r = new Redactor(`${KEY}/x`);
    expect(r.redact(`a ${KEY}/x b ${encodeURIComponent(`${KEY}/x`)}`)).toBe('a [redacted] b [redacted]');
    expect(r.redactJson({ [`${KEY}/x`]: [`Bearer ${KEY}/x`, 1, null, { k: `${KEY}/x` }] })).toEqual({
      '[redacted]': ['Bearer [redacted]', 1, null, { k: '[redacted]' }],
    });
    expect(new Redactor(undefined, '').redact('nothing to hide')).toBe('nothing to hide');
  });

  it('removes the values of secret-named query parameters, in a query and in URLs inside bodies', () => {
    expect(
      redactedQuery(`task_id=sd45_0000000000000000&api_key=${KEY}&b=2&b=1&token=t`, new Redactor(KEY)),
    ).toEqual({
      api_key: '[redacted]',
      b: ['2', '1'],
      task_id: 'sd45_0000000000000000',
      token: '[redacted]',
    });
    expect(redactUrlSecrets('https://cdn.example/x.jpg?X-Amz-Signature=abc&w=1')).toBe(
      'https://cdn.example/x.jpg?X-Amz-Signature=[redacted]&w=1',
    );
    expect(redactUrlSecrets('https://cdn.example/x.jpg?w=1')).toBe('https://cdn.example/x.jpg?w=1');
    expect(redactUrlSecrets('not a url ?token=1')).toBe('not a url ?token=1');
  });

  it('keeps Authorization only as the label of a bearer key', () => {
    expect(authorizationLabel(`Bearer ${KEY}`)).toBe('Bearer sk-l…6789#cc71f1');
    expect(authorizationLabel('Basic dXNlcjpwYXNz')).toBe('[redacted]');
    expect(authorizationLabel(undefined)).toBeUndefined();
  });
});
