import { delimiter, dirname, isAbsolute } from 'node:path';
import { pythonCommand } from '@ecs-session-drain/local';

/*
 * Resolves python3 once for the whole run and puts its directory first on PATH. Behind a version
 * manager (pyenv here), every `python3`, `cfn-lint` and `aws` is a shell-script shim that costs
 * about 2 s before the program starts; the suite starts them hundreds of times (moto and the SAM
 * translator per local cloud, the AWS CLI in the twin's CLI tests). The programs are the same.
 */
export default function setup(): void {
  const python = pythonCommand();
  process.env.PYTHON = python;
  // Each vitest project runs this setup: the first one has already put the directory first.
  const path = (process.env.PATH ?? '').split(delimiter);
  if (isAbsolute(python) && path[0] !== dirname(python)) process.env.PATH = [dirname(python), ...path].join(delimiter);
}
