/**
 * The world a request acts in: its store, its settings and clock as read for this request, and the
 * domain service over them. Resolved once per request by `resolveWorld` (public routes) or the
 * control scope (the control API), and read by every later middleware and handler from res.locals,
 * so none of them can act on another world by mistake.
 */
import type { RequestHandler } from 'express';
import type { Owner } from '../domain/keys.js';
import type { Simulator } from '../domain/simulator.js';
import type { Store, WorldView } from '../store/store.js';

export const DEFAULT_WORLD = 'default';

export interface World {
  /** The tenant's id (`default` for the configured world). */
  id: string;
  store: Store;
  view: WorldView;
  simulator: Simulator;
}

export interface Worlds {
  /** The world of a public request: the one its key belongs to, else the default world. */
  ofOwner(owner: Owner | undefined): Promise<World>;
  /** The configured world, which keeps the behaviour of a simulator without tenants. */
  defaultWorld(): Promise<World>;
  /** The same world read again (after a change that its view, such as its clock, does not show yet). */
  refresh(world: World): Promise<World>;
}

interface WorldLocals {
  world?: World;
}

export function worldOf(locals: Record<string, unknown>): World {
  const world = (locals as WorldLocals).world;
  if (!world) throw new Error('route reached without a resolved world');
  return world;
}

export function maybeWorldOf(locals: Record<string, unknown>): World | undefined {
  return (locals as WorldLocals).world;
}

export function setWorld(locals: Record<string, unknown>, world: World): void {
  (locals as WorldLocals).world = world;
}

/** Resolves the world of a request, once, before anything acts on it. */
export function resolveWorld(
  resolve: (req: Parameters<RequestHandler>[0]) => Promise<World>,
): RequestHandler {
  return async (req, res, next) => {
    setWorld(res.locals, await resolve(req));
    next();
  };
}
