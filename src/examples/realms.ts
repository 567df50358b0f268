/** The example realms shipped with symphainy, used by the demo and the tests. */
import { journey } from './journey.ts';
import { outcomes } from './outcomes.ts';
import { solution } from './solution.ts';

export { journey, outcomes, solution };

export const exampleRealms = [journey, outcomes, solution] as const;
