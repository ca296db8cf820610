/**
 * Why something failed, fit for a health answer or a log field: one line, short, without file paths
 * (they may hold user names) or a stack.
 */
const MAX_REASON_LENGTH = 160;

export function shortReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const line = (message.split('\n')[0] ?? '')
    .replace(/file:\/\/\S+/g, '<path>')
    .replace(/(?:[A-Za-z]:)?[\\/][^\s'"`,;()]*/g, '<path>')
    .trim();
  const reason = typeof code === 'string' && !line.includes(code) ? `${code}: ${line}` : line;
  const short = reason || 'unknown error';
  return short.length > MAX_REASON_LENGTH ? `${short.slice(0, MAX_REASON_LENGTH - 3)}...` : short;
}
