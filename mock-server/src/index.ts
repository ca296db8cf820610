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
