/** Runs `taskapp monitor` or `taskapp web` (the oclif command classes): `monitoring-cli.ts monitor|web [flags]`. */
import Monitor from '../../commands/monitor.js';
import Web from '../../commands/web.js';

const [name, ...argv] = process.argv.slice(2);
if (name === 'web') await Web.run(argv, import.meta.url);
else await Monitor.run(argv, import.meta.url);
