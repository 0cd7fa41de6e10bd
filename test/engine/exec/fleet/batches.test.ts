import { describe, expect, it } from 'vitest';
import { failureBudget, planBatches } from '../../../../src/engine/exec/fleet/batches.js';

const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizesOf = (batches: string[][]): number[] => batches.map((batch) => batch.length);

describe('planBatches', () => {
  it('puts every host in one batch when no sizes are given', () => {
    expect(planBatches(hosts(5), [])).toEqual([hosts(5)]);
  });

  it('takes the sizes in order and repeats the last (a canary of 1, then 5, then 25% of 12 = 3)', () => {
    expect(sizesOf(planBatches(hosts(12), [{ count: 1 }, { count: 5 }, { percent: 25 }]))).toEqual([1, 5, 3, 3]);
  });

  it('keeps inventory order across batches', () => {
    expect(planBatches(hosts(4), [{ count: 1 }, { count: 2 }]).flat()).toEqual(hosts(4));
  });

  it('rounds a percentage down but never below one host', () => {
    expect(sizesOf(planBatches(hosts(3), [{ percent: 10 }]))).toEqual([1, 1, 1]);
    expect(sizesOf(planBatches(hosts(10), [{ percent: 33 }]))).toEqual([3, 3, 3, 1]);
  });

  it('a size of 0 takes all the hosts left, as Ansible serial does', () => {
    expect(sizesOf(planBatches(hosts(6), [{ count: 1 }, { count: 0 }]))).toEqual([1, 5]);
  });

  it('plans nothing for no hosts', () => {
    expect(planBatches([], [{ count: 1 }])).toEqual([]);
  });
});

describe('failureBudget', () => {
  it('allows no failure without max-fail', () => {
    expect(failureBudget(12, undefined)).toBe(0);
  });

  it('counts a number as hosts and a percentage of all hosts, rounded down', () => {
    expect(failureBudget(12, { count: 2 })).toBe(2);
    expect(failureBudget(12, { percent: 10 })).toBe(1);
    expect(failureBudget(9, { percent: 10 })).toBe(0);
    expect(failureBudget(200, { percent: 25 })).toBe(50);
  });
});
