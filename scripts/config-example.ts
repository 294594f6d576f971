// Writes taskapp.toml.example from the config schema (test/cli/config-example.test.ts checks it is current).
import { writeFileSync } from 'node:fs';
import { renderConfigExample } from '../src/config/example.js';

writeFileSync(new URL('../taskapp.toml.example', import.meta.url), renderConfigExample());
console.log('wrote taskapp.toml.example');
