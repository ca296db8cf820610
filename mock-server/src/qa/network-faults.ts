/**
 * One small function per network fault (as Toxiproxy keeps one module per toxic). Each leaves the
 * state untouched: the request is never processed.
 */
import type { IncomingMessage } from 'node:http';
import type { NetworkFault } from './faults.js';

/** What a broken proxy sends: 200 with a JSON content type and a body cut mid-object. */
export const MALFORMED_BODY = '{"code":200,"message":"success","data":{"task_id":"sd45_';

/** `answer`: sends a 200 JSON answer with the given text (the only fault that answers at all). */
type Act = (req: IncomingMessage, answer: (text: string) => void, maxDelayMs: number) => void;

const ACTS: Record<NetworkFault, Act> = {
  /** TCP RST: the client sees ECONNRESET. */
  reset: (req) => {
    req.socket.resetAndDestroy();
  },
  /** The connection closes with no byte of a reply: "empty reply from server", "socket hang up". */
  empty: (req) => {
    req.socket.end();
    req.socket.destroySoon();
  },
  malformed: (_req, answer) => answer(MALFORMED_BODY),
  /** Nothing until the client gives up; bounded so a forgotten client cannot pin a socket forever. */
  hang: (req, _answer, maxDelayMs) => {
    const timer = setTimeout(() => req.socket.destroy(), maxDelayMs);
    req.socket.once('close', () => clearTimeout(timer));
  },
};

export function actOnNetworkFault(
  fault: NetworkFault,
  req: IncomingMessage,
  answer: (text: string) => void,
  maxDelayMs: number,
): void {
  ACTS[fault](req, answer, maxDelayMs);
}
