// Stand-in for cli-highlight in the bundle. The TUI renders a step's prose with marked-terminal
// but shows code blocks itself (never through marked-terminal), so syntax highlighting is never
// used — and cli-highlight loads every highlight.js language at start-up (hundreds of ms).
export function highlight(code) {
  return code;
}
