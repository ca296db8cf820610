/** A base URL fit to show: without credentials in it (a user:password@ would be a secret). */
export function displayTarget(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** The banner's line for proxy and replay modes (none when the simulator answers itself). */
export function modeBanner(config: {
  proxy?:
    | { target: string; strict: boolean; maxCredits: number | undefined; recordFile: string | undefined }
    | undefined;
  replay?: { file: string; timing: string; strict: boolean } | undefined;
}): string[] {
  const { proxy, replay } = config;
  if (proxy) {
    const extras = [
      proxy.recordFile ? `recording to ${proxy.recordFile}` : undefined,
      proxy.maxCredits !== undefined ? `at most ${proxy.maxCredits} credits` : undefined,
      proxy.strict ? 'strict' : undefined,
    ].filter(Boolean);
    return [`  Proxy:     ${displayTarget(proxy.target)}${extras.length ? ` (${extras.join(', ')})` : ''}`];
  }
  if (replay)
    return [
      `  Replay:    ${replay.file} (timing ${replay.timing}${replay.strict ? ', strict' : ''}; no network)`,
    ];
  return [];
}
