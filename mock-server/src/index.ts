/**
 * The package's entry: `import { startSimulator, connectSimulator } from 'dreamcore-simulator'`.
 * The reference client is `dreamcore-simulator/client`.
 */
export { startSimulator } from './embed/start.js';
export { connectSimulator, type ConnectOptions } from './embed/connect.js';
export { ControlApiError } from './embed/control-client.js';
export {
  JournalWaitTimeout,
  SimulatorHandle,
  type Account,
  type ClockView,
  type FaultRule,
  type FaultRuleInput,
  type JournalEntry,
  type JournalFilter,
  type StartKey,
  type TaskFilter,
  type TaskView,
  type Tenant,
  type TenantInput,
} from './embed/handle.js';
export type { SimulatorOptions } from './embed/options.js';
// The verdict on the client under test (GET /__mock/report, sim.report()): failing a test on it.
export {
  VerdictFindingsError,
  assertNoFindings,
  verdictMatchers,
  type FindingsOptions,
} from './verdict/assert.js';
export type { VerdictReport, VerdictFinding } from './embed/handle.js';
