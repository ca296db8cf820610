/**
 * How one request's QA headers and a fault rule compose (docs/guides/qa.md, "Headers and rules
 * together"). A header that only shapes the task or holds the answer must not hide a rule that
 * forces one: a client that always shapes its tasks still meets "the next two generates fail".
 *
 * - A header that forces the answer (X-Mock-Status, Prefer: code=, X-Mock-Fault) decides alone: no
 *   rule fires, no chaos is drawn, nothing is spent.
 * - Otherwise the rules fire as if there were no header; a rule that forces the answer (a status, a
 *   network fault) answers it, after the header's delay when one is asked.
 * - A task shaped by both takes each field from the header when it sets it, else from the rule (the
 *   request is more specific than a rule that matches many).
 * - The hold: the header's delay when it sets one, else the rule's.
 * - Chaos draws only when neither forced the answer.
 *
 * What injected the answer (`X-Mock-Injected`, the journal): the rule's id when a rule acted, else
 * `header`.
 */
import type { FaultAction } from './faults.js';

/** Whether an action answers the request itself (a status or a network fault). */
export function forcesAnswer(action: FaultAction | undefined): boolean {
  return action !== undefined && (action.status !== undefined || action.fault !== undefined);
}

/** The action of one request: `header` (decoded from its X-Mock-* headers) and the rule that fired. */
export function composeActions(
  header: FaultAction | undefined,
  rule: FaultAction | undefined,
): FaultAction | undefined {
  if (!rule || forcesAnswer(header)) return header;
  if (!header) return rule;
  const composed: FaultAction = { ...rule };
  if (header.delayMs !== undefined) composed.delayMs = header.delayMs;
  if (header.task) composed.task = { ...rule.task, ...header.task };
  return composed;
}
