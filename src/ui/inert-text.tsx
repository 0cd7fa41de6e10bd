/**
 * The TUI's `<Text>`: ink's, with every string child made inert (src/runbook/inert.ts) before ink
 * writes it to the terminal. Step titles, the operator, reasons, notices, what the operator types
 * and a block's output all come from outside; ink would pass an OSC or a cursor move straight
 * through. Components import `Text` from here, never from ink.
 */
import { Children, type ReactNode } from 'react';
import { Text as InkText, type TextProps as InkTextProps } from 'ink';
import { inert } from '../runbook/inert.js';

/** ink's Text props, and what may be kept of the text. */
export interface TextProps extends InkTextProps {
  /** Keep a command's plain SGR colours (the output pane, when colour is wanted). */
  colour?: boolean;
  /**
   * The children are our own Markdown renderer's output, made from inert source (see markdown.ts):
   * its styling sequences are ours and are kept.
   */
  rendered?: boolean;
}

/** True unless `NO_COLOR` is set to anything but empty (no-color.org). */
export function colourWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

function inertChildren(children: ReactNode, colour: boolean): ReactNode {
  if (typeof children === 'string') return inert(children, { colour });
  if (!Array.isArray(children)) return children;
  return Children.map(children, (child: ReactNode) => (typeof child === 'string' ? inert(child, { colour }) : child));
}

export function Text({ colour = false, rendered = false, children, ...props }: TextProps) {
  return <InkText {...props}>{rendered ? children : inertChildren(children, colour)}</InkText>;
}
