import { describeExecutorConformance } from './executor-conformance.js';

describeExecutorConformance('inline', { config: () => ({ delivery: { perHostConcurrency: 8 } }) });
