import { upstreamUrl } from '../../common/env';
import { runSubgraph } from '../lib/run';
import { createKommunenSubgraph } from './server';

runSubgraph('kommunen', (logger, identitySecret, resilience) => createKommunenSubgraph({ registerUrl: upstreamUrl('register'), logger, identitySecret, resilience }));
