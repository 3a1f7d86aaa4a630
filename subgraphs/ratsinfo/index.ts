import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createRatsinfoSubgraph } from './server';

runSubgraph('ratsinfo', (logger) => createRatsinfoSubgraph({ oparlUrl: upstreamUrl('oparl'), logger }));
