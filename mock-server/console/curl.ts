/**
 * "Copy as curl": the request of a journal entry as a command that sends it again. The journal keeps
 * no key, so the key is the dev key when the entry's label is the dev key's, else `$DREAMCORE_API_KEY`.
 */
import type { JournalEntry } from './api.js';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function curlOf(entry: JournalEntry, origin: string, devKey?: { key: string; label: string }): string {
  const query = new URLSearchParams(entry.query ?? {}).toString();
  const url = `${origin}${entry.path}${query ? `?${query}` : ''}`;
  const parts = ['curl', '-i'];
  if (entry.method !== 'GET' || entry.request_body !== undefined) parts.push('-X', entry.method);
  parts.push(quote(url));
  for (const [name, value] of Object.entries(entry.request_headers ?? {})) {
    if (name === 'authorization') {
      const key = devKey && value === `Bearer ${devKey.label}` ? devKey.key : '$DREAMCORE_API_KEY';
      parts.push(
        '-H',
        key.startsWith('$') ? `"Authorization: Bearer ${key}"` : quote(`Authorization: Bearer ${key}`),
      );
    } else if (name !== 'user-agent') parts.push('-H', quote(`${name}: ${value}`));
  }
  if (entry.request_body !== undefined) {
    const body =
      typeof entry.request_body === 'string' ? entry.request_body : JSON.stringify(entry.request_body);
    parts.push('--data-raw', quote(body));
  }
  return parts.join(' ');
}
