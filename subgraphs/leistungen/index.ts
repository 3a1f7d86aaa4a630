import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createLeistungenSubgraph } from './server';

runSubgraph('leistungen', (logger, identitySecret, resilience) => createLeistungenSubgraph({ leikaUrl: upstreamUrl('leika'), logger, identitySecret, resilience }));
