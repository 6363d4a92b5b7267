/**
 * Given to an SDK paginator as `withCommand`: each page goes out with an input of its own. The
 * paginators send every page with one input object and write the next token into it, so a command
 * already sent (and each one a test recorded) would show the last page's token; members the
 * paginator set to undefined (no token yet, no page size) are left out, as a hand-built input would.
 */
export function ownInput<C extends { input: object }>(command: C): C {
  const Command = command.constructor as new (input: object) => C;
  return new Command(Object.fromEntries(Object.entries(command.input).filter(([, value]) => value !== undefined)));
}
