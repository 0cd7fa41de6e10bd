// Stand-in for node-emoji in the bundle. marked-terminal imports it for `:shortcode:` emoji, which
// the TUI turns off (src/ui/markdown.ts: a runbook's `:name:` stays as written, and emoji widths
// vary between terminals); the real module parses a 320 kB emoji table at start-up.
export function get() {
  return undefined;
}
