#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Development entry: runs commands/ and src/ from the TypeScript sources through tsx, no build.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
