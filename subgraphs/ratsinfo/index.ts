import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createRatsinfoSubgraph } from './server';

runSubgraph('ratsinfo', (logger, identitySecret, resilience) => createRatsinfoSubgraph({ oparlUrl: upstreamUrl('oparl'), logger, identitySecret, resilience }));
