/** A timeout stops the work on the thread runner, synchronous loops included (see timeout-suite.ts). */
import { timeoutSuite } from './timeout-suite.js';

timeoutSuite('thread');
