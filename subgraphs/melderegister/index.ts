import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createMelderegisterSubgraph } from './server';

runSubgraph('melderegister', (logger, identitySecret, resilience) =>
  createMelderegisterSubgraph({
    melderegisterHbUrl: upstreamUrl('melderegister-hb'),
    melderegisterNrwUrl: upstreamUrl('melderegister-nrw'),
    logger,
    identitySecret,
    resilience,
  }),
);
