/** The typed model of a runbook: what the parser produces and everything else reads. */
import type { NotifyDecl } from './notify-decl.js';

/** What a fenced block is for (docs/runbook-format.md#the-info-string). */
export type Role = 'run' | 'check' | 'verify' | 'rollback' | 'example';

/** How an executable block is run; `null` means display only. */
export type Executor = 'shell' | 'python' | 'sql';

/** A problem found in a runbook, always tied to a file and a line. */
export interface Diagnostic {
  file: string;
  line: number;
  /** `note`: what lint found out, not a problem (the hosts a fleet block would touch). */
  severity: 'error' | 'warning' | 'note';
  /** A short stable name for the kind of problem, e.g. `unknown-attribute`. */
  rule: string;
  message: string;
}

/** What an sql block expects of its result set. */
export type SqlExpectation = { kind: 'empty' } | { kind: 'nonempty' } | { kind: 'rows'; count: number } | { kind: 'value'; value: string };

/** A batch size or a failure budget: a number of hosts, or a percentage of the block's hosts. */
export type HostCount = { count: number } | { percent: number };

/**
 * What makes a block a fleet block (`hosts=PATTERN`): it runs once on each host the Ansible
 * pattern matches in the run's inventory, batch by batch (see docs/fleet.md).
 */
export interface FleetAttributes {
  /** An Ansible host pattern, e.g. `computes`, `controllers:&ctl-*`, `computes:!cmp-1`. */
  hosts: string;
  /** The rolling plan (`batch=1,5,25%`): sizes in order, the last repeating; empty means one batch. */
  batches: HostCount[];
  /** Hosts that may fail or be unreachable across the whole block (`max-fail=`); absent means none. */
  maxFail?: HostCount;
  /** Parallelism inside a batch (`forks=`). */
  forks?: number;
  /** `pause=confirm`: the operator confirms between batches. */
  pause?: 'confirm';
}

/** Block attributes after validation; absent means "use the default". */
export interface BlockAttributes {
  timeoutMs?: number;
  /** Shell/python: a regular expression stdout must match (multiline). */
  expect?: string;
  /** SQL: the parsed `expect=` form. */
  sqlExpect?: SqlExpectation;
  exit?: number;
  retries?: number;
  delayMs?: number;
  /** Exit code that means "run me again" (loop-until-done). */
  rerunOnExit?: number;
  codes?: 'oslo';
  severity?: 'warning';
  override?: 'allowed';
  /** `after-failure=stop` (checks only): when this check refuses, the step's later checks do not run. */
  afterFailure?: 'stop';
  /** `preflight=skip` (checks only): `waymark preflight` lists this check as skipped instead of running it (it depends on an earlier step's effect). */
  preflight?: 'skip';
  confirm: boolean;
  /** `approve=N`: the block waits until N operators other than the one running it approve it (docs/approve.md). */
  approve?: number;
  connection?: string;
  cwd?: string;
  /** Present on a fleet block (`hosts=`). */
  fleet?: FleetAttributes;
  /** `deviation=`: how far a result may depart from the rehearsal's (`--baseline`, docs/baseline.md). */
  deviation?: DeviationRule;
  /** `capture=NAME` (`NAME:rows` for an sql block's rows as JSON): the block's result, a variable of later blocks (docs/capture.md). */
  capture?: CaptureAttribute;
}

/**
 * How far a block's result may depart from its rehearsal's before the run asks for an
 * acknowledgement. `factor` applies to the duration (slower only) and, unless `rowsWithin` is
 * given, to the row count (both ways); `off` turns the comparison off for the block.
 */
export interface DeviationRule {
  factor?: number;
  rowsWithin?: number;
  off?: true;
}

/** What `capture=` keeps of a block's result, and under which variable name. */
export interface CaptureAttribute {
  name: string;
  /** `stdout`: trimmed standard output (shell, python); `value`: an sql result's first value; `rows`: its rows as JSON. */
  form: 'stdout' | 'value' | 'rows';
}

/** A fenced (or indented) code block inside a step or the introduction. */
export interface Block {
  /** Stable id: `name=` if given, else `STEPID-N` (N counts the step's code blocks from 1). */
  id: string;
  explicitId: boolean;
  /** 1-based line of the opening fence in the runbook file. */
  line: number;
  /** The raw info string, as written after the fence. */
  info: string;
  /** First word of the info string, lower-cased ('' when there is none). */
  lang: string;
  /** How it runs, or null when it is display only. */
  executor: Executor | null;
  role: Role;
  code: string;
  attrs: BlockAttributes;
  /** Runme keys we keep but do not act on (e.g. `interactive`, `mimeType`). */
  runme: Readonly<Record<string, unknown>>;
  /** True when the fence was never closed (the block runs to the end of its container). */
  unclosed: boolean;
  /** The paragraph right after the block, where runbooks say what to do when it fails. */
  note?: string;
}

/** A `- [ ] text` task-list item: a manual checklist item for the operator. */
export interface ChecklistItem {
  /** `STEPID-check-N`, stable within the step. */
  id: string;
  line: number;
  text: string;
}

/** One H2 section of a runbook. */
export interface Step {
  id: string;
  explicitId: boolean;
  title: string;
  line: number;
  optional: boolean;
  tags: string[];
  /** Every other key=value from the heading's attribute block (later features read these). */
  extra: Readonly<Record<string, string>>;
  blocks: Block[];
  checklist: ChecklistItem[];
  /** The step's Markdown body (without the heading), for rendering. */
  markdown: string;
  /** The file the step comes from (an included fragment, or the runbook itself). */
  file: string;
  /** Composition phase (`phase=N`); steps run phase by phase. */
  phase: number;
  /** The service of the fragment the step comes from, if it declares one. */
  service?: string;
  /** Tags whose steps must all be done before this step may start (`needs=a,b`). */
  needs: string[];
  /**
   * Steps whose refused check this step remedies (`fixes=charset`): it may run while that gate
   * holds the run, and the gate is re-run before any later step.
   */
  fixes: string[];
  /** Variables bound for this step only, e.g. `RELEASE` of a `foreach=RELEASE:kilo,liberty` step. */
  vars: Readonly<Record<string, string>>;
}

/** A declared variable (front matter `vars:`). */
export interface VarDecl {
  name: string;
  line: number;
  default?: string;
  description?: string;
  choices?: string[];
  secret: boolean;
  required: boolean;
  /** Environment variable to read; defaults to the variable's own name. */
  env?: string;
}

/** A named SQL target; `url` and `password` may hold `${VAR}` references. */
export interface ConnectionDecl {
  name: string;
  line: number;
  url: string;
  password?: string;
  /** The file that declares it: a relative `?socket=` resolves against its folder. */
  file?: string;
}

/** Where a runbook's fleet is: `inventory:` in the front matter, or per profile. */
export interface InventoryDecl {
  /** As written in the front matter (may hold `${VAR}`); absent when only profiles name one. */
  path?: string;
  line: number;
  /** The file that declares it: relative paths resolve against its folder. */
  file: string;
  byProfile: Record<string, string>;
}

/** A parsed runbook. Problems found while parsing are in `diagnostics`; parsing never throws. */
export interface Runbook {
  file: string;
  /** The front matter's `id:`, else the file name made safe; shown in reports, not unique across folders. */
  id: string;
  /** Line of the front matter's `id:`; absent when the id comes from the file name (see runbook/identity.ts). */
  idLine?: number;
  title: string;
  intro: { markdown: string; line: number; blocks: Block[] };
  vars: VarDecl[];
  profiles: Record<string, Record<string, string>>;
  connections: ConnectionDecl[];
  /**
   * The Ansible inventory fleet blocks run against (`inventory:`), as written (may hold `${VAR}`),
   * relative to the folder of `file` (the runbook or fragment that declares it); a profile's own
   * `inventory:` wins for that profile.
   */
  inventory?: InventoryDecl;
  shell: string;
  /** Default block timeout. */
  timeoutMs: number;
  steps: Step[];
  diagnostics: Diagnostic[];
  /** Front matter `include:` paths, as written, with their lines. */
  includes: { path: string; line: number }[];
  /** Front matter `service:` of a fragment. */
  service?: string;
  /** Front matter `after:` of a fragment: services that come before it within a phase. */
  after: string[];
  /** Front matter `notify:`: the command run on chosen run events (docs/notify.md). */
  notify?: NotifyDecl;
}

export const ROLES: readonly Role[] = ['run', 'check', 'verify', 'rollback', 'example'];

/** Default block timeout when neither the block nor the front matter sets one. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** The front matter's `shell` when it names none. */
export const DEFAULT_SHELL = 'bash';
