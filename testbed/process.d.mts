/** Types of process.mjs, for the tests that share its process lookups. */
/** Where servers' programs live when PATH (a normal user's) leaves out the sbin folders. */
export declare const SEARCH_DIRS: string[];
/** The first of `names` found executable on PATH or in SEARCH_DIRS, or undefined. */
export declare function findExecutable(names: string[]): string | undefined;
