/**
 * The verdict: did the client under test survive the bad day? Pure functions and plain data, with no
 * HTTP, no store and no clock of their own: the server feeds observations (observation.ts) to the
 * fold (fold.ts), keeps the state (state.ts, as JSON in a fleet), and asks for a report (report.ts),
 * rendered as JUnit XML or text, or asserted on in a test (assert.ts).
 * Rules: rules/; what they mean and why their defaults: docs/reference/verdict-rules.md.
 */
export type {
  ControlEvent,
  ControlEventDraft,
  Observation,
  ObservationDraft,
  ObservedOperation,
  ObservedPlan,
  OutcomeGroup,
} from './observation.js';
export { OPERATION_GROUP, isObservedOperation, sentAfter } from './observation.js';
export { outcomeOf } from './outcomes.js';
export {
  CatalogueError,
  deriveCatalogue,
  type CatalogueEntry,
  type CatalogueOperation,
  type OutcomeCatalogue,
} from './catalogue.js';
export {
  DEFAULT_CAPS,
  DEFAULT_SETTINGS,
  VerdictSettingsError,
  resolveSettings,
  type Caps,
  type VerdictSettings,
  type VerdictSettingsInput,
} from './settings.js';
export {
  STATE_VERSION,
  VerdictStateError,
  approximateBytes,
  emptyState,
  fromJSON,
  toJSON,
  type VerdictState,
  type VerdictStateJSON,
} from './state.js';
export { observe, observeControl } from './fold.js';
export {
  reportOf,
  type ReportInput,
  type SpendInput,
  type VerdictExample,
  type VerdictFinding,
  type VerdictReport,
  type VerdictRuleResult,
} from './report.js';
export { RULES, type RuleId } from './rules/index.js';
export type { Severity } from './rules/rule.js';
export { renderJUnit, type JUnitOptions } from './render-junit.js';
export { renderText } from './render-text.js';
export { VerdictFindingsError, assertNoFindings, verdictMatchers, type FindingsOptions } from './assert.js';
