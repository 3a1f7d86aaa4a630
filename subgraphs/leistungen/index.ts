import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createLeistungenSubgraph } from './server';

runSubgraph('leistungen', (logger, identitySecret) => createLeistungenSubgraph({ leikaUrl: upstreamUrl('leika'), logger, identitySecret }));
