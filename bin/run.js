#!/usr/bin/env node
// Production entry: the compiled commands in ./dist/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
