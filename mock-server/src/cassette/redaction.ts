/**
 * Keys never leave the request they came with. What the proxy keeps of an exchange (a cassette, a
 * drift summary, a report) passes through here first:
 *
 * - `Redactor`: every occurrence of a secret (the caller's key, and its URL-encoded form) in any text
 *   becomes `[redacted]`, whatever put it there (a provider echoing the key in a message);
 * - query parameters whose names suggest a secret lose their values, in the request's query and in
 *   any URL inside a body (a signed image link's signature is a credential too, and changes on every
 *   recording);
 * - `Authorization` is kept only as the key's label (request-rendering's `sk-l…2f9a#1c0e7b`), never the key.
 */
import { redactKey } from '../domain/keys.js';

export const REDACTED = '[redacted]';

/** Names of query parameters whose values are secrets (the journal's rule, qa/journal.ts). */
export const SECRET_NAME = /key|token|secret|auth|password|signature|credential/i;

/** Replaces every occurrence of the secrets (and their URL-encoded forms) with `[redacted]`. */
export class Redactor {
  private readonly secrets: string[];

  constructor(...secrets: Array<string | undefined>) {
    this.secrets = [
      ...new Set(
        secrets
          .filter((s): s is string => s !== undefined)
          .flatMap((s) => [s, encodeURIComponent(s)])
          .filter((s) => s.length > 0),
      ),
    ]
      // Longest first, so an encoded form containing the plain one is replaced whole.
      .sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    return this.secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
  }

  /** A JSON value with every string redacted, and URLs' secret-named query values removed. */
  redactJson(value: unknown): unknown {
    if (typeof value === 'string') return redactUrlSecrets(this.redact(value));
    if (Array.isArray(value)) return value.map((v) => this.redactJson(v));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redact(k), this.redactJson(v)]));
    }
    return value;
  }
}

/** `https://cdn/x.jpg?X-Amz-Signature=abc&w=1` -> `https://cdn/x.jpg?X-Amz-Signature=[redacted]&w=1`. */
export function redactUrlSecrets(text: string): string {
  if (!/^https?:\/\/[^\s?]*\?\S*$/i.test(text)) return text;
  return text.replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep it as it is
    }
    return SECRET_NAME.test(decoded) ? `${sep}${name}=${REDACTED}` : whole;
  });
}

/** A query string's parameters, sorted by name, with secret-named values and the key redacted. */
export function redactedQuery(search: string, redactor: Redactor): Record<string, string | string[]> {
  const params = new URLSearchParams(search);
  // Defined, not assigned: a parameter named `__proto__` is a parameter, not the object's prototype.
  return Object.fromEntries(
    [...new Set(params.keys())].sort().map((name) => {
      const values = params.getAll(name).map((v) => (SECRET_NAME.test(name) ? REDACTED : redactor.redact(v)));
      return [redactor.redact(name), values.length === 1 ? values[0]! : values];
    }),
  );
}

/** What an `Authorization` header may be kept as: the key's label, or `[redacted]`. */
export function authorizationLabel(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return bearer ? `Bearer ${redactKey(bearer[1]!)}` : REDACTED;
}
