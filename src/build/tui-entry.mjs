// The entry of dist/cli/tui.vm.js (see bundle.mjs): `waymark run` with its TUI, handed to the
// loader (src/ui/load-tui.ts) through the function the script is wrapped in.
import { runCommand } from '../cli/run.ts';

__waymarkExport(runCommand);
