/** Runs `taskapp monitor` (the oclif command class) with the given argv: the tmux end-to-end test's program. */
import Monitor from '../../commands/monitor.js';

await Monitor.run(process.argv.slice(2), import.meta.url);
