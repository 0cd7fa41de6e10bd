/** The controller's snapshot as React state. */
import { useSyncExternalStore } from 'react';
import type { UiController, UiSnapshot } from '../controller.js';

export function useController(controller: UiController): UiSnapshot {
  return useSyncExternalStore(controller.subscribe, controller.getSnapshot);
}
