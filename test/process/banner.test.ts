/**
 * The banner printed at start: what it promises must work. In proxy mode the live API answers with
 * the caller's own key, so the dev key (which it would refuse) is not offered, and the curl example
 * takes a placeholder for the live key; rules loaded with --scenario are named, with their file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { banner, bannerFacts } from '../../mock-server/src/banner.js';
import { compose } from '../../mock-server/src/compose.js';
import { DEV_KEY, parseConfig } from '../../mock-server/src/config.js';
import { BASE_ARGS } from '../support/harness.js';

const URL_ = 'http://localhost:4010';
const dir = mkdtempSync(join(tmpdir(), 'banner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenarioFile(rules: number): string {
  const file = join(dir, `scenario-${rules}.json`);
  const rule = { match: { path: '/api/generate' }, action: { status: 500 }, times: 1 };
  writeFileSync(
    file,
    JSON.stringify({
      format: 'dreamcore-scenario',
      version: 1,
      rules: Array.from({ length: rules }, () => rule),
    }),
  );
  return file;
}

describe('the banner', () => {
  it('offers the dev key and a curl with it when the simulator answers itself', () => {
    const text = banner(parseConfig([...BASE_ARGS], {}), URL_);
    expect(text).toContain(`Dev key:   ${DEV_KEY} (1000 credits)`);
    expect(text).toContain(`curl -s ${URL_}/api/generate -H 'Authorization: Bearer ${DEV_KEY}'`);
    expect(text).not.toMatch(/Scenario:/);
  });

  it('in proxy mode, offers no key the live API would refuse: the curl takes the caller’s live key', () => {
    const text = banner(parseConfig([...BASE_ARGS, '--proxy=https://api.example.com'], {}), URL_);
    expect(text).not.toContain(DEV_KEY);
    expect(text).toContain('Proxy:     https://api.example.com');
    expect(text).toMatch(/Keys:\s+your own live API key/);
    expect(text).toContain(`curl -s ${URL_}/api/generate -H 'Authorization: Bearer <YOUR_LIVE_KEY>'`);
    expect(text).toContain(`-H 'Authorization: Bearer <YOUR_LIVE_KEY>'\n`);
  });

  it('says how many rules --scenario loaded, and from which file', async () => {
    const file = scenarioFile(3);
    const config = parseConfig([...BASE_ARGS, `--scenario=${file}`], {});
    const { tenancy } = await compose(config);
    const facts = await bannerFacts(tenancy);
    expect(facts).toEqual({ seed: 'test-seed', scenarioRules: 3 });
    expect(banner(config, URL_, facts)).toContain(
      `Scenario:  3 fault rules from ${file} (put back by every reset)`,
    );
    const one = scenarioFile(1);
    expect(
      banner(parseConfig([...BASE_ARGS, `--scenario=${one}`], {}), URL_, { scenarioRules: 1 }),
    ).toContain(`Scenario:  1 fault rule from ${one}`);
  });
});
