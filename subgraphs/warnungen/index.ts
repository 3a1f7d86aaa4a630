import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createWarnungenSubgraph } from './server';

runSubgraph('warnungen', (logger, identitySecret, resilience) => createWarnungenSubgraph({ ninaUrl: upstreamUrl('nina'), logger, identitySecret, resilience }));
