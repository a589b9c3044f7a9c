// The server's first import: on Node 22, restarts this process under the async context frame flag
// before anything else loads (async-context-frame.ts).
import { restartWithAsyncContextFrame } from './async-context-frame';

restartWithAsyncContextFrame();
