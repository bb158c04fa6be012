// Imported first by every entry point (API, worker, CLI). Node keeps the compiled code of every
// module loaded after this in a cache on disk (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off), so each later start skips compiling the app and its
// libraries. Operators' CLI commands each start a process; so do restarts. A stale or unwritable
// cache is ignored by Node, never an error.
import { enableCompileCache } from 'node:module';

enableCompileCache();
