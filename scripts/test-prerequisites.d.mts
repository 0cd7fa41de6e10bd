/** Types of scripts/test-prerequisites.mjs, for the tests that import its decisions. */

/** One system package the suite needs and how to tell it is installed. */
export interface SystemPackage {
  name: string;
  /** Programs it provides; all must be found on PATH or in the fixed dirs. */
  programs: string[];
  /** Files of which at least one must exist (none listed: no such condition). */
  anyFile: string[];
  /** Ansible collections `ansible-galaxy collection list` must show. */
  collections: string[];
}

/** How the preflight looks at a machine. */
export interface Probes {
  hasProgram(name: string): boolean;
  hasFile(path: string): boolean;
  hasCollection(name: string): boolean;
}

/** What the preflight does (see `decide`). */
export type Decision =
  | { action: 'ok'; line: string }
  | { action: 'skip'; line: string }
  | { action: 'stop'; line: string }
  | { action: 'install'; line: string; commands: string[][] };

export declare const PACKAGES: SystemPackage[];
export declare const FIXED_DIRS: string[];
export declare function missingParts(probes: Probes, packages?: SystemPackage[]): { name: string; parts: string[] }[];
export declare function missingPackages(probes: Probes, packages?: SystemPackage[]): string[];
export declare function sudoCommand(missing: string[]): string;
export declare function decide(situation: { missing: string[]; root: boolean; aptGet: boolean; ci: boolean; skip: boolean }): Decision;
export declare function underCi(env: Record<string, string | undefined>): boolean;
export declare function skipRequested(env: Record<string, string | undefined>): boolean;
export declare function main(env?: Record<string, string | undefined>, args?: string[]): Promise<number>;
