import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createAbfallSubgraph } from './server';

runSubgraph('abfall', (logger, identitySecret, resilience) => createAbfallSubgraph({ abfallnaviUrl: upstreamUrl('abfallnavi'), logger, identitySecret, resilience }));
