/**
 * One small function per network fault (as Toxiproxy keeps one module per toxic). Each leaves the
 * state untouched: the request is never processed.
 */
import type { Request, Response } from 'express';
import type { NetworkFault } from './faults.js';

type Act = (req: Request, res: Response, maxDelayMs: number) => void;

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
  /** 200 with a JSON content type and a body cut mid-object, as a broken proxy would send. */
  malformed: (_req, res) => {
    res.status(200).type('application/json').send('{"code":200,"message":"success","data":{"task_id":"sd45_');
  },
  /** Nothing until the client gives up; bounded so a forgotten client cannot pin a socket forever. */
  hang: (req, _res, maxDelayMs) => {
    const timer = setTimeout(() => req.socket.destroy(), maxDelayMs);
    req.socket.once('close', () => clearTimeout(timer));
  },
};

export function actOnNetworkFault(
  fault: NetworkFault,
  req: Request,
  res: Response,
  maxDelayMs: number,
): void {
  ACTS[fault](req, res, maxDelayMs);
}
