// Types of bin/dir-lock.mjs, for the TypeScript modules that take the same lock.
export declare function lockAbandoned(lock: string, staleMs: number): boolean;
export declare function withDirLock<T>(lock: string, fn: () => T | Promise<T>, options: { staleMs: number; pollMs: number }): Promise<T>;
