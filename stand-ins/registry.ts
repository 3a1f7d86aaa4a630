import type { Logger } from '../common/logger';
import type { StandInName } from '../common/services';
import { createAbfallnaviStandIn } from './abfallnavi/server';
import { createGewerbeStandIn } from './gewerbe/server';
import type { StandIn } from './lib/stand-in';
import { createLeikaStandIn } from './leika/server';
import { createMelderegisterHbStandIn } from './melderegister-hb/server';
import { createMelderegisterNrwStandIn } from './melderegister-nrw/server';
import { createNinaStandIn } from './nina/server';
import { createOparlStandIn } from './oparl/server';
import { createRegisterStandIn } from './register/server';

/** Every stand-in by name (names and ports in common/services.ts). */
export const STAND_IN_FACTORIES: Record<StandInName, (options: { logger?: Logger }) => StandIn> = {
  register: createRegisterStandIn,
  leika: createLeikaStandIn,
  abfallnavi: createAbfallnaviStandIn,
  oparl: createOparlStandIn,
  nina: createNinaStandIn,
  'melderegister-hb': createMelderegisterHbStandIn,
  'melderegister-nrw': createMelderegisterNrwStandIn,
  gewerbe: createGewerbeStandIn,
};
