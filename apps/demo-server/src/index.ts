export type { GenerateBody, Limits, ScoreBody } from './schemas.js';
export type { DemoSetup, ServerOptions } from './server.js';
export { buildServer } from './server.js';
export type { StartOptions } from './start.js';
export { startServer } from './start.js';
