import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createWarnungenSubgraph } from './server';

runSubgraph('warnungen', (logger, identitySecret) => createWarnungenSubgraph({ ninaUrl: upstreamUrl('nina'), logger, identitySecret }));
