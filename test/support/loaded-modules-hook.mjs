// Preloaded with `node --import`: on exit, prints every module URL this process resolved, one line
// `loaded-modules: [...]`, so a test can say which packages a start loads (module.registerHooks,
// Node 22.15+). Used by test/process/start-cost.test.ts.
import { registerHooks } from 'node:module';
import process from 'node:process';

const urls = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    urls.add(result.url);
    return result;
  },
});
process.on('exit', () => {
  process.stderr.write(`loaded-modules: ${JSON.stringify([...urls])}\n`);
});
