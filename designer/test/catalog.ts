import type { Activity } from '../src/api/types';
import snapshot from './fixtures/activities.json';

/** The catalog as the real server serves it (written by e2e/snapshot-catalog.mjs; the e2e run checks it is current). */
export const activities = snapshot as unknown as Activity[];
