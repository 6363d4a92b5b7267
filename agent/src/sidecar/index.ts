/**
 * The sidecar: the session agent behind a small HTTP API on localhost, so that applications in
 * any language take part in drains (agent/README.md "Sidecar"). It may import the agent's own
 * modules (../) and node built-ins, nothing else; main.ts is the package's `bin`.
 */
export { startSidecar, type RunningSidecar, type SidecarOptions } from './server.js';
export { StateFeed, type FeedEvent, type FeedEventType, type SidecarAgent, type SidecarState } from './feed.js';
export { MAX_WAIT_SECONDS } from './routes.js';
export { DEFAULT_SIDECAR_PORT, sidecarSettings, type SidecarSettings } from './settings.js';
