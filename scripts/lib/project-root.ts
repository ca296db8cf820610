// The scripts share the simulator's lookup, so there is one definition of where the project is.
export { projectRoot } from '../../mock-server/src/project-root.js';
