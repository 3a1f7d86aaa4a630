import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createGewerbeSubgraph } from './server';

runSubgraph('gewerbe', (logger, identitySecret, resilience) => createGewerbeSubgraph({ gewerbeUrl: upstreamUrl('gewerbe'), logger, identitySecret, resilience }));
