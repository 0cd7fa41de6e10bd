/**
 * A fleet block's host grid (src/ui/host-grid.ts builds its lines): counts, batch N/M and the
 * failure budget left, the hosts that need a look, one glyph per host, and the selected host's
 * output. One `<Text>` per screen row, never one per host.
 */
import type { ReactNode } from 'react';
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import { hostGridLines, type FleetView } from '../host-grid.js';

export interface HostGridProps {
  view: FleetView;
  width: number;
  height: number;
}

export function HostGrid({ view, width, height }: HostGridProps) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {hostGridRows(view, width, height)}
    </Box>
  );
}

/** The grid's rows, one `<Text>` each, for a view that lays out and counts its rows itself (StepView). */
export function hostGridRows(view: FleetView, width: number, height: number): ReactNode[] {
  // The lines are made inert where they take outside text (host names, reasons, output); the
  // colours in them are the grid's own, so they are drawn as rendered.
  return hostGridLines(view, width, height).map((line, i) => (
    <Text key={`host-grid-${i}`} wrap="truncate-end" rendered>
      {line || ' '}
    </Text>
  ));
}
