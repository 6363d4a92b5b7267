/** Anything SIGTERM can be heard on: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: 'SIGTERM', listener: () => void): unknown;
  off(event: 'SIGTERM', listener: () => void): unknown;
}

/**
 * Listens for SIGTERM; returns the function that stops listening. While a listener is installed
 * Node no longer exits on SIGTERM: the application decides when to exit (the agent's 'idle').
 */
export function onSigterm(source: SignalSource, handler: () => void): () => void {
  const listener = () => handler();
  source.on('SIGTERM', listener);
  return () => {
    source.off('SIGTERM', listener);
  };
}
