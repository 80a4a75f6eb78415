// Worker threads do not inherit the main thread's tsx loader: register it here, then load the
// TypeScript entry. (Plain JavaScript, so this file itself needs no loader.)
import { register } from 'tsx/esm/api';

register();
await import('./build-worker.ts');
