import { readFileSync } from 'node:fs';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';

/** CloudFormation's short-form functions as plain objects ({ Ref: x }, { 'Fn::Sub': x }). */
function intrinsicTags(): (ScalarTag | CollectionTag)[] {
  const names = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'Select', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'ImportValue', 'GetAZs', 'Base64', 'Condition'];
  return names.flatMap((name) => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    const resolve = (value: unknown) => ({ [key]: value });
    return [
      { tag: `!${name}`, resolve: (value: string) => resolve(value) } as ScalarTag,
      { tag: `!${name}`, collection: 'seq', resolve: (value: { toJSON(): unknown }) => resolve(value.toJSON()) } as unknown as CollectionTag,
    ];
  });
}

/** A CloudFormation YAML template as written, its intrinsic functions unresolved (for tests that read templates). */
export function loadCfnYaml(path: string): Record<string, any> {
    return parse(readFileSync(path, 'utf8'), { customTags: intrinsicTags() }) as Record<string, any>;
}
