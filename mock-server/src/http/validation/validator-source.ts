/**
 * Where the request validators come from. `npm run build` compiles them ahead of time into
 * dist/request-validators.cjs (Ajv's standalone code, tagged with a digest of the schemas it was
 * built from), so a started simulator neither loads Ajv nor compiles anything: together about 200 ms
 * of start-up (README, "Validation"). When that file is missing (tests run from source) or was built
 * from other schemas (the YAML changed since the build), Ajv compiles them at start instead. Both
 * come from the same schemas and options; test/http/spec-validators.test.ts holds them to the same answers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { projectRoot } from '../../project-root.js';
import type { SpecOperation } from '../load-spec.js';
import { allRequestSchemas, type NamedSchema } from './request-schemas.js';

/** A compiled validator: Ajv's, whether compiled now or at build time. */
export type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export interface ValidatorSource {
  /** `prebuilt`: compiled by `npm run build`; `runtime`: compiled by Ajv in this process. */
  readonly origin: 'prebuilt' | 'runtime';
  /** The validator of a schema named by request-schemas.ts. */
  get(name: string): Validate;
}

export const PREBUILT_VALIDATORS_PATH = join(projectRoot(), 'dist', 'request-validators.cjs');

/**
 * Part of the digest: bump it when spec-ajv.ts's request options change, so validators built with the
 * old options are not used.
 */
const REQUEST_AJV_OPTIONS_VERSION = 'ajv8 all-errors use-defaults fast-formats v1';

function digestOf(schemas: readonly NamedSchema[]): string {
  return createHash('sha256')
    .update(REQUEST_AJV_OPTIONS_VERSION)
    .update(JSON.stringify(schemas))
    .digest('hex');
}

export interface SourceOptions {
  /** Use the prebuilt validators when they match (default true); false compiles at start. */
  prebuilt?: boolean;
  /** Where the prebuilt validators are (tests); inside the project, so they resolve `ajv`. */
  prebuiltPath?: string;
}

export async function requestValidatorSource(
  operations: readonly SpecOperation[],
  { prebuilt = true, prebuiltPath = PREBUILT_VALIDATORS_PATH }: SourceOptions = {},
): Promise<ValidatorSource> {
  const schemas = allRequestSchemas(operations);
  return (
    (prebuilt ? loadPrebuilt(prebuiltPath, digestOf(schemas)) : undefined) ??
    (await compileAtRuntime(schemas))
  );
}

function loadPrebuilt(path: string, digest: string): ValidatorSource | undefined {
  let module: Record<string, unknown>;
  try {
    module = createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch {
    return undefined; // not built (tests run from source): compile at start
  }
  if (module.digest !== digest) return undefined;
  return {
    origin: 'prebuilt',
    get(name) {
      const validate = module[name];
      if (typeof validate !== 'function') throw new Error(`No prebuilt validator ${name}`);
      return validate as Validate;
    },
  };
}

async function compileAtRuntime(schemas: readonly NamedSchema[]): Promise<ValidatorSource> {
  const { requestAjv } = await import('./spec-ajv.js');
  const ajv = requestAjv();
  const byName = new Map(schemas.map((s) => [s.name, s.schema]));
  const compiled = new Map<string, Validate>();
  return {
    origin: 'runtime',
    get(name) {
      let validate = compiled.get(name);
      if (!validate) {
        const schema = byName.get(name);
        if (!schema) throw new Error(`No request schema ${name}`);
        validate = ajv.compile(schema);
        compiled.set(name, validate);
      }
      return validate;
    },
  };
}

/** Writes dist/request-validators.cjs (run by `npm run build`). */
export async function writePrebuiltRequestValidators(
  operations: readonly SpecOperation[],
  path = PREBUILT_VALIDATORS_PATH,
): Promise<string> {
  const [{ requestAjv }, standalone] = await Promise.all([
    import('./spec-ajv.js'),
    import('ajv/dist/standalone/index.js'),
  ]);
  // CommonJS with `exports.default`; under NodeNext the default import is the module itself.
  const standaloneCode = standalone.default as unknown as typeof standalone.default.default;
  const schemas = allRequestSchemas(operations);
  const ajv = requestAjv({ standalone: true });
  const exportsByName: Record<string, string> = {};
  schemas.forEach(({ name, schema }, i) => {
    ajv.addSchema(schema, `v${i}`);
    exportsByName[name] = `v${i}`;
  });
  const code = `${standaloneCode(ajv, exportsByName)}\nexports.digest = ${JSON.stringify(digestOf(schemas))};\n`;
  mkdirSync(dirname(path), { recursive: true });
  // Renamed into place, so a simulator starting meanwhile reads the old file or the new one, whole.
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `// Generated by npm run build from the specs: do not edit.\n${code}`);
  renameSync(partial, path);
  return path;
}
