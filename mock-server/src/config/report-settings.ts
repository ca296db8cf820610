/**
 * The verdict's settings from the options: `--report-settings` (the whole settings, as JSON, in the
 * linter style of verdict/settings.ts), with the options of single thresholds on top of it.
 */
import { InvalidArgumentError } from 'commander';
import {
  VerdictSettingsError,
  resolveSettings,
  type VerdictSettings,
  type VerdictSettingsInput,
} from '../verdict/settings.js';

/** `--report-settings <json>`: checked now (an unknown rule or a bad value is refused at start), kept as given. */
export function parseVerdictSettings(value: string): VerdictSettingsInput {
  let input: unknown;
  try {
    input = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`Expected JSON: ${(error as Error).message}`);
  }
  try {
    resolveSettings(input);
  } catch (error) {
    if (error instanceof VerdictSettingsError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return input as VerdictSettingsInput;
}

/**
 * The settings the simulator judges with: `base` (from --report-settings) with each threshold given
 * by an option of its own set on its rule (a rule the JSON turned off stays off).
 */
export function verdictSettingsOf(
  base: VerdictSettingsInput | undefined,
  thresholds: ReadonlyArray<{ rule: string; field: string; value: number }>,
): VerdictSettings {
  const rules: Record<string, unknown> = { ...(base?.rules ?? {}) };
  for (const { rule, field, value } of thresholds) {
    const given = rules[rule];
    const asObject =
      given === undefined
        ? {}
        : given === 'off'
          ? { enabled: false }
          : typeof given === 'string'
            ? { severity: given }
            : (given as Record<string, unknown>);
    rules[rule] = { ...asObject, [field]: value };
  }
  return resolveSettings({ ...base, rules });
}
