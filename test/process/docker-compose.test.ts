/**
 * No Docker engine runs here: these checks keep docker-compose.yml and docker/haproxy.cfg honest
 * against the Dockerfile, the CLI and the specs, as dockerfile.test.ts does for the image.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../mock-server/src/config.js';
import { ROOT, loadRawSpec } from '../support/spec-walk.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
  depends_on?: unknown;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const haproxy = readFileSync(join(ROOT, 'docker', 'haproxy.cfg'), 'utf8');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const { redis, simulator, lb } = compose.services as Record<'redis' | 'simulator' | 'lb', Service>;

/** `${NAME:-default}` / `${NAME:?message}` as compose substitutes them, with NAME unset. */
const substitute = (value: string) =>
  value.replace(
    /\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g,
    (_m, name: string, fallback?: string) => fallback ?? `<${name}>`,
  );

describe('docker-compose.yml', () => {
  it('runs Redis 7.0 (what the tests run against) with an append-only file on a volume', () => {
    expect(redis.image).toBe('redis:7.0');
    const local = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
    expect(local).toMatch(/v=7\.0\./);
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(redis.volumes?.[0]).toMatch(/:\/data$/);
  });

  it("the simulator's environment is a valid configuration: the Redis store, one control token and seed", () => {
    expect(simulator.build).toBe('.');
    const env = Object.fromEntries(
      Object.entries(simulator.environment!).map(([k, v]) => [k, substitute(v)]),
    );
    // The image's own environment (Dockerfile ENV) plus the service's.
    const image = Object.fromEntries(
      [...dockerfile.matchAll(/^\s*(HOST|PORT|NODE_ENV)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const config = parseConfig([], { ...image, ...env });
    expect(config.store).toBe('redis');
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.host).toBe('0.0.0.0');
    expect(config.controlToken).toBe('<DREAMCORE_CONTROL_TOKEN>');
    expect(config.controlTokenGenerated).toBe(false);
    expect(simulator.environment!.DREAMCORE_CONTROL_TOKEN).toMatch(/:\?/); // required, never generated per replica
    expect(config.seedGenerated).toBe(false);
  });

  it('HAProxy balances as many replicas as compose starts, on the port the image listens on', () => {
    const template = /server-template simulator (\d+) simulator:(\d+)/.exec(haproxy);
    expect(template).not.toBeNull();
    expect(Number(template![1])).toBe(simulator.deploy!.replicas);
    expect(dockerfile).toMatch(new RegExp(`PORT=${template![2]}\\b`));
    expect(dockerfile).toMatch(new RegExp(`EXPOSE ${template![2]}\\b`));
    expect(lb.volumes).toContain('./docker/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    const bind = /bind :(\d+)/.exec(haproxy)![1];
    expect(lb.ports).toContain(`${bind}:${bind}`);
  });

  it('docker/haproxy.cfg is valid for HAProxy 2.6 (the one the OS ships, and the image compose runs)', () => {
    expect(lb.image).toBe('haproxy:2.6');
    const check = spawnSync('haproxy', ['-c', '-f', join(ROOT, 'docker', 'haproxy.cfg')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout).toMatch(/version 2\.6\./);
  });

  // The same rule as npm run fleet's HAProxy, whose behaviour test/fleet/fleet-script.test.ts shows
  // with a replica killed while it held a charged generate.
  it('HAProxy sends a request to another replica only when it never reached one (no double charge)', () => {
    const retryOn = [...haproxy.matchAll(/^\s*retry-on\s+(.+)$/gm)].map((m) => m[1]!.trim());
    expect(retryOn.every((r) => r === 'conn-failure' || r === 'none')).toBe(true);
  });

  it("HAProxy's health check is the simulator's open health route, which answers 503 when Redis is gone", () => {
    const path = /option httpchk GET (\S+)/.exec(haproxy)![1]!;
    const control = loadRawSpec('mock-server/control-api.yaml') as {
      paths: Record<string, { get?: { security?: unknown[]; responses: Record<string, unknown> } }>;
    };
    const health = control.paths[path]?.get;
    expect(health).toBeDefined();
    expect(health!.security).toEqual([]);
    expect(Object.keys(health!.responses)).toEqual(expect.arrayContaining(['200', '503']));
    expect(haproxy).toMatch(/http-check expect status 200/);
  });
});
