import { packageConfig } from '@svdecode/tooling/tsup';

export default packageConfig({
  entry: ['src/index.ts', 'src/register.ts'],
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // tfjs-core ships its gradient registrations only as extensionless ES modules that plain Node
  // cannot load; bundling that one entry (into a lazily loaded chunk) makes training work in Node.
  // The registrations go into tfjs's global registry, shared with the tfjs-core dependency.
  noExternal: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'],
});
