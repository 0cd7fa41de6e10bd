/** Named SQL parameters, as lint and the capture rules read them. */
/** Named SQL parameters (`:NAME`) outside quotes and comments; `::` casts are not parameters. */
export function sqlParameters(sql: string): string[] {
  const names: string[] = [];
  const pattern = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`[^`]*`|--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|::|:([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of sql.matchAll(pattern)) if (match[1]) names.push(match[1]);
  return names;
}
