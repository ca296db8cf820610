/**
 * `npm run audit:deps`: `npm audit --omit=dev --audit-level=high`, telling "no high or critical issue"
 * (exit 0) from "issues found" (exit 1) and from "the audit could not run" (exit 2), which a plain
 * non-zero exit of npm audit does not. Not part of `npm test`: it needs the registry's advisory
 * endpoint, which the development machines' registry mirror refuses (405).
 */
import { spawnSync } from 'node:child_process';
import { projectRoot } from './lib/project-root.js';

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
  cwd: projectRoot(),
  encoding: 'utf8',
  env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
});

interface AuditReport {
  message?: string;
  vulnerabilities?: Record<string, { severity: string }>;
}

let report: AuditReport = {};
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  // not JSON: reported below
}

if (!report.vulnerabilities) {
  console.error(
    `npm audit did not run (exit ${run.status}): ${report.message ?? run.stderr.trim().split('\n')[0]}`,
  );
  console.error('The production dependencies were NOT audited.');
  process.exit(2);
}
const serious = Object.entries(report.vulnerabilities).filter(([, v]) =>
  ['high', 'critical'].includes(v.severity),
);
if (serious.length > 0) {
  console.error(
    `High or critical issues in production dependencies: ${serious.map(([n, v]) => `${n} (${v.severity})`).join(', ')}`,
  );
  process.exit(1);
}
console.log(
  `npm audit: no high or critical issue in production dependencies (${Object.keys(report.vulnerabilities).length} lower).`,
);
