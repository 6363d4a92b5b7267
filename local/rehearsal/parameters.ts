import type { Template } from '../cloud/stack/template.js';

/**
 * The template's time parameters, scaled like the twin's clock, so that a drain deadline or a
 * heartbeat timeout keeps its proportion to session lengths in a scaled scenario. Each value is
 * kept within the parameter's own MinValue/MaxValue, so the stack accepts it as CloudFormation would.
 */
const TIME_PARAMETERS = ['DefaultDrainSeconds', 'MaxDrainSeconds', 'HeartbeatTimeoutSeconds', 'ProtectionRenewBeforeSeconds', 'FargateSpotWarningSeconds', 'TargetHealthRecheckSeconds'] as const;

export function scaledParameters(template: Template, scale: number): Record<string, string> {
  const scaled: Record<string, string> = {};
  for (const name of TIME_PARAMETERS) {
    const definition = template.Parameters?.[name];
    if (definition === undefined || definition.Default === undefined) continue;
    const min = typeof definition.MinValue === 'number' ? definition.MinValue : 1;
    const max = typeof definition.MaxValue === 'number' ? definition.MaxValue : Number.MAX_SAFE_INTEGER;
    // A Spot drain's deadline must not fall after the twin's SIGKILL: round that one down.
    const exact = Number(definition.Default) * scale;
    // A fractional parameter keeps its precision; the others are whole seconds.
    const value = name === 'FargateSpotWarningSeconds' ? Math.floor(exact) : name === 'TargetHealthRecheckSeconds' ? Number(exact.toFixed(2)) : Math.round(exact);
    scaled[name] = String(Math.min(max, Math.max(min, value)));
  }
  return scaled;
}
