/** The current time, ticking once a second, for elapsed-time displays. */
import { useEffect, useState } from 'react';

export function useClock(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
