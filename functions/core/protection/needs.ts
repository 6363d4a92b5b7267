/* protection/needs.ts: which registry items call for scale-in protection now (pure: no SDK, no I/O). */
import { DrainOutcome, ProtectionState, type TaskItem, TaskStatus } from '../../registry/model.js';

/**
 * Tasks holding sessions must stay protected: renew protection that lapses soon, retry BLOCKED
 * protection, and protect tasks whose protection was never recorded (the stream handler left it
 * to the reconciler after ECS refused the call). A busy task release-all unprotected stays so (the
 * operator asked for it) until its next drain or its next first session.
 */
export function needsProtection(
  item: Pick<TaskItem, 'status' | 'serviceName' | 'sessionCount' | 'protectionState' | 'protectedUntil' | 'drainOutcome'>,
  nowSeconds: number,
  renewBeforeSeconds: number,
): boolean {
  if (item.status !== TaskStatus.Active && item.status !== TaskStatus.Draining) return false;
  if (item.serviceName === undefined || item.sessionCount < 1) return false;
  if (item.drainOutcome === DrainOutcome.Released && item.protectionState === ProtectionState.Unprotected) return false;
  if (item.protectionState !== ProtectionState.Protected || item.protectedUntil === undefined) return true;
  return item.protectedUntil < nowSeconds + renewBeforeSeconds;
}
