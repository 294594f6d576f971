/** A timeout stops the work on multi-thread and persistent-process runners (see timeout-suite.ts). */
import { timeoutSuite } from './timeout-suite.js';

timeoutSuite('multi-thread');
timeoutSuite('persistent-process');
