/**
 * The Ajv instances that compile the spec's schemas. OpenAPI 3.0 schemas are a dialect of JSON Schema:
 * Ajv's default draft understands every keyword our documents use (`nullable` included), and
 * `strict: false` lets it skip the annotations that are not JSON Schema (`example`, `x-provenance`...).
 *
 * Loading Ajv and compiling costs about 200 ms of start-up, so a started simulator does not import
 * this module: `npm run build` compiles the request validators ahead of time (validator-source.ts).
 */
import { Ajv, _, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Part of the prebuilt validators' digest: change it when an option below changes. */
export const AJV_OPTIONS_VERSION = 'ajv8/fast-formats/all-errors/v1';

const BASE: Options = {
  strict: false,
  strictNumbers: true,
  allErrors: true, // a 400 names every offending field at once; bodies are size-limited first
  validateSchema: false, // test/spec validates the documents; skipping saves start-up time
  coerceTypes: false, // a JSON number is not a string here, and parameters are strings
  removeAdditional: false,
};

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv, { mode: 'fast' });
  // OpenAPI's own formats: annotations for the JSON types they qualify.
  for (const format of ['binary', 'byte', 'password', 'int32', 'int64', 'float', 'double'])
    ajv.addFormat(format, true);
  return ajv;
}

/**
 * Requests: defaults are filled in (`numImages: 1`), as handlers read the request as the spec
 * describes it. `standalone` keeps the generated source, for `standaloneCode` at build time.
 */
export function requestAjv({ standalone = false } = {}): Ajv {
  return withFormats(
    new Ajv({
      ...BASE,
      useDefaults: true,
      ...(standalone
        ? { code: { source: true, formats: _`require("ajv-formats/dist/formats").fastFormats` } }
        : {}),
    }),
  );
}

/** Responses are checked as sent: nothing is added to them. */
export function responseAjv(): Ajv {
  return withFormats(new Ajv({ ...BASE, useDefaults: false }));
}
