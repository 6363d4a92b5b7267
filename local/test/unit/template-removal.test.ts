import { describe, expect, it } from 'vitest';
import { loadTemplate, resourcesOfType } from '../../cloud/stack/template.js';

/*
 * template.yaml's removal order (issue 12): CloudFormation deletes a resource before the resources
 * it depends on. The custom resource that releases every task must therefore go after everything
 * that could start a drain or protect a task, and before what the release itself needs.
 */
const template = loadTemplate();
const resources = template.Resources;
const functionIds = resourcesOfType(template, 'AWS::Serverless::Function');

/** Every logical id a value refers to (Ref, Fn::GetAtt, ${...} in Fn::Sub). */
function referencesIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencesIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Ref' && typeof item === 'string') found.add(item);
      else if (key === 'Fn::GetAtt') found.add(String(Array.isArray(item) ? item[0] : String(item).split('.')[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(item) ? String(item[0]) : String(item);
        for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) found.add(match[1] as string);
        referencesIn(item, found);
      } else referencesIn(item, found);
    }
  }
  return found;
}

describe('template.yaml: removal', () => {
  const custom = resources.ReleaseOnRemoval;

  it('declares the custom resource ReleaseOnRemoval, backed by ReleaseOnRemovalFunction, with the clusters in scope', () => {
    expect(custom?.Type).toBe('Custom::ReleaseOnRemoval');
    expect(custom?.Properties).toMatchObject({ ServiceToken: { 'Fn::GetAtt': ['ReleaseOnRemovalFunction', 'Arn'] }, ClusterArns: { Ref: 'ClusterArns' } });
  });

  it('deletes every function that starts drains or sets protection (each has triggers or is invoked from outside) before the release', () => {
    const steps = new Set(referencesIn(resources.DrainStateMachine?.Properties?.DefinitionSubstitutions));
    const triggered = functionIds.filter((id) => id !== 'ReleaseOnRemovalFunction' && !steps.has(id));

    expect(triggered.length).toBeGreaterThan(8);
    for (const id of triggered) expect(resources[id]?.DependsOn, id).toBe('ReleaseOnRemoval');
  });

  it('deletes what the release needs after it: its function, through which its role, the table and the state machine', () => {
    const needs = referencesIn(resources.ReleaseOnRemovalFunction?.Properties);
    const global = referencesIn(template.Globals?.Function?.Environment);

    expect(referencesIn(custom?.Properties)).toContain('ReleaseOnRemovalFunction');
    expect(needs).toContain('DrainStateMachine');
    expect(global).toContain('RegistryTable');
    expect(resources.ReleaseOnRemovalFunction?.DependsOn).toBeUndefined();
  });
});
