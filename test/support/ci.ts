/**
 * Whether the tests run under CI, where a suite that needs MariaDB or sshd must fail, never skip.
 * Runners spell it differently (`CI=true`, `CI=1`, `CI=yes`, GitLab's `CI=true`, some `CI=TRUE`):
 * any value but empty, `false` or `0` counts, so no spelling lets CI go green by skipping.
 */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
